// Steady state of bench/flux.ts: a tool alone on an unchanged, already applied repo at a 1-minute
// interval, for a window. The apiserver counts the requests (apiserver_request_total deltas by
// verb); /proc gives the tool's and the apiserver's CPU and the tool's RSS (sampled every 5 s).
// The apiserver is shared: a control window with neither tool running measures the background.
import { cpuMs, deltas, median, memMiB, requestsByVerb, type Kube } from './cluster.js';

export interface Window {
  label: string;
  minutes: number;
  /** Request deltas by verb (dry-runs apart). */
  requests: Map<string, number>;
  toolCpuMs: number;
  apiserverCpuMs: number;
  /** Median and maximum of the RSS samples (sum over the tool's processes), MiB. */
  rssMedian: number;
  rssMax: number;
  /** Extra per-tool counts, e.g. Flux's own rest_client_requests_total by method. */
  client?: Map<string, number>;
}

export async function steadyWindow(
  kube: Kube,
  label: string,
  minutes: number,
  pids: number[],
  apiserver: number | undefined,
  client?: () => Promise<Map<string, number>>,
): Promise<Window> {
  const r0 = await requestsByVerb(kube);
  const c0 = await client?.();
  const cpu = (): number => pids.reduce((s, p) => s + cpuMs(p), 0);
  const [t0, a0] = [cpu(), apiserver ? cpuMs(apiserver) : 0];
  const samples: number[] = [];
  const end = Date.now() + minutes * 60_000;
  while (Date.now() < end) {
    if (pids.length) samples.push(pids.reduce((s, p) => s + memMiB(p).rss, 0));
    await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(0, end - Date.now()))));
  }
  const requests = deltas(await requestsByVerb(kube), r0);
  const c1 = await client?.();
  return {
    label,
    minutes,
    requests,
    toolCpuMs: cpu() - t0,
    apiserverCpuMs: apiserver ? cpuMs(apiserver) - a0 : NaN,
    rssMedian: samples.length ? median(samples) : 0,
    rssMax: samples.length ? Math.max(...samples) : 0,
    ...(c0 && c1 ? { client: deltas(c1, c0) } : {}),
  };
}

export const totalRequests = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** "GET 12, LIST 3, WATCH 2" per minute, biggest first. */
export function perMinute(m: Map<string, number>, minutes: number): string {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / minutes).toFixed(1)}`)
    .join(', ');
}
