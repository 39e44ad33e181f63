// Thin packs a source had to fetch again whole (daemon/git/upload-pack.ts's fallback). The
// fetch still succeeds, so nothing else shows it: a counter that keeps rising means a server
// whose thin packs we refuse to complete (a delta cycle, a chain too deep) and every commit pays
// a second round trip with the changed blobs in full.
import { Counter } from 'prom-client';
import { registry } from './registry.js';

export const thinPackFallbacks = new Counter({
  name: 'gitops_seal_source_thin_pack_fallbacks_total',
  help: 'Thin packs that could not be completed safely and were fetched again without thin-pack, per source.',
  labelNames: ['source'] as const,
  registers: [registry],
});

export function initSourceMetrics(source: string): void {
  thinPackFallbacks.inc({ source }, 0);
}

/**
 * Turns the running totals the bus carries into counter increments. One per daemon (per
 * followEvents): several daemons of one test process may name their sources alike.
 */
export function thinPackFallbackRecorder(): (source: string, total: number) => void {
  const seen = new Map<string, number>();
  return (source, total) => {
    const delta = total - (seen.get(source) ?? 0);
    seen.set(source, total);
    if (delta > 0) thinPackFallbacks.inc({ source }, delta);
  };
}
