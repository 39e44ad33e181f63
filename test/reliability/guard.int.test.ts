// Mass-deletion guard, beyond test/e2e/daemon-advanced (which covers "every manifest file
// deleted" once): a revision that drops most objects, renames all of them, keeps only an empty
// YAML file, or removes the directory; a sync re-pointed (config change + restart) at a wrong
// path or at a sibling directory — each refused with nothing pruned and nothing applied. And
// the other side, so the guard cannot pass by refusing everything: exactly maxPruneRatio is
// allowed, maxPruneRatio: 1 prunes most, allowEmpty prunes all (but only on a path that exists).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gitSourceConfig, kubectl, setGitEnv, WorkRepo } from '../e2e/harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';

const stack = inject('stack');
const sfx = randomBytes(3).toString('hex');
const NS = `rel-guard-${sfx}`;
const SYNC = `rel-guard-${sfx}`;
const N = 6;
const NAMES = Array.from({ length: N }, (_, i) => `c${i}`);

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata: {k: v}\n`;
const baseline = (): Record<string, string> => Object.fromEntries(NAMES.map((n) => [`g/${n}.yaml`, cm(n)]));
const removed = (names: string[]): Record<string, null> => Object.fromEntries(names.map((n) => [`g/${n}.yaml`, null]));

const daemonConfig = (sync: Record<string, unknown>, url: string) => ({
  apiVersion: 'gitops-seal.io/v1alpha1',
  kind: 'DaemonConfig',
  spec: {
    sources: [gitSourceConfig(stack, 'repo', url)],
    syncs: [{ name: SYNC, source: 'repo', path: 'g', interval: '1h', kubeconfig: { file: stack.kube.kubeconfig }, ...sync }],
  },
});

/** ConfigMaps present in the namespace (one LIST). */
async function present(): Promise<string[]> {
  const out = await kubectl(stack, [
    'get',
    'configmaps',
    '-n',
    NS,
    '-l',
    `gitops-seal.io/sync=${SYNC}`,
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  return out
    .split(/\s+/)
    .filter((s) => s !== '')
    .sort();
}

describe('mass-deletion guard', () => {
  let repo: WorkRepo;
  let d: RunningDaemon | undefined;
  const figures = { refused: 0, allowed: 0 };
  const dataDirs: string[] = [];

  /** A fresh daemon process-equivalent (new data dir, only the cluster inventory carries over) with this sync config. */
  async function restart(sync: Record<string, unknown> = {}): Promise<RunningDaemon> {
    await d?.stop();
    d = await startDaemon(daemonConfig(sync, repo.url), { start: false });
    dataDirs.push(d.dataDir);
    return d;
  }

  async function expectRefused(what: string, pattern: RegExp, unchanged: string[] = NAMES): Promise<void> {
    const errors = await (d as RunningDaemon).daemon.once();
    expect(errors.map((e) => e.message).join('\n'), what).toMatch(pattern);
    expect(await present(), `${what}: nothing pruned, nothing applied`).toEqual(unchanged);
    figures.refused++;
  }

  async function expectApplied(what: string, left: string[]): Promise<void> {
    expect(
      (await (d as RunningDaemon).daemon.once()).map((e) => e.message),
      what,
    ).toEqual([]);
    expect(await present(), what).toEqual(left);
    figures.allowed++;
  }

  /** Back to all N objects applied (a forward commit). */
  async function restoreBaseline(): Promise<void> {
    await repo.commit({ ...baseline(), 'g/empty.yaml': null, 'g/notes.txt': null }, 'restore');
    await expectApplied('baseline restored', NAMES);
  }

  beforeAll(async () => {
    setGitEnv(stack);
    await kubectl(stack, ['create', 'namespace', NS]);
    repo = await WorkRepo.create(stack, `rel-guard-${sfx}`);
    await repo.commit({ ...baseline(), 'other/x.yaml': cm('x') }, 'baseline');
    await restart();
    await expectApplied('baseline', NAMES);
  });

  afterAll(async () => {
    await d?.stop();
    await kubectl(stack, ['delete', 'namespace', NS, '--wait=false']).catch(() => '');
    await kubectl(stack, ['delete', 'configmap', `gitops-seal-inventory-${SYNC}`, '-n', 'gitops-seal-system', '--ignore-not-found']).catch(
      () => '',
    );
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    repo?.remove();
  });

  it('refuses a revision that deletes most objects (4 of 6 > 50%)', async () => {
    await repo.commit(removed(NAMES.slice(0, 4)));
    await expectRefused('most deleted', /prune-guard.*refusing to prune 4 of 6 objects \(67% > 50%/s);
    await restoreBaseline();
  });

  it('refuses a revision that renames every object (all stale although the revision is not empty)', async () => {
    await repo.commit({ ...removed(NAMES), ...Object.fromEntries(NAMES.map((n) => [`g/r-${n}.yaml`, cm(`r-${n}`)])) });
    await expectRefused('all renamed', /prune-guard.*refusing to prune 6 of 6/s);
    await repo.commit({ ...baseline(), ...Object.fromEntries(NAMES.map((n) => [`g/r-${n}.yaml`, null])) });
    await expectApplied('renames reverted', NAMES);
  });

  it('refuses a revision whose only manifest is an empty YAML file', async () => {
    await repo.commit({ ...removed(NAMES), 'g/empty.yaml': '# all gone\n---\n' });
    await expectRefused('empty manifest', /prune-guard.*refusing to prune all 6 objects: the new revision has no objects/s);
    await restoreBaseline();
  });

  it('refuses a revision that removes the directory (only a non-manifest file elsewhere is left)', async () => {
    await repo.commit({ ...removed(NAMES) });
    await expectRefused('directory gone', /manifests.*path "g" has no manifest files/s);
    await restoreBaseline();
  });

  it('refuses a sync re-pointed at a nonexistent path or a sibling directory (config change + restart)', async () => {
    await restart({ path: 'nowhere' });
    await expectRefused('nonexistent path', /manifests.*path "nowhere" has no manifest files/s);
    await restart({ path: 'other' });
    // Pruning all 6 for 1 new object: refused, and the new object is not applied either.
    await expectRefused('sibling path', /prune-guard.*refusing to prune 6 of 6/s);
    await restart();
    await expectApplied('back on the right path', NAMES);
  });

  it('allows what it should: exactly maxPruneRatio, maxPruneRatio: 1, allowEmpty — and then prunes', async () => {
    await repo.commit(removed(NAMES.slice(0, 3)));
    await expectApplied('3 of 6 = 50% is not more than 50%', NAMES.slice(3));
    await restoreBaseline();
    await repo.commit(removed(NAMES.slice(0, 5)));
    await restart({ maxPruneRatio: 1 });
    await expectApplied('maxPruneRatio 1 prunes 5 of 6', NAMES.slice(5));
    await restoreBaseline();
    // allowEmpty on a wrong path is still refused: git has no empty directories, so a path
    // without any file does not exist (a typo), which is not "emptied on purpose".
    await restart({ allowEmpty: true, path: 'nowhere' });
    await expectRefused('allowEmpty, nonexistent path', /manifests.*path "nowhere" does not exist in this revision/s);
    await repo.commit({ ...removed(NAMES), 'g/notes.txt': 'no manifests here\n' });
    await restart({ allowEmpty: true });
    await expectApplied('allowEmpty prunes every object', []);
    console.log(
      `[figure] guard: ${figures.refused} revisions refused with 0 objects pruned, ${figures.allowed} allowed (incl. 3 explicitly allowed mass prunes)`,
    );
  });
});
