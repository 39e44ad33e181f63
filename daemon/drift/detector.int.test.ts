// Drift correction on the shared stack's real kube-apiserver, driven through the real
// SyncController (reconcile → onApplied → track(), as daemon/runtime/assembly.ts wires it).
// The window the Flux benchmark found (bench/README.md): a manual change between our apply and
// the detector's track(). It is driven deterministically: onApplied runs the change, then
// track(), so the change lands after the apply and before the detector looks — no sleeping.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { memoryRevision } from '../../test/support/memory-revision.js';
import { TextCapture } from '../../test/support/text-capture.js';
import type { SyncSpec } from '../config/index.js';
import { EventBus, EventRecorder, recordSyncEvents, type DaemonEvent } from '../events/index.js';
import { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { createLogger } from '../log.js';
import { SyncController } from '../runtime/sync-controller.js';
import { StatusStore } from '../status/index.js';
import { DriftDetector } from './detector.js';

const stack = inject('stack');
const RUN = Date.now().toString(36);
const NS = `drift-${RUN}`;
const INV = `drift-inv-${RUN}`;
const CANARY = `drift-canary-${RUN}-value`;
const INTRUDER = `drift-intruder-${RUN}-value`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
let client: KubeClient;
const harnesses: Harness[] = [];

async function kubectl(args: string[], input?: string): Promise<string> {
  const p = promisify(execFile)(stack.bins.kubectl, [`--kubeconfig=${stack.kube.kubeconfig}`, ...args]);
  if (input !== undefined) p.child.stdin?.end(input);
  return (await p).stdout;
}
const mergePatch = (kind: string, name: string, patch: object) =>
  kubectl(['patch', kind, name, '-n', NS, '--type', 'merge', '-p', JSON.stringify(patch)]);
const get = (path: string) => client.request<KubeObject>(`/api/v1/namespaces/${NS}/${path}`);
const dataOf = async (path: string): Promise<Record<string, string>> => (await get(path)).data as Record<string, string>;

async function eventually(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - t0;
}

interface Harness {
  ctl: SyncController;
  detector: DriftDetector;
  logs: TextCapture;
  events: DaemonEvent[];
  status: StatusStore;
  /** Reconcile `files` at a new commit; `inWindow` runs after the apply, before track(). */
  apply(files: Record<string, string>, inWindow?: () => Promise<void>): Promise<void>;
}

function harness(name: string, debounceMs = 50, kube: KubeClient = client): Harness {
  const logs = new TextCapture();
  const log = createLogger({ level: 'debug', destination: logs });
  const bus = new EventBus();
  const events: DaemonEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const status = new StatusStore();
  status.follow(bus);
  const recorder = new EventRecorder(kube, INV);
  recordSyncEvents(bus, () => recorder);
  const spec = {
    name,
    source: 'repo',
    path: '',
    prune: true,
    intervalMs: 60_000,
    timeoutMs: 60_000,
    wait: false,
    force: true,
    maxPruneRatio: 0.5,
    allowEmpty: false,
  } satisfies SyncSpec;
  let window: (() => Promise<void>) | undefined;
  let tracked: Promise<void> = Promise.resolve();
  let detector: DriftDetector | undefined;
  const ctl = new SyncController(
    spec,
    kube,
    bus,
    log,
    {
      onApplied: (_sync, outcome) => {
        const w = window;
        window = undefined;
        tracked = (async () => {
          await w?.();
          await detector?.track(outcome);
        })();
      },
    },
    { inventoryNamespace: INV },
  );
  detector = new DriftDetector(name, ctl.manager, ctl, log, { debounceMs });
  let commit = 0;
  const h: Harness = {
    ctl,
    detector,
    logs,
    events,
    status,
    apply: async (files, inWindow) => {
      window = inWindow;
      await ctl.reconcile(memoryRevision(files, (++commit).toString(16).padStart(40, '0')));
      await tracked;
    },
  };
  harnesses.push(h);
  return h;
}

const cmYaml = (name: string, data: Record<string, string>): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata:\n${Object.entries(data)
    .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`)
    .join('')}`;

beforeAll(async () => {
  client = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  for (const n of [NS, INV])
    await client.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } } });
});
afterAll(async () => {
  for (const h of harnesses) h.detector.stop();
  for (const n of [NS, INV]) await client?.request(`/api/v1/namespaces/${n}`, { method: 'DELETE' }).catch(() => undefined);
  client?.close();
});

