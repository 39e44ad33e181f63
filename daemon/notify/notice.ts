// What a notification says, built from the bus's events. A notice carries names (sync,
// automation, source), a revision, a stage, counts and the cause text the daemon already shows
// in /status and Events (built from file/object names and causes, redacted by its producer);
// never a value, an object or a manifest. payloads.ts scrubs every string once more by shape.
import type { EventOf } from '../events/index.js';
import type { AlertEvent, AlertSpec } from './types.js';

export interface Notice {
  event: AlertEvent;
  /** The sync, or the image update automation, the notice is about. */
  sync?: string;
  automation?: string;
  source?: string;
  revision?: string;
  stage?: string;
  /** One line: what happened. */
  summary: string;
  /** The cause, one problem per line (refusals, write-back failures). */
  detail?: string;
  /** Whether it needs someone's attention (refusals, failures, drift) or is news (applied, pushed). */
  severity: 'info' | 'warning' | 'error';
  at: string;
}

const short = (rev: string): string => rev.slice(0, 12);

export function appliedNotice(e: EventOf<'sync.applied'>, commit: string): Notice {
  const c = e.changes;
  return {
    event: 'applied',
    sync: e.sync,
    revision: commit,
    summary: `sync ${e.sync}: revision ${short(commit)} applied: ${e.objects} objects (${c.created} created, ${c.configured} configured, ${e.pruned} pruned)`,
    severity: 'info',
    at: e.at,
  };
}

/** The kind of refusal: decrypt and health have alerts of their own; `refused` matches all three. */
export function refusalEvent(stage: string): AlertEvent {
  return stage === 'decrypt' ? 'decrypt-failed' : stage === 'health' ? 'health-degraded' : 'refused';
}

export function refusedNotice(e: EventOf<'sync.refused'>): Notice {
  const event = refusalEvent(e.stage);
  const what = event === 'decrypt-failed' ? 'could not be decrypted' : event === 'health-degraded' ? 'is not healthy' : 'refused';
  return {
    event,
    sync: e.sync,
    revision: e.revision,
    stage: e.stage,
    summary: `sync ${e.sync}: revision ${short(e.revision)} ${what} (stage ${e.stage}); the last good revision stays applied`,
    detail: e.message,
    severity: 'error',
    at: e.at,
  };
}

export function driftNotice(e: EventOf<'drift.corrected'>, times: number, windowText: string): Notice {
  return {
    event: 'drift',
    sync: e.sync,
    summary: `sync ${e.sync}: drift corrected ${times} times within ${windowText} (${e.objects} objects re-applied just now); something keeps changing what Git declares`,
    severity: 'warning',
    at: e.at,
  };
}

export function pushedNotice(e: EventOf<'image.pushed'>): Notice {
  const files = e.files.length > 5 ? `${e.files.slice(0, 5).join(', ')} and ${e.files.length - 5} more` : e.files.join(', ');
  return {
    event: 'writeback-pushed',
    automation: e.automation,
    source: e.source,
    revision: e.commit,
    summary: `image update ${e.automation}: pushed ${short(e.commit)} to source ${e.source}${files ? ` (${files})` : ''}`,
    severity: 'info',
    at: e.at,
  };
}

export function writebackFailedNotice(e: EventOf<'image.failed'>): Notice {
  return {
    event: 'writeback-failed',
    automation: e.automation,
    source: e.source,
    stage: e.reason,
    summary: `image update ${e.automation}: could not push to source ${e.source} (${e.reason}); will retry on the next scan`,
    detail: e.message,
    severity: 'error',
    at: e.at,
  };
}

/** Whether `alert` wants this notice. */
export function matches(alert: AlertSpec, n: Notice): boolean {
  const wanted =
    alert.events.includes(n.event) || ((n.event === 'decrypt-failed' || n.event === 'health-degraded') && alert.events.includes('refused'));
  if (!wanted) return false;
  if (n.sync !== undefined) return alert.syncs === undefined || alert.syncs.includes(n.sync);
  if (n.automation !== undefined) return alert.imageUpdates === undefined || alert.imageUpdates.includes(n.automation);
  return true;
}

/** The de-duplication key's reason: the stage and the first line of the cause (same problem, same key). */
export function dedupKey(alert: string, n: Notice): string {
  const firstLine = (n.detail ?? '').split('\n', 1)[0] ?? '';
  return [alert, n.sync ?? '', n.automation ?? '', n.event, n.stage ?? '', firstLine].join('\0');
}
