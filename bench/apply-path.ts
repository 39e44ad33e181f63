// The request path alone: ResourceManager.validate (server-side dry-run of every object) then
// .apply of N ConfigMaps into a fresh namespace, per client variant, against a private
// kube-apiserver; no git, no parsing, no inventory. Variants `h1-<c>` / `h2-<c>` (transport and
// concurrency; `-strict` appended: fieldValidation=Strict instead of the default Ignore) and
// `kubectl` (apply --server-side of the same objects) run in rotating order per
// round; CPU of this process / kubectl, kube-apiserver and etcd from /proc/<pid>/stat.
// Usage: [N=1000] [R=3] [V=h1-32,h2-32,kubectl] npx tsx bench/apply-path.ts
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeClient } from '../daemon/kube/client.js';
import { ResourceManager } from '../daemon/apply/index.js';
import type { KubeObject } from '../daemon/kube/types.js';
import { kubeBins, startKube } from '../test/stack/kube.js';
const run = promisify(execFile);
const TICK = 10;
const stat = (pid: string, i: number) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[i]) + Number(f[i + 1])) * TICK;
};
function findPid(m: (a: string[]) => boolean): string {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (m(readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0'))) return d;
    } catch {}
  }
  throw new Error('nf');
}
const N = Number(process.env.N ?? 1000),
  R = Number(process.env.R ?? 3);
const variants = (process.env.V ?? 'h1-32,h2-32').split(',');
const kube = await startKube({ nodes: 1, dir: mkdtempSync(join(tmpdir(), 'micro-kube-')) });
const port = new URL(kube.info.server).port;
const api = findPid((a) => a.includes('kube-apiserver') && a.includes(`--secure-port=${port}`));
const etcdPort = new URL(
  readFileSync(`/proc/${api}/cmdline`, 'utf8')
    .split('\0')
    .find((a) => a.startsWith('--etcd-servers='))!
    .slice(15),
).port;
const etcd = findPid((a) => a[1] === 'etcd' && a.includes(etcdPort));
const kubectl = join(kubeBins().kubeStack, '..', 'kubectl');
const work = mkdtempSync(join(tmpdir(), 'micro-'));
await run(kubectl, [`--kubeconfig=${kube.info.kubeconfig}`, 'get', 'ns']);
type M = { wall: number; self: number; api: number; etcd: number };
const measure = async (f: () => Promise<unknown>, self: () => number): Promise<M> => {
  const s0 = self(),
    a0 = stat(api, 11),
    e0 = stat(etcd, 11),
    t0 = performance.now();
  await f();
  return { wall: performance.now() - t0, self: self() - s0, api: stat(api, 11) - a0, etcd: stat(etcd, 11) - e0 };
};
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const cms = (ns: string, n = N): KubeObject[] =>
  Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}`, namespace: ns },
    data: { index: String(i), payload: 'x'.repeat(200) },
  }));
const res: Record<string, { dry: M; apply: M; total: M }[]> = {};
const fmt = (m: M) => `wall ${m.wall.toFixed(0)} self ${m.self.toFixed(0)} api ${m.api} etcd ${m.etcd}`;
// Round -1: untimed warm-up of every variant with 20 objects (module loading, first TLS session).
for (let r = -1; r < R; r++) {
  const order = r % 2 ? [...variants].reverse() : variants;
  const count = r < 0 ? 20 : N;
  for (const v of order) {
    const [proto, c, fv] = v.split('-');
    if (proto === 'kubectl') {
      const dir = join(work, `k${r + 1}`);
      mkdirSync(dir);
      writeFileSync(
        join(dir, 'a.yaml'),
        cms(`k${r + 1}`, count)
          .map((o) => JSON.stringify(o))
          .join('\n---\n'),
      );
      await run(kubectl, [`--kubeconfig=${kube.info.kubeconfig}`, 'create', 'ns', `k${r + 1}`]);
      const childCpu = () => stat('self', 13);
      const t = await measure(
        () =>
          run(kubectl, [`--kubeconfig=${kube.info.kubeconfig}`, 'apply', '--server-side', '--field-manager=bench', '-f', dir], {
            maxBuffer: 1 << 26,
          }),
        childCpu,
      );
      if (r >= 0) (res[v] ??= []).push({ dry: t, apply: t, total: t });
      console.log(`r${r} ${v}: ${fmt(t)} load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
      continue;
    }
    const client = await KubeClient.load({ kubeconfig: kube.info.kubeconfig }, { http2: proto === 'h2', maxSockets: Number(c) });
    const m = new ResourceManager(client, {
      syncName: 'micro',
      concurrency: Number(c),
      ...(fv === 'strict' ? { fieldValidation: 'Strict' as const } : {}),
    });
    const ns = `m${r + 1}-${v}`;
    await m.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }]);
    const objs = cms(ns, count);
    const total0 = { self: selfCpu(), api: stat(api, 11), etcd: stat(etcd, 11), t: performance.now() };
    const dry = await measure(async () => {
      const x = await m.validate(objs);
      if (!x.ok) throw new Error(JSON.stringify(x.failures[0]?.message));
    }, selfCpu);
    const apply = await measure(() => m.apply(objs), selfCpu);
    const total = {
      wall: performance.now() - total0.t,
      self: selfCpu() - total0.self,
      api: stat(api, 11) - total0.api,
      etcd: stat(etcd, 11) - total0.etcd,
    };
    client.close();
    if (r >= 0) (res[v] ??= []).push({ dry, apply, total });
    console.log(
      `r${r} ${v}: dry[${fmt(dry)}] apply[${fmt(apply)}] total[${fmt(total)}] load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
    );
  }
}
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
for (const [v, rs] of Object.entries(res)) {
  const k = (f: (x: { dry: M; apply: M; total: M }) => number) => med(rs.map(f)).toFixed(0);
  console.log(
    `MEDIAN ${v}: dry wall ${k((x) => x.dry.wall)} self ${k((x) => x.dry.self)} api ${k((x) => x.dry.api)} | apply wall ${k((x) => x.apply.wall)} self ${k((x) => x.apply.self)} api ${k((x) => x.apply.api)} etcd ${k((x) => x.apply.etcd)} | total wall ${k((x) => x.total.wall)} self ${k((x) => x.total.self)} api ${k((x) => x.total.api)} etcd ${k((x) => x.total.etcd)}`,
  );
}
await kube.stop();
process.exit(0);