describe('a change between our apply and track() (the Flux benchmark window)', () => {
  it('a kubectl merge patch and a forced SSA of another manager, both landing before track(), are reverted', async () => {
    const h = harness('win');
    const files = { 'app.yaml': cmYaml('win', { k: 'v', q: '1' }) };
    let patchedAt = 0;
    await h.apply(files, async () => {
      await mergePatch('configmap', 'win', { data: { k: 'hacked' } });
      await kubectl(
        ['apply', '--server-side', '--force-conflicts', '--field-manager=intruder', '-f', '-'],
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: win\n  namespace: ${NS}\ndata:\n  q: "2"\n`,
      );
      // The detector's old baseline (a LIST now) would see both fields as theirs.
      const live = await get('configmaps/win');
      expect(live.data).toMatchObject({ k: 'hacked', q: '2' });
      expect(live.metadata.managedFields?.map((f) => f.manager).sort()).toEqual(['gitops-seal', 'intruder', 'kubectl-patch']);
      patchedAt = Date.now();
    });
    // track() resolves after its first full check, which compared live with what we applied.
    console.log(`[figure] change in the apply→track window → reverted: ${Date.now() - patchedAt} ms`);
    expect(await dataOf('configmaps/win')).toEqual({ k: 'v', q: '1' });
    expect(h.detector.corrections).toBe(1);
    const line = h.logs.lines().find((l) => l.msg === 'drift detected; re-applying');
    expect(line).toMatchObject({ object: `ConfigMap/${NS}/win`, fields: ['data.k', 'data.q'], owners: ['intruder', 'kubectl-patch'] });
    // Ours again: a later full check finds nothing and writes nothing.
    const rv = (await get('configmaps/win')).metadata.resourceVersion;
    expect(await h.detector.fullCheck()).toBe(0);
    expect((await get('configmaps/win')).metadata.resourceVersion).toBe(rv);
  });

  it('also when the apply skipped the object as a no-op (baseline: the live object the apply read)', async () => {
    const h = harness('noop');
    const files = { 'app.yaml': cmYaml('noop', { k: 'v' }) };
    await h.apply(files);
    // Another object changes, so the commit is applied (a commit whose objects all equal the
    // applied ones is recorded without an apply: issue 18's skip rule) and this one is a no-op.
    const next = { ...files, 'other.yaml': cmYaml('noop-other', { k: 'v2' }) };
    await h.apply(next, () => mergePatch('configmap', 'noop', { data: { k: 'hacked' } }).then(() => undefined));
    expect(h.events.filter((e) => e.type === 'sync.applied').map((e) => (e.type === 'sync.applied' ? e.changes.unchanged : -1))).toEqual([
      0, 1,
    ]);
    // The watches ran on through this second apply, so track() checks only what it stored; the
    // change to this unchanged object is reverted through its watch event, maybe after track().
    await eventually('no-op object reverted', async () => h.detector.corrections > 0);
    expect((await dataOf('configmaps/noop')).k).toBe('v');
    expect(h.detector.corrections).toBe(1);
  });

  it('two track() calls that overlap (a superseded one) lose no baseline', async () => {
    const h = harness('twice');
    let first: Promise<void> | undefined;
    await h.apply({ 'app.yaml': cmYaml('twice', { k: 'v' }) }, async () => {
      await mergePatch('configmap', 'twice', { data: { k: 'hacked' } });
      // Started before the harness's own track() of the same state, which supersedes it.
      const state = h.ctl.lastGood;
      if (state) first = h.detector.track(state);
    });
    await first;
    expect((await dataOf('configmaps/twice')).k).toBe('v');
    expect(h.detector.corrections).toBe(1);
    expect(h.logs.lines().filter((l) => l.msg === 'no drift baseline recorded; re-applying')).toEqual([]);
  });
});

describe('after track()', () => {
  it('a ConfigMap edit is reverted by the watch; fields we do not manage are left alone', async () => {
    const h = harness('edit');
    await h.apply({ 'app.yaml': cmYaml('edit', { k: 'v' }) });
    await kubectl(['label', 'configmap', 'edit', '-n', NS, 'team=payments']);
    await mergePatch('configmap', 'edit', { data: { extra: 'theirs' } });
    const t0 = Date.now();
    await mergePatch('configmap', 'edit', { data: { k: 'hacked' } });
    const ms = await eventually('edit reverted', async () => (await dataOf('configmaps/edit')).k === 'v');
    console.log(`[figure] kubectl patch after tracking → reverted by watch: ${Date.now() - t0} ms (${ms} ms polling)`);
    const live = await get('configmaps/edit');
    expect(live.data).toEqual({ k: 'v', extra: 'theirs' });
    expect(live.metadata.labels?.team).toBe('payments');
    expect(await h.detector.fullCheck()).toBe(0);
    expect(h.detector.corrections).toBe(1);
  });

  it('the full check compares with what we applied, also after a correction (watch checks put off)', async () => {
    const h = harness('full', 600_000);
    await h.apply({ 'app.yaml': cmYaml('full', { k: 'v', q: '1' }) });
    await mergePatch('configmap', 'full', { data: { k: 'one' } });
    expect(await h.detector.fullCheck()).toBe(1);
    await mergePatch('configmap', 'full', { data: { q: 'two' } });
    await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=intruder', '-f', '-'], cmYaml('full', { k: 'v' }));
    // q changed, and k is shared now but still ours: q only.
    expect(await h.detector.fullCheck()).toBe(1);
    expect(await dataOf('configmaps/full')).toEqual({ k: 'v', q: '1' });
    await kubectl(['delete', 'configmap', 'full', '-n', NS]);
    expect(await h.detector.fullCheck()).toBe(1);
    expect(await dataOf('configmaps/full')).toEqual({ k: 'v', q: '1' });
    expect(await h.detector.fullCheck()).toBe(0);
  });

  it('a new revision is not "corrected" back, and its own window is covered too', async () => {
    const h = harness('rev');
    await h.apply({ 'app.yaml': cmYaml('rev', { k: 'v1' }) });
    await h.apply({ 'app.yaml': cmYaml('rev', { k: 'v2' }), 'new.yaml': cmYaml('rev-new', { m: '1' }) }, () =>
      mergePatch('configmap', 'rev-new', { data: { m: 'hacked' } }).then(() => undefined),
    );
    expect((await dataOf('configmaps/rev')).k).toBe('v2');
    expect((await dataOf('configmaps/rev-new')).m).toBe('1');
    expect(h.detector.corrections).toBe(1);
  });
});

describe('requests per commit (issue 18)', () => {
  /** The requests `kube` sends while fn runs, as "METHOD path" (query left out, a LIST page marked). */
  async function requestsOf(kube: KubeClient, fn: () => Promise<void>): Promise<string[]> {
    const seen: string[] = [];
    const orig = kube.requestRaw.bind(kube);
    kube.requestRaw = (path, opts = {}) => {
      // The ReconciliationSucceeded Event is posted on its own schedule (events/recorder.ts).
      if (!path.includes('/events'))
        seen.push(
          `${opts.method ?? 'GET'}${opts.query?.dryRun !== undefined ? ' (dry-run)' : ''} ${path}${opts.query?.limit ? ' (page)' : ''}`,
        );
      return orig(path, opts);
    };
    try {
      await fn();
    } finally {
      kube.requestRaw = orig;
    }
    return seen;
  }

  it('a one-object commit costs the same requests at 3 and at 600 objects: no LIST of the sync after the first revision', async () => {
    const perSize: string[][] = [];
    for (const n of [3, 600]) {
      const kube = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
      try {
        // Watch-driven checks put off for the test (their GET would land inside or after the count).
        const h = harness(`cost${n}`, 600_000, kube);
        const doc = (i: number, v: string): string => cmYaml(`cost${n}-${String(i).padStart(4, '0')}`, { k: v });
        const all = (v0: string): Record<string, string> => ({
          'a.yaml': Array.from({ length: n }, (_, i) => doc(i, i === 0 ? v0 : 'v')).join('---\n'),
        });
        await h.apply(all('v'));
        // The first revision starts the watches: its full check LISTs the collection (2 pages at 600).
        const reqs = await requestsOf(kube, () => h.apply(all('v2')));
        expect((await dataOf(`configmaps/cost${n}-0000`)).k).toBe('v2');
        expect(reqs.filter((r) => r.endsWith('(page)'))).toEqual([]);
        // Names differ by size; the requests' kinds must not.
        perSize.push(reqs.map((r) => r.replace(new RegExp(`cost${n}`, 'g'), 'cost')).sort());
      } finally {
        kube.close();
      }
    }
    expect(perSize[1]).toEqual(perSize[0]);
    // 5 + 2 × changed objects (issue 18's bound) covers the reconcile and the detector's check.
    expect(perSize[0]?.length).toBeLessThanOrEqual(7);
  }, 120_000);
});

describe('Secrets', () => {
  it('a drifted Secret value is reverted, in the window and after; no value reaches logs, status, the bus or Events', async () => {
    const h = harness('sec');
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ${NS}\nstringData:\n  password: ${CANARY}\n`;
    await h.apply({ 'secret.yaml': secret }, () => mergePatch('secret', 'db', { data: { password: b64(INTRUDER) } }).then(() => undefined));
    expect((await dataOf('secrets/db')).password).toBe(b64(CANARY));
    await mergePatch('secret', 'db', { data: { password: b64(INTRUDER) } });
    await eventually('secret edit reverted', async () => (await dataOf('secrets/db')).password === b64(CANARY));
    expect(h.detector.corrections).toBe(2);
    expect(h.logs.lines().filter((l) => l.msg === 'drift detected; re-applying')).toHaveLength(2);
    const k8sEvents = await kubectl(['get', 'events', '-n', INV, '-o', 'json']);
    expect(k8sEvents).toContain('ReconciliationSucceeded');
    const seen = [h.logs.text, JSON.stringify(h.status.snapshot()), JSON.stringify(h.events), k8sEvents];
    for (const text of seen) for (const v of [CANARY, INTRUDER, b64(CANARY), b64(INTRUDER)]) expect(text).not.toContain(v);
    // What the log says instead: the object and the field.
    expect(h.logs.text).toContain('data.password');
  });
});
