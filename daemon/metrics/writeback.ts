// Image-update write-back: commits pushed and runs that failed, per automation. The failure
// reason is the WritebackError reason (auth, push-rejected, conflict, not-found, network,
// signing, protocol, storage).
import { Counter } from 'prom-client';
import { registry } from './registry.js';

export const writebackCommits = new Counter({
  name: 'gitops_seal_writeback_commits_total',
  help: 'Commits pushed by an image update automation.',
  labelNames: ['automation', 'source'] as const,
  registers: [registry],
});

export const writebackFailures = new Counter({
  name: 'gitops_seal_writeback_failures_total',
  help: 'Image update automation runs that failed to push, by reason.',
  labelNames: ['automation', 'source', 'reason'] as const,
  registers: [registry],
});

export function initWritebackMetrics(automation: string, source: string): void {
  writebackCommits.inc({ automation, source }, 0);
}

export function recordWritebackRun(
  automation: string,
  source: string,
  run: { reason: 'pushed' | 'no-change' | 'error'; errorReason?: string },
): void {
  if (run.reason === 'pushed') writebackCommits.inc({ automation, source });
  else if (run.reason === 'error') writebackFailures.inc({ automation, source, reason: run.errorReason ?? 'unknown' });
}
