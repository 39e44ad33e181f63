// GET /metrics of the daemon on the real stack: git server → daemon → kube-apiserver, scraped
// as Prometheus would. Sync success and failure (tampered and wrong-key SOPS files), the applied
// revision, object count, drift corrections and decrypt failures by reason are checked, and the
// Secret's plaintext never appears in the exposition. (The ReconciliationSucceeded /
// ReconciliationFailed Events of a sync are asserted in daemon-sync.int.test.ts, "never leaks
// the Secret plaintext into logs or /status".)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { sampleValue, samples } from '../support/exposition.js';
import { eventually, getJson, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';

const stack = inject('stack');
const CANARY = `canary-${Math.random().toString(36).slice(2)}-metrics`;
const SYNC = 'metrics-e2e';
const NS = 'e2e-metrics';

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata:\n  k: v\n`;
const secretYaml = (name: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${NS}\nstringData:\n  password: ${CANARY}\n`;

describe('daemon /metrics', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  let recipient: string;
  let good: string;

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${d.url}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };
  const syncStatus = () => d.daemon.status.snapshot().syncs.find((s) => s.name === SYNC);
  const value = (text: string, name: string, labels: Record<string, string> = {}) =>
    sampleValue(text, name, { sync: SYNC, ...labels }) ?? 0;
  const encrypt = (name: string, path: string, to: string) =>
    encryptText(
      secretYaml(name),
      { format: 'yaml', source: path, keys: { age: [to] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      {},
    );

  beforeAll(async () => {
    setGitEnv(stack);
    repo = await WorkRepo.create(stack, `e2e-metrics-${Date.now()}`);
    const id = await generateAgeIdentity();
    recipient = id.recipient;
    const idFile = join(mkdtempSync(join(tmpdir(), 'gitops-seal-e2e-metrics-')), 'keys.txt');
    writeFileSync(idFile, `${id.identity}\n`, { mode: 0o600 });
    good = await repo.commit(
      {
        'deploy/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`,
        'deploy/cm.yaml': cm('settings'),
        'deploy/secret.yaml': await encrypt('db', 'deploy/secret.yaml', recipient),
      },
      'initial',
    );
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url)],
        syncs: [
          {
            name: SYNC,
            source: 'repo',
            path: 'deploy',
            kubeconfig: { file: stack.kube.kubeconfig },
            decryption: { age: { identitiesFrom: [{ file: idFile }] } },
          },
        ],
      },
    });
  });

  afterAll(async () => {
    await d?.stop();
    repo?.remove();
  });

  it('after an applied revision: a success sample, the revision, the object count, ready', async () => {
    const text = await eventually('applied revision in /metrics', async () => {
      const t = await scrape();
      return sampleValue(t, 'gitops_seal_sync_revision_info', { sync: SYNC, revision: good }) === 1 ? t : undefined;
    });
    expect(samples(text, 'gitops_seal_sync_revision_info', { sync: SYNC })).toEqual([
      { name: 'gitops_seal_sync_revision_info', labels: { sync: SYNC, source: 'repo', revision: good }, value: 1 },
    ]);
    expect(value(text, 'gitops_seal_sync_duration_seconds_count', { result: 'success' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'gitops_seal_sync_duration_seconds_sum', { result: 'success' })).toBeGreaterThan(0);
    expect(value(text, 'gitops_seal_sync_duration_seconds_count', { result: 'failure' })).toBe(0);
    expect(value(text, 'gitops_seal_objects_managed')).toBe(3);
    expect(value(text, 'gitops_seal_objects_managed')).toBe(syncStatus()?.objects);
    expect(value(text, 'gitops_seal_sync_ready')).toBe(1);
    expect(value(text, 'gitops_seal_sync_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 300);
    expect(sampleValue(text, 'gitops_seal_leader')).toBe(1);
    // The Secret was really decrypted and applied.
    const secret = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'db', '-n', NS]);
    expect(Buffer.from(secret?.data.password ?? '', 'base64').toString()).toBe(CANARY);
  });

  it('a tampered and a wrong-key Secret: a failure sample, decrypt failures by reason, the good revision stays', async () => {
    const before = await scrape();
    const original = (await repo.git(['show', 'HEAD:deploy/secret.yaml'])) + '\n';
    const data = /password: ENC\[AES256_GCM,data:([^,]+),/.exec(original)?.[1] ?? '';
    expect(data).not.toBe('');
    const tampered = original.replace(data, (data[0] === 'A' ? 'B' : 'A') + data.slice(1));
    const other = await generateAgeIdentity();
    const bad = await repo.commit(
      { 'deploy/secret.yaml': tampered, 'deploy/other.yaml': await encrypt('other', 'deploy/other.yaml', other.recipient) },
      'bad',
    );
    await d.daemon.sources.get('repo')?.trigger();
    await eventually(
      'bad revision attempted',
      async () => syncStatus()?.attemptedRevision === bad && syncStatus()?.lastError !== undefined,
    );
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
    expect(delta('gitops_seal_sync_duration_seconds_count', { result: 'failure' })).toBe(1);
    expect(delta('gitops_seal_sync_failures_total', { stage: 'decrypt' })).toBe(1);
    expect(delta('gitops_seal_decrypt_failures_total', { reason: 'tampered' })).toBe(1);
    expect(delta('gitops_seal_decrypt_failures_total', { reason: 'no-key' })).toBe(1);
    expect(delta('gitops_seal_decrypt_failures_total', { reason: 'vault' })).toBe(0);
    expect(value(after, 'gitops_seal_sync_ready')).toBe(0);
    // The refused revision is not the applied one.
    expect(samples(after, 'gitops_seal_sync_revision_info', { sync: SYNC }).map((s) => s.labels.revision)).toEqual([good]);
    expect(value(after, 'gitops_seal_objects_managed')).toBe(3);
    await repo.git(['reset', '--hard', good]);
    await repo.git(['push', '--quiet', '--force', 'origin', 'HEAD:main']);
  });

  it('a new good revision replaces the old revision label set; drift corrections are counted', async () => {
    const next = await repo.commit({ 'deploy/cm2.yaml': cm('settings-2') }, 'one more');
    await d.daemon.sources.get('repo')?.trigger();
    const text = await eventually('new revision in /metrics', async () => {
      const t = await scrape();
      return sampleValue(t, 'gitops_seal_sync_revision_info', { sync: SYNC, revision: next }) === 1 ? t : undefined;
    });
    expect(samples(text, 'gitops_seal_sync_revision_info', { sync: SYNC }).map((s) => s.labels.revision)).toEqual([next]);
    expect(value(text, 'gitops_seal_objects_managed')).toBe(4);
    expect(value(text, 'gitops_seal_sync_ready')).toBe(1);
    const drifted = value(text, 'gitops_seal_drift_corrections_total');
    await kubectl(stack, ['patch', 'configmap', 'settings', '-n', NS, '--type', 'merge', '-p', '{"data":{"k":"edited"}}']);
    await eventually(
      'drift correction counted',
      async () => value(await scrape(), 'gitops_seal_drift_corrections_total') > drifted,
      20_000,
    );
  });

  it('never exposes the Secret plaintext in /metrics (raw, base64, hex) nor in the logs', async () => {
    const text = await scrape();
    for (const s of [text, d.logs.text]) {
      expect(s).not.toContain(CANARY);
      expect(s).not.toContain(Buffer.from(CANARY).toString('base64'));
      expect(s).not.toContain(Buffer.from(CANARY).toString('hex'));
    }
    // Labels name syncs, sources, revisions, stages and reasons only.
    const labelNames = new Set(samples(text, 'gitops_seal_decrypt_failures_total').flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual(['reason', 'sync']);
  });
});
