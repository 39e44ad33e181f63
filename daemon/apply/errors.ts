// Errors of the ResourceManager verbs. Each failure names the object (Kind.group/ns/name)
// and carries the apiserver's reason; Secret values were redacted before they got here.
import { NoMatchError } from '../kube/errors.js';
import { formatKey, keyOf, type KubeObject, type ObjectKey } from '../kube/types.js';
import type { ChangeSet } from './changeset.js';
import type { Health } from '../health/index.js';

export interface ObjectFailure {
  key: ObjectKey;
  subject: string;
  /** Short reason: `Invalid`, `NotFound`, `NoMatch`, `Conflict`, `InvalidObject`, ... */
  reason: string;
  message: string;
  cause?: unknown;
}

/** One object's failure as reports show it, from whatever a request or a check threw. */
export function toFailure(obj: KubeObject, err: unknown): ObjectFailure {
  const key = keyOf(obj);
  const subject = formatKey(key);
  let reason = 'Error';
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof NoMatchError) reason = 'NoMatch';
  else if (err instanceof InvalidObjectError) reason = 'InvalidObject';
  else if (err instanceof Error && 'reason' in err && typeof err.reason === 'string' && 'detail' in err && typeof err.detail === 'string') {
    // KubeApiError: its message already starts with the subject; keep the server's words.
    reason = err.reason;
    message = `${reason}: ${err.detail}`;
  }
  // The object's subject prefixes the message in reports; avoid saying it twice.
  if (message.startsWith(`${subject}: `)) message = message.slice(subject.length + 2);
  return { key, subject, reason, message, cause: err };
}

export function failureMessage(failures: readonly ObjectFailure[], max = 10): string {
  const lines = failures.slice(0, max).map((f) => `  ${f.subject}: ${f.message}`);
  if (failures.length > max) lines.push(`  ... and ${failures.length - max} more`);
  return lines.join('\n');
}

/** Some objects of a stage failed; later stages were not applied. */
export class ApplyError extends Error {
  override readonly name = 'ApplyError';
  constructor(
    readonly stage: string,
    readonly failures: ObjectFailure[],
    /** What was applied before and during the failing stage. */
    readonly changeSet: ChangeSet,
  ) {
    super(`apply failed in stage ${stage}: ${failures.length} object(s) failed\n${failureMessage(failures)}`);
  }
}

/** The object itself is unusable before any request (no name, no namespace, ...). */
export class InvalidObjectError extends Error {
  override readonly name = 'InvalidObjectError';
  constructor(
    readonly key: ObjectKey,
    detail: string,
  ) {
    super(`${formatKey(key)}: ${detail}`);
  }
}

export class DeleteError extends Error {
  override readonly name = 'DeleteError';
  constructor(
    readonly failures: ObjectFailure[],
    readonly changeSet: ChangeSet,
  ) {
    super(`delete failed for ${failures.length} object(s)\n${failureMessage(failures)}`);
  }
}

export interface WaitState {
  key: ObjectKey;
  subject: string;
  health: Health;
}

/** Objects did not become Ready in time, or one became Degraded. */
export class WaitError extends Error {
  override readonly name = 'WaitError';
  constructor(
    readonly reason: 'timeout' | 'degraded',
    /** The objects that are not Ready, with their last observed health. */
    readonly pending: WaitState[],
    readonly elapsedMs: number,
  ) {
    const lines = pending.slice(0, 10).map((p) => `  ${p.subject}: ${p.health.status}${p.health.message ? ` (${p.health.message})` : ''}`);
    super(
      `${reason === 'timeout' ? `timeout after ${elapsedMs} ms` : 'degraded'} waiting for ${pending.length} object(s)\n${lines.join('\n')}`,
    );
  }
}
