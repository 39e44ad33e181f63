// The daemon end to end on the real stack: git server → daemon → kube-apiserver.
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import type { DaemonEvent } from '../../daemon/events/index.js';
import { eventually, getJson, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';

const stack = inject('stack');
const CANARY = `canary-${Math.random().toString(36).slice(2)}-e2e`;
const WEBHOOK_SECRET = 'e2e-webhook-secret';

const cm = (name: string, ns: string, data: Record<string, string> = { k: 'v' }) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n${Object.entries(data)
    .map(([k, v]) => `  ${k}: "${v}"`)
    .join('\n')}\n`;

describe('daemon: git → cluster', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  /** Everything the daemon's event bus carried (subscribed before the first fetch can end). */
  const busEvents: DaemonEvent[] = [];
  let ageId: { identity: string; recipient: string };
  let idFile: string;

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.E2E_WEBHOOK_SECRET = WEBHOOK_SECRET;
    repo = await WorkRepo.create(stack, `e2e-sync-${Date.now()}`);
    ageId = await generateAgeIdentity();
    idFile = join(mkdtempSync(join(tmpdir(), 'gitops-seal-e2e-keys-')), 'keys.txt');
    writeFileSync(idFile, `# e2e identity\n${ageId.identity}\n`, { mode: 0o600 });
    const secret = await encryptText(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: e2e-apps\nstringData:\n  password: ${CANARY}\n`,
      { format: 'yaml', source: 'apps/secret.yaml', keys: { age: [ageId.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      {},
    );
    await repo.commit(
      {
        'apps/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: e2e-apps\n',
        'apps/multi.yaml': `${cm('one', 'e2e-apps')}---\n# empty document follows\n---\n${cm('two', 'e2e-apps')}`,
        'apps/list.yaml': JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            JSON.parse(
              JSON.stringify({
                apiVersion: 'v1',
                kind: 'ConfigMap',
                metadata: { name: 'from-list', namespace: 'e2e-apps' },
                data: { mode: '0644' },
              }),
            ),
          ],
        }),
        'apps/octal.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml11\n  namespace: e2e-apps\n  labels:\n    enabled: "yes"\nbinaryData: {}\ndata:\n  n: "0644"\n',
        'apps/role.yaml':
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: e2e-reader\nrules:\n- apiGroups: [""]\n  resources: [configmaps]\n  verbs: [get]\n',
        'apps/secret.yaml': secret,
        'apps/protected.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: protected\n  namespace: e2e-apps\n  annotations:\n    gitops-seal.io/prune: disabled\ndata: {a: b}\n',
        'apps/.sops.yaml': 'creation_rules:\n- encrypted_regex: ^(data|stringData)$\n',
      },
      'initial',
    );
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url, { webhook: { type: 'github', secretFrom: { env: 'E2E_WEBHOOK_SECRET' } } })],
        syncs: [
          {
            name: 'apps',
            source: 'repo',
            path: 'apps',
            kubeconfig: { file: stack.kube.kubeconfig },
            decryption: { age: { identitiesFrom: [{ file: idFile }] } },
          },
        ],
      },
    });
    d.daemon.bus.subscribe((e) => busEvents.push(e));
  });

  afterAll(async () => {
    await d?.stop();
    repo?.remove();
  });

  const applied = () => d.daemon.status.snapshot().syncs.find((s) => s.name === 'apps');

  it('applies a commit: namespace, multi-document, List, cluster-scoped, decrypted Secret', async () => {
    const head = await repo.head();
    await eventually('first revision applied', async () => applied()?.appliedRevision === head);
    for (const name of ['one', 'two', 'from-list', 'yaml11', 'protected']) {
      const obj = await getJson<{
        metadata: { labels?: Record<string, string>; managedFields?: { manager: string; operation: string }[] };
      }>(stack, ['configmap', name, '-n', 'e2e-apps', '--show-managed-fields']);
      expect(obj?.metadata.labels?.['gitops-seal.io/sync']).toBe('apps');
      expect(obj?.metadata.managedFields?.some((f) => f.manager === 'gitops-seal' && f.operation === 'Apply')).toBe(true);
    }
    const secret = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'db', '-n', 'e2e-apps']);
    expect(Buffer.from(secret?.data.password ?? '', 'base64').toString()).toBe(CANARY);
    expect(await getJson(stack, ['clusterrole', 'e2e-reader'])).toBeDefined();
    const y = await getJson<{ data: Record<string, string>; metadata: { labels: Record<string, string> } }>(stack, [
      'configmap',
      'yaml11',
      '-n',
      'e2e-apps',
    ]);
    // kubectl's YAML 1.1: the unquoted key `n` is the boolean false, so the key is "false".
    expect(y?.data).toEqual({ false: '0644' });
    expect(y?.metadata.labels.enabled).toBe('yes');
    expect(applied()?.objects).toBe(8);
  });

  it('a webhook with a valid GitHub signature triggers the sync; a bad one gets 401', async () => {
    const sha = await repo.commit({ 'apps/hooked.yaml': cm('hooked', 'e2e-apps') }, 'via webhook');
    const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: sha }));
    const bad = await fetch(`${d.url}/hooks/repo`, {
      method: 'POST',
      body,
      headers: { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64), 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(applied()?.appliedRevision).not.toBe(sha);
    const sig = 'sha256=' + createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
    const t0 = Date.now();
    const ok = await fetch(`${d.url}/hooks/repo`, {
      method: 'POST',
      body,
      headers: { 'x-hub-signature-256': sig, 'content-type': 'application/json' },
    });
    expect(ok.status).toBe(202);
    await eventually('webhook revision applied', async () => applied()?.appliedRevision === sha);
    console.log(`[figure] webhook → applied: ${Date.now() - t0} ms`);
    expect(await getJson(stack, ['configmap', 'hooked', '-n', 'e2e-apps'])).toBeDefined();
  });

  it('a bad commit (malformed YAML, tampered secret, wrong key) changes nothing, names the file, keeps the last good revision', async () => {
    const good = applied()?.appliedRevision;
    const before = await getJson<{ metadata: { resourceVersion: string } }>(stack, ['configmap', 'one', '-n', 'e2e-apps']);
    const other = await generateAgeIdentity();
    const wrongKey = await encryptText(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: other\n  namespace: e2e-apps\nstringData:\n  password: ${CANARY}\n`,
      { format: 'yaml', source: 'apps/other.yaml', keys: { age: [other.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      {},
    );
    const original = (await repo.git(['show', 'HEAD:apps/secret.yaml'])) + '\n';
    const data = /password: ENC\[AES256_GCM,data:([^,]+),/.exec(original)?.[1] ?? '';
    const tampered = original.replace(data, (data[0] === 'A' ? 'B' : 'A') + data.slice(1));
    const cases: [Record<string, string | null>, RegExp][] = [
      [{ 'apps/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n' }, /manifests.*apps\/broken\.yaml/s],
      [{ 'apps/secret.yaml': tampered }, /decrypt.*apps\/secret\.yaml.*tampered or corrupted/s],
      [{ 'apps/other.yaml': wrongKey }, /decrypt.*apps\/other\.yaml/s],
    ];
    for (const [files, pattern] of cases) {
      // Each bad commit also deletes multi.yaml: a refused revision must not prune its objects.
      const sha = await repo.commit({ ...files, 'apps/multi.yaml': null }, 'bad');
      await d.daemon.sources.get('repo')?.trigger();
      await eventually('bad revision attempted', async () => applied()?.attemptedRevision === sha);
      const st = applied();
      expect(st?.lastError?.message).toMatch(pattern);
      expect(st?.lastError?.message).not.toContain(CANARY);
      expect(st?.appliedRevision).toBe(good);
      const after = await getJson<{ metadata: { resourceVersion: string } }>(stack, ['configmap', 'one', '-n', 'e2e-apps']);
      expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
      await repo.git(['reset', '--hard', 'HEAD~1']);
      await repo.git(['push', '--quiet', '--force', 'origin', 'HEAD:main']);
    }
    await d.daemon.sources.get('repo')?.trigger();
    expect(d.logs.text).not.toContain(CANARY);
  });

  it('prunes objects removed from Git, except protected ones; git revert rolls back', async () => {
    const sha = await repo.commit({ 'apps/hooked.yaml': null, 'apps/protected.yaml': null }, 'remove two');
    await d.daemon.sources.get('repo')?.trigger();
    await eventually('removal applied', async () => applied()?.appliedRevision === sha);
    expect(await getJson(stack, ['configmap', 'hooked', '-n', 'e2e-apps'])).toBeUndefined();
    expect(await getJson(stack, ['configmap', 'protected', '-n', 'e2e-apps'])).toBeDefined();
    await repo.git(['revert', '--no-edit', 'HEAD']);
    await repo.git(['push', '--quiet', 'origin', 'HEAD:main']);
    const reverted = await repo.head();
    await d.daemon.sources.get('repo')?.trigger();
    await eventually('revert applied', async () => applied()?.appliedRevision === reverted);
    expect(await getJson(stack, ['configmap', 'hooked', '-n', 'e2e-apps'])).toBeDefined();
  });

  it('reverts kubectl edits of owned fields within seconds and leaves fields it does not own alone', async () => {
    await kubectl(stack, ['label', 'configmap', 'one', '-n', 'e2e-apps', 'team=payments']);
    const t0 = Date.now();
    await kubectl(stack, ['patch', 'configmap', 'one', '-n', 'e2e-apps', '--type', 'merge', '-p', '{"data":{"k":"hacked"}}']);
    await eventually(
      'edit reverted',
      async () => (await getJson<{ data: Record<string, string> }>(stack, ['configmap', 'one', '-n', 'e2e-apps']))?.data.k === 'v',
      15_000,
    );
    console.log(`[figure] kubectl edit → reverted: ${Date.now() - t0} ms`);
    const after = await getJson<{ metadata: { labels: Record<string, string> } }>(stack, ['configmap', 'one', '-n', 'e2e-apps']);
    expect(after?.metadata.labels.team).toBe('payments');
    // A deleted object comes back too.
    await kubectl(stack, ['delete', 'configmap', 'two', '-n', 'e2e-apps']);
    await eventually(
      'deleted object recreated',
      async () => (await getJson(stack, ['configmap', 'two', '-n', 'e2e-apps'])) !== undefined,
      15_000,
    );
    // A clean cluster: a full check corrects nothing (and so writes nothing).
    await new Promise((r) => setTimeout(r, 500));
    expect(await d.daemon.drift.get('apps')?.fullCheck()).toBe(0);
    expect(applied()?.driftCorrections).toBeGreaterThanOrEqual(2);
  });

  it('never leaks the Secret plaintext into logs, /status or the event bus', async () => {
    const status = await (await fetch(`${d.url}/status`)).text();
    // The bus saw the applies, the drift corrections and the tampered revision's refusal.
    expect([...new Set(busEvents.map((e) => e.type))]).toEqual(
      expect.arrayContaining(['source.fetched', 'sync.started', 'sync.applied', 'drift.corrected', 'sync.refused']),
    );
    const history = applied()?.history ?? [];
    expect(history.some((h) => h.result === 'refused' && h.stage === 'decrypt' && /apps\/secret\.yaml/.test(h.message ?? ''))).toBe(true);
    expect(history.some((h) => h.result === 'applied')).toBe(true);
    for (const s of [status, d.logs.text, JSON.stringify(busEvents)]) {
      expect(s).not.toContain(CANARY);
      expect(s).not.toContain(Buffer.from(CANARY).toString('base64'));
      expect(s).not.toContain(Buffer.from(CANARY).toString('hex'));
    }
    const events = JSON.parse(await kubectl(stack, ['get', 'events', '-n', 'gitops-seal-system', '-o', 'json'])) as {
      items: { reason: string; type: string; message: string; involvedObject: { name: string } }[];
    };
    const ours = events.items.filter((e) => e.involvedObject.name === 'gitops-seal-inventory-apps');
    expect(ours.some((e) => e.reason === 'ReconciliationSucceeded' && e.type === 'Normal')).toBe(true);
    expect(
      ours.some(
        (e) => e.reason === 'ReconciliationFailed' && e.type === 'Warning' && /apps\/secret\.yaml.*tampered or corrupted/s.test(e.message),
      ),
    ).toBe(true);
    expect(await kubectl(stack, ['get', 'events', '-A', '-o', 'json'])).not.toContain(CANARY);
  });
});
