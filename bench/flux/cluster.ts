// What bench/flux.ts asks of the apiserver and of /proc: object counts and reads (the same for
// both tools: the apiserver is the referee, never a tool's own status), the apiserver's request
// counters, and each tool's CPU and memory.
import { readdirSync, readFileSync } from 'node:fs';
import { kubeRequest } from '../../test/stack/kube.js';
import type { KubeInfo } from '../../test/stack/types.js';
import { COUNTS, CRD_GROUP, type WorkloadCounts } from './workload.js';

export type Kube = Pick<KubeInfo, 'server' | 'token' | 'caFile'>;

export const COLLECTIONS: Record<keyof WorkloadCounts, string> = {
  configmaps: '/api/v1/namespaces/NS/configmaps',
  secrets: '/api/v1/namespaces/NS/secrets',
  deployments: '/apis/apps/v1/namespaces/NS/deployments',
  services: '/api/v1/namespaces/NS/services',
  benchwidgets: `/apis/${CRD_GROUP}/v1/namespaces/NS/benchwidgets`,
};

export async function kget<T = Record<string, unknown>>(kube: Kube, path: string): Promise<{ status: number; body: T | undefined }> {
  const r = await kubeRequest(kube, path);
  return { status: r.status, body: r.status === 200 ? (JSON.parse(r.body) as T) : undefined };
}

/** A request that must succeed; the error names the method, path and the apiserver's answer. */
export async function kcall(kube: Kube, method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
  const r = await kubeRequest(kube, path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), contentType: contentType ?? 'application/json' } : {}),
  });
  if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r.body ? (JSON.parse(r.body) as unknown) : undefined;
}

export const mergePatch = (kube: Kube, path: string, patch: unknown): Promise<unknown> =>
  kcall(kube, 'PATCH', path, patch, 'application/merge-patch+json');

/**
 * How many objects a namespace holds per workload collection: one `limit=1` LIST each, its item
 * plus `remainingItemCount` (no label selector, so the count is exact and cheap to serve).
 * ConfigMaps include the namespace's kube-root-ca.crt.
 */
export async function counts(kube: Kube, ns: string): Promise<WorkloadCounts> {
  const out = { ...COUNTS };
  await Promise.all(
    (Object.keys(COLLECTIONS) as (keyof WorkloadCounts)[]).map(async (k) => {
      const r = await kget<{ items: unknown[]; metadata: { remainingItemCount?: number } }>(
        kube,
        `${COLLECTIONS[k].replace('NS', ns)}?limit=1`,
      );
      out[k] = r.body ? r.body.items.length + (r.body.metadata.remainingItemCount ?? 0) : 0;
    }),
  );
  return out;
}

/** Every workload object is there (ConfigMaps: plus kube-root-ca.crt). */
export const complete = (c: WorkloadCounts): boolean =>
  (Object.keys(COUNTS) as (keyof WorkloadCounts)[]).every((k) => c[k] >= COUNTS[k] + (k === 'configmaps' ? 1 : 0));

/** Polls `check` every `everyMs` until it is true; resolves with the ms from `t0`, or rejects naming `what`. */
export async function until(what: string, check: () => Promise<boolean>, t0: number, timeoutMs: number, everyMs = 200): Promise<number> {
  for (;;) {
    if (await check().catch(() => false)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The `rev` value of the workload ConfigMap `name` in `ns` (undefined while absent). */
export async function cmRev(kube: Kube, ns: string, name: string): Promise<string | undefined> {
  const r = await kget<{ data?: Record<string, string> }>(kube, `/api/v1/namespaces/${ns}/configmaps/${name}`);
  return r.body?.data?.rev;
}

export async function cmIndex(kube: Kube, ns: string, name: string): Promise<string | undefined> {
  const r = await kget<{ data?: Record<string, string> }>(kube, `/api/v1/namespaces/${ns}/configmaps/${name}`);
  return r.body?.data?.index;
}

/** apiserver_request_total summed by verb, dry-runs apart ("APPLY (dry-run)"); watches counted as opened. */
export async function requestsByVerb(kube: Kube): Promise<Map<string, number>> {
  const text = (await kubeRequest(kube, '/metrics')).body;
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '?';
    const key = /dry_run="All"/.test(line) ? `${verb} (dry-run)` : verb;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

export function deltas(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** utime + stime of a process, in ms (0 once it is gone). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
export function memMiB(pid: number): { rss: number; peak: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** The kube-apiserver process serving `server` (https://127.0.0.1:<port>), from its argv. */
export function apiserverPid(server: string): number | undefined {
  const port = new URL(server).port;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv.includes('kube-apiserver') && argv.includes(`--secure-port=${port}`)) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
