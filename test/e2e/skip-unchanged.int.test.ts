// Issue 18 on the real stack: a commit reconciles only the syncs whose inputs changed, and
// webhooks that arrive while a reconcile runs coalesce into one follow-up of the newest head.
//
// Writes are counted by the kube-apiserver itself (apiserver_request_total). The apiserver is
// shared with other tests, so sync B manages only objects of a CRD whose API group exists for
// this run alone: every write request (apply, dry-run apply, create, delete) to that group is
// this daemon's, and a reconcile of B cannot happen without one (it dry-runs or applies its CR) —
// except collection deletes by the namespace controller, which are left out (scope="namespace").
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DaemonEvent } from '../../daemon/events/index.js';
import { kubeRequest } from '../stack/kube.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { eventually, getJson, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from './harness.js';

const stack = inject('stack');
const RUN = Math.random().toString(36).slice(2, 8);
const GROUP = `skip${RUN}.e2e.gitops-seal.io`;
const NS = `e2e-skip-${RUN}`;
const SECRET = 'e2e-skip-webhook';
const WRITE_VERBS = /verb="(APPLY|PATCH|POST|PUT|CREATE|UPDATE|DELETE|DELETECOLLECTION)"/;

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: probes.${GROUP}
spec:
  group: ${GROUP}
  scope: Namespaced
  names: {plural: probes, singular: probe, kind: Probe, listKind: ProbeList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;
const probe = (value: string, comment = ''): string =>
  `${comment}apiVersion: ${GROUP}/v1\nkind: Probe\nmetadata:\n  name: p\n  namespace: ${NS}\nspec:\n  value: "${value}"\n`;
const cm = (value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ${NS}\ndata:\n  value: "${value}"\n`;

/** Write requests to this run's API group, as the apiserver counts them (dry-runs included). */
async function groupWrites(): Promise<number> {
  const res = await kubeRequest(stack.kube, '/metrics');
  let sum = 0;
  for (const line of res.body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{') || !line.includes(`group="${GROUP}"`) || !WRITE_VERBS.test(line)) continue;
    // Requests on one object only: the namespace controller deletes every kind's collection in
    // each namespace other tests delete (scope="namespace"), our group's included.
    if (!line.includes('scope="resource"')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('skip unchanged syncs, coalesce webhooks (issue 18)', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  const events: DaemonEvent[] = [];
  const A = `skip-a-${RUN}`;
  const B = `skip-b-${RUN}`;

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.E2E_SKIP_WEBHOOK = SECRET;
    await kubectl(stack, ['apply', '-f', '-'], crd);
    await kubectl(stack, ['wait', '--for=condition=Established', `crd/probes.${GROUP}`, '--timeout=60s']);
    await kubectl(stack, ['create', 'namespace', NS]);
    repo = await WorkRepo.create(stack, `e2e-skip-${RUN}`);
    await repo.commit({ 'a/cm.yaml': cm('1'), 'b/probe.yaml': probe('1') }, 'initial');
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url, { webhook: { type: 'github', secretFrom: { env: 'E2E_SKIP_WEBHOOK' } } })],
        syncs: [A, B].map((name, i) => ({ name, source: 'repo', path: i === 0 ? 'a' : 'b', kubeconfig: { file: stack.kube.kubeconfig } })),
      },
    });
    d.daemon.bus.subscribe((e) => events.push(e));
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
    repo?.remove();
    await kubectl(stack, ['delete', 'namespace', NS, '--wait=false']).catch(() => undefined);
    await kubectl(stack, ['delete', 'crd', `probes.${GROUP}`, '--wait=false']).catch(() => undefined);
  });

  const row = (name: string) => d.daemon.status.snapshot().syncs.find((s) => s.name === name);
  const hook = async (sha: string): Promise<number> => {
    const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: sha }));
    const sig = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
    return (await fetch(`${d.url}/hooks/repo`, { method: 'POST', body, headers: { 'x-hub-signature-256': sig } })).status;
  };
  const bothAt = (sha: string) =>
    eventually(`both syncs at ${sha.slice(0, 7)}`, async () => row(A)?.appliedRevision === sha && row(B)?.appliedRevision === sha, 60_000);

  it('a commit touching only sync A: B sends no write to the apiserver, and its status shows the new revision', async () => {
    const first = await repo.head();
    await bothAt(first);
    expect(await getJson(stack, ['probes.' + GROUP, 'p', '-n', NS])).toBeDefined();
    const before = await groupWrites();
    const sha = await repo.commit({ 'a/cm.yaml': cm('2') }, 'only a');
    expect(await hook(sha)).toBe(202);
    await bothAt(sha);
    const a = await getJson<{ data: { value: string } }>(stack, ['configmap', 'a', '-n', NS]);
    expect(a?.data.value).toBe('2');
    expect(await groupWrites()).toBe(before);
    expect(row(B)?.lastReconcile).toMatchObject({ revision: sha, result: 'unchanged' });
    expect(row(B)?.lastReconcile?.phases.apply).toBeUndefined();
    // Nor a Kubernetes Event for B at this revision (A's is recorded).
    const announced = async (sync: string): Promise<boolean> => {
      const list = await getJson<{ items: { message: string }[] }>(stack, [
        'events',
        '-n',
        'gitops-seal-system',
        '--field-selector',
        `involvedObject.name=gitops-seal-inventory-${sync},reason=ReconciliationSucceeded`,
      ]);
      return (list?.items ?? []).some((e) => e.message.includes(sha.slice(0, 12)));
    };
    await eventually('the Event of sync A', () => announced(A));
    expect(await announced(B)).toBe(false);
    // A applied, and its breakdown runs from the webhook through the fetch to the apply.
    const ta = row(A)?.lastReconcile;
    expect(ta).toMatchObject({ revision: sha, result: 'applied' });
    expect(Object.keys(ta?.phases ?? {})).toEqual(
      expect.arrayContaining(['queue', 'negotiate', 'download', 'walk', 'read', 'parse', 'dry-run', 'apply', 'status']),
    );
    expect(ta?.totalMs).toBeGreaterThanOrEqual(ta?.phases.apply ?? Infinity);
  });

  it('a commit that changes B’s files but not its objects (a comment) is no write either; a real change to B is', async () => {
    const before = await groupWrites();
    const comment = await repo.commit({ 'b/probe.yaml': probe('1', '# reviewed\n') }, 'comment in b');
    expect(await hook(comment)).toBe(202);
    await bothAt(comment);
    expect(await groupWrites()).toBe(before);
    expect(row(B)?.lastReconcile).toMatchObject({ revision: comment, result: 'unchanged' });
    // The counter does see this daemon: B's own change is dry-run and applied.
    const inventoryVersion = async (): Promise<string | undefined> =>
      (
        await getJson<{ metadata: { resourceVersion: string } }>(stack, [
          'configmap',
          `gitops-seal-inventory-${B}`,
          '-n',
          'gitops-seal-system',
        ])
      )?.metadata.resourceVersion;
    const inv0 = await inventoryVersion();
    expect(inv0).toBeDefined();
    const change = await repo.commit({ 'b/probe.yaml': probe('2') }, 'b changes');
    expect(await hook(change)).toBe(202);
    await bothAt(change);
    expect(await groupWrites()).toBeGreaterThanOrEqual(before + 2);
    expect(row(B)?.lastReconcile).toMatchObject({ revision: change, result: 'applied' });
    expect(row(A)?.lastReconcile).toMatchObject({ revision: change, result: 'unchanged' });
    expect((await getJson<{ spec: { value: string } }>(stack, ['probes.' + GROUP, 'p', '-n', NS]))?.spec.value).toBe('2');
    // Same objects, new content: the inventory is not written. A new object: it is.
    expect(await inventoryVersion()).toBe(inv0);
    const added = await repo.commit({ 'b/probe2.yaml': probe('1').replace('name: p', 'name: q') }, 'b adds q');
    expect(await hook(added)).toBe(202);
    await bothAt(added);
    expect(await inventoryVersion()).not.toBe(inv0);
  });

  it('webhooks arriving during a slow reconcile give exactly one follow-up reconcile, of the newest head', async () => {
    const ctl = d.daemon.syncs.get(A);
    if (!ctl) throw new Error('no sync A');
    // Hold sync A's queue: the next reconcile waits behind this, as behind a slow apply.
    let release: () => void = () => undefined;
    const held = ctl.reapply(() => new Promise<number>((r) => (release = () => r(0))));
    const from = events.length;
    const first = await repo.commit({ 'a/cm.yaml': cm('3') }, 'slow one');
    expect(await hook(first)).toBe(202);
    await eventually('the fetch of the first commit', async () =>
      events.slice(from).some((e) => e.type === 'source.fetched' && e.commit === first),
    );
    const later: string[] = [];
    for (let i = 4; i < 8; i++) {
      later.push(await repo.commit({ 'a/cm.yaml': cm(String(i)) }, `during ${i}`));
      expect(await hook(later.at(-1) as string)).toBe(202);
    }
    const newest = later.at(-1) as string;
    // Sync A's held queue does not hold up the source: B, whose files these commits leave alone,
    // records the newest head while A still waits.
    try {
      await eventually('B at the newest head while A is held', async () => row(B)?.appliedRevision === newest, 60_000);
      expect(row(A)?.appliedRevision).not.toBe(newest);
    } finally {
      release(); // a failure above must not leave the daemon's drain waiting on A
    }
    await held;
    await bothAt(newest);
    await new Promise((r) => setTimeout(r, 1000)); // a second follow-up would show by now
    const seen = events.slice(from);
    // The source fetches on without waiting for sync A (a commit to B is not held up by A's
    // apply), so the commits in between may be fetched too; A reconciles only the newest.
    const fetched = seen.filter((e) => e.type === 'source.fetched').map((e) => (e as { commit: string }).commit);
    expect(fetched[0]).toBe(first);
    expect(fetched.at(-1)).toBe(newest);
    expect(fetched.every((c) => c === first || later.includes(c))).toBe(true);
    const started = seen.filter((e) => e.type === 'sync.started' && e.sync === A).map((e) => (e as { revision: string }).revision);
    expect(started).toEqual([first, newest]);
    expect((await getJson<{ data: { value: string } }>(stack, ['configmap', 'a', '-n', NS]))?.data.value).toBe('7');
  });
});
