// `gitops-seal status` and `gitops-seal reconcile` against a real daemon (in-process, on the real
// stack: git server → daemon → kube-apiserver), run in-process through runCli (cli-capture.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ExitCode } from '../../cli/errors.js';
import { DEFAULT_INVENTORY_NAMESPACE, INVENTORY_PREFIX } from '../../daemon/inventory/inventory.js';
import type { DaemonStatus, SyncStatus } from '../../daemon/status/index.js';
import { freePort } from '../stack/procs.js';
import { runCaptured, type RunResult as Run } from '../support/cli-capture.js';
import { eventually, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';

const stack = inject('stack');
const ID = Math.random().toString(36).slice(2, 8);
const NS = `cli-status-${ID}`;
const GOOD = `clis-ok-${ID}`;
const BROKEN = `clis-bad-${ID}`;

function cli(args: string[], env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] }): Promise<Run> {
  return runCaptured(args, { env, cwd: tmpdir(), confirm: undefined });
}

describe('gitops-seal status / reconcile on a running daemon', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  let head: string;
  let config: object;
  let configDir: string;
  const sync = (name: string): SyncStatus | undefined => d.daemon.status.snapshot().syncs.find((s) => s.name === name);

  beforeAll(async () => {
    setGitEnv(stack);
    repo = await WorkRepo.create(stack, `cli-status-${ID}`);
    head = await repo.commit({
      'good/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`,
      'good/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${NS}\ndata:\n  mode: blue\n`,
      'broken/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n',
      'broken/worse.yaml': 'kind: [\n',
    });
    const syncSpec = (name: string, path: string): object => ({ name, source: 'src', path, kubeconfig: { file: stack.kube.kubeconfig } });
    config = {
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: { sources: [gitSourceConfig(stack, 'src', repo.url)], syncs: [syncSpec(GOOD, 'good'), syncSpec(BROKEN, 'broken')] },
    };
    d = await startDaemon(config);
    await eventually(
      'first reconcile of both syncs',
      async () => sync(GOOD)?.appliedRevision === head && sync(BROKEN)?.lastError !== undefined,
      60_000,
    );
  });

  afterAll(async () => {
    await d?.stop();
    repo?.remove();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
    await kubectl(stack, ['delete', 'namespace', NS, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    const inventories = [GOOD, BROKEN].map((s) => `configmap/${INVENTORY_PREFIX}${s}`);
    await kubectl(stack, ['delete', '-n', DEFAULT_INVENTORY_NAMESPACE, ...inventories, '--ignore-not-found']).catch(() => undefined);
  });

  it('-o json prints the daemon status: the applied commit, and exit 1 because one sync fails', async () => {
    const r = await cli(['status', '--url', d.url, '-o', 'json']);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    const status = JSON.parse(r.out) as DaemonStatus;
    const good = status.syncs.find((s) => s.name === GOOD);
    expect(good).toMatchObject({ source: 'src', appliedRevision: head, attemptedRevision: head, ready: true, objects: 2 });
    expect(good?.lastError).toBeUndefined();
    expect(status.syncs.find((s) => s.name === BROKEN)).toMatchObject({
      ready: false,
      attemptedRevision: head,
      lastError: { stage: 'manifests', revision: head },
    });
    expect(status.sources[0]).toMatchObject({ name: 'src', commit: head });
    expect(r.err).toMatch(new RegExp(`^status: sync "${BROKEN}": manifests: .*broken/bad\\.yaml`, 'm'));
    expect(r.err).not.toContain(GOOD);
  });

  it('--sync narrows to one sync (exit 0 when it is healthy); GITOPS_SEAL_URL and -o yaml work', async () => {
    const r = await cli(['status', '--sync', GOOD, '-o', 'yaml'], { GITOPS_SEAL_URL: d.url });
    expect(r).toMatchObject({ code: ExitCode.OK, err: '' });
    expect(parse(r.out)).toMatchObject({ name: GOOD, appliedRevision: head, ready: true });
    const unknown = await cli(['status', '--url', d.url, '--sync', 'nope']);
    expect(unknown.code).toBe(ExitCode.USAGE);
    expect(unknown.err).toContain(`no sync named "nope" (syncs: ${GOOD}, ${BROKEN})`);
  });

  it('the table shows one row per sync, the source, and the error of the failing sync', async () => {
    const r = await cli(['status', '--url', d.url]);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(r.out).toMatch(/^NAME\s+SOURCE\s+READY\s+APPLIED\s+ATTEMPTED\s+OBJECTS\s+DRIFT FIXES\s+LAST ERROR\s+AGE$/m);
    const sha = head.slice(0, 12);
    expect(r.out).toMatch(new RegExp(`^${GOOD}\\s+src\\s+True\\s+${sha}\\s+${sha}\\s+2\\s+0\\s+-\\s+\\d+s$`, 'm'));
    expect(r.out).toMatch(new RegExp(`^${BROKEN}\\s+src\\s+False\\s+-\\s+${sha}\\s+0\\s+0\\s+manifests: .*broken/bad\\.yaml.*\\s+-$`, 'm'));
    expect(r.out).toMatch(new RegExp(`Sources:\\nNAME.*\\nsrc\\s+${repo.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+\\S+\\s+${sha}\\s`));
  });

  it('reconcile --wait re-applies the sync: exit 0, the applied revision printed, lastAttemptAt advanced', async () => {
    const before = sync(GOOD)?.lastAttemptAt ?? '';
    const r = await cli(['reconcile', '--sync', GOOD, '--url', d.url, '--wait', '--timeout', '30s']);
    expect(r.err).toBe('');
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toMatch(new RegExp(`^sync "${GOOD}": applied ${head.slice(0, 12)} \\(2 objects\\) in \\d+\\.\\ds\\n$`));
    const after = sync(GOOD);
    expect(Date.parse(after?.lastAttemptAt ?? '')).toBeGreaterThan(Date.parse(before));
    expect(Date.parse(after?.lastAppliedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(after?.lastAttemptAt ?? ''));
  });

  it('reconcile --wait -o json prints the sync status after the attempt', async () => {
    const before = sync(GOOD)?.lastAttemptAt ?? '';
    const r = await cli(['reconcile', '-s', GOOD, '--url', d.url, '-w', '-o', 'json']);
    expect(r.code).toBe(ExitCode.OK);
    const s = JSON.parse(r.out) as SyncStatus;
    expect(s).toMatchObject({ name: GOOD, appliedRevision: head, ready: true });
    expect(Date.parse(s.lastAttemptAt ?? '')).toBeGreaterThan(Date.parse(before));
  });

  it('reconcile --wait of a failing sync: exit 1 with stage and every file, on one line', async () => {
    const r = await cli(['reconcile', '--sync', BROKEN, '--url', d.url, '--wait']);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      new RegExp(
        `^gitops-seal: sync "${BROKEN}": reconcile failed after \\d+\\.\\ds: manifests: .*broken/bad\\.yaml.*; broken/worse\\.yaml:.*\\n$`,
      ),
    );
    expect(r.err.split('\n')).toHaveLength(2);
  });

  it('reconcile without --wait returns once accepted, and the daemon does reconcile', async () => {
    const before = sync(GOOD)?.lastAttemptAt ?? '';
    const r = await cli(['reconcile', '--sync', GOOD, '--url', d.url]);
    expect(r).toEqual({ code: ExitCode.OK, out: `sync "${GOOD}": reconcile requested\n`, err: '' });
    await eventually('triggered attempt', async () => Date.parse(sync(GOOD)?.lastAttemptAt ?? '') > Date.parse(before));
    const json = await cli(['reconcile', '--sync', GOOD, '--url', d.url, '-o', 'json']);
    expect(json.code).toBe(ExitCode.OK);
    expect(JSON.parse(json.out)).toEqual({ sync: GOOD, accepted: true });
  });

  it('reconcile of an unknown sync: exit 2 naming the known syncs', async () => {
    const r = await cli(['reconcile', '--sync', 'no-such-sync', '--url', d.url, '--wait']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toBe(`gitops-seal: the daemon at ${d.url} has no sync named "no-such-sync" (syncs: ${GOOD}, ${BROKEN})\n`);
  });

  it('an unreachable daemon: exit 8 naming the URL and the cause', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    for (const args of [['status'], ['reconcile', '--sync', GOOD, '--wait']]) {
      const r = await cli([...args, '--url', url]);
      expect(r.code, args.join(' ')).toBe(ExitCode.REMOTE);
      expect(r.err, args.join(' ')).toBe(
        `gitops-seal: cannot reach the gitops-seal daemon at ${url}: connection refused (ECONNREFUSED); is gitops-seal-daemon running and listening there? (--url, GITOPS_SEAL_URL)\n`,
      );
    }
  });

  it('diff -o yaml on the applied revision: no differences, exit 0', async () => {
    configDir = mkdtempSync(join(tmpdir(), 'gitops-seal-cli-status-'));
    const file = join(configDir, 'daemon.yaml');
    writeFileSync(file, stringify(config));
    const r = await cli(['diff', '-c', file, '-s', GOOD, '-o', 'yaml'], { ...process.env });
    expect(r.err).toBe('');
    expect(r.code).toBe(ExitCode.OK);
    const report = parse(r.out) as { sync: string; revision: string; objects: { action: string }[]; pruned: unknown[] };
    expect(report).toMatchObject({ sync: GOOD, revision: head, pruned: [] });
    expect(report.objects.map((o) => o.action)).toEqual(['none', 'none']);
  });
});
