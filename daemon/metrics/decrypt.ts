// Decryption failures per sync and cause. The reason is a fixed word chosen from the error's
// type (daemon/decrypt's decryptFailureReason), never anything read from the file: labels carry
// no secret material and no file contents.
import { Counter } from 'prom-client';
import { DECRYPT_FAILURE_REASONS, type DecryptFailureReason } from '../decrypt/index.js';
import { registry } from './registry.js';

export const decryptFailures = new Counter({
  name: 'gitops_seal_decrypt_failures_total',
  help: 'Encrypted files that could not be decrypted, counted per reconcile attempt, by reason (tampered, no-key, vault, format, unsupported-key, not-covered, scope, other).',
  labelNames: ['sync', 'reason'] as const,
  registers: [registry],
});

/** Every reason starts at 0 for a sync, so increase() sees the first failure. */
export function initDecryptMetrics(sync: string): void {
  for (const reason of DECRYPT_FAILURE_REASONS) decryptFailures.inc({ sync, reason }, 0);
}

export function recordDecryptFailures(sync: string, reasons: readonly DecryptFailureReason[]): void {
  for (const reason of reasons) decryptFailures.inc({ sync, reason });
}
