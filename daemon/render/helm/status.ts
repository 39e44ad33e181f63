// What `/status` shows of a sync's Helm release: which chart (name, version, digest, source
// without credentials), which values (digest over the committed bytes, never a plaintext), the
// render identity, and each hook that was not run with the reason. Nothing rendered.

import type { HelmRenderResult } from './types.js';

export interface HelmStatus {
  chart: string;
  version: string;
  appVersion?: string;
  digest: string;
  source: string;
  valuesDigest: string;
  identity: string;
  hooks: { pre: number; post: number };
  skippedHooks: { kind: string; name: string; events: string[]; reason: string }[];
}

export function helmStatus(r: HelmRenderResult): HelmStatus {
  return {
    chart: r.chart.name,
    version: r.chart.version,
    ...(r.chart.appVersion !== undefined ? { appVersion: r.chart.appVersion } : {}),
    digest: r.chart.digest,
    source: r.chart.source,
    valuesDigest: r.valuesDigest,
    identity: r.identity,
    hooks: { pre: r.hooks.pre.length, post: r.hooks.post.length },
    skippedHooks: r.skippedHooks.map((s) => ({ kind: s.kind, name: s.name, events: s.events, reason: s.reason })),
  };
}
