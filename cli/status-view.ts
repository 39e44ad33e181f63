// Pure rendering of the daemon's /status for `gitops-seal status` (kubectl-style tables) and the
// verdicts behind its exit code and `reconcile --wait`. No I/O here: `now` is a parameter so
// ages are testable.
import { stripUserinfo } from '../daemon/git/credentials.js';
import type { SyncStatus } from '../daemon/status/index.js';
import type { StatusDocument } from './daemon-client.js';
import { fleetHeadline, isFleet, ownerCell, staleReason } from './fleet-view.js';

/** Columns separated by three spaces, each as wide as its widest cell (kubectl's layout). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** kubectl's short human durations: 45s, 5m30s, 42m, 3h20m, 30h, 4d. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** Age of an ISO timestamp, or '-' when absent or unparsable. */
export function ageOf(iso: unknown, now: number): string {
  if (typeof iso !== 'string') return '-';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '-' : formatAge(now - t);
}

/** One line, at most `max` characters (an ellipsis marks the cut). */
export function truncate(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, Math.max(0, max - 1))}…`;
}

export function shortSha(sha: unknown): string {
  return typeof sha === 'string' && sha !== '' ? sha.slice(0, 12) : '-';
}

const ERROR_WIDTH = 60;

function str(v: unknown): string {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '-';
}

function field(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined;
}

/** Error text of an entry: `{stage?, message}` objects (syncs, sources) or plain strings (images). */
function errorText(err: unknown): string {
  if (typeof err === 'string') return truncate(err, ERROR_WIDTH);
  const message = field(err, 'message');
  if (typeof message !== 'string') return '-';
  const stage = field(err, 'stage');
  return truncate(typeof stage === 'string' ? `${stage}: ${message}` : message, ERROR_WIDTH);
}

/**
 * A sync error's cause without the daemon's `sync "X" revision R refused at STAGE:` head: the
 * row (or line) already names sync, revision and stage, and a table cell has no room to repeat it.
 */
export function syncErrorCause(message: string): string {
  return message.replace(/^sync "[^"]*" revision \S+ refused at \S+:\s*/, '');
}

/** A multi-line error (one indented line per problem) as one line: `head: a; b`. */
export function joinLines(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.reduce((acc, l, i) => (i === 0 ? l : `${acc}${acc.endsWith(':') ? ' ' : '; '}${l}`), '');
}

export const SYNC_HEADERS = ['NAME', 'SOURCE', 'READY', 'APPLIED', 'ATTEMPTED', 'OBJECTS', 'DRIFT FIXES', 'LAST ERROR', 'AGE'] as const;

/** AGE is the time since the last successful apply. */
export function syncRow(s: SyncStatus, now: number): string[] {
  return [
    s.name,
    str(s.source),
    s.ready ? 'True' : 'False',
    shortSha(s.appliedRevision),
    shortSha(s.attemptedRevision),
    str(s.objects),
    str(s.driftCorrections),
    s.lastError ? errorText({ stage: s.lastError.stage, message: syncErrorCause(s.lastError.message) }) : '-',
    ageOf(s.lastAppliedAt, now),
  ];
}

/** Why a sync counts as unhealthy (exit 1), or undefined when it is ready and error-free. */
export function syncProblem(s: SyncStatus): string | undefined {
  const stale = staleReason(s);
  if (stale !== undefined) return `sync "${s.name}": not current (${truncate(stale, 200)})`;
  if (s.lastError) return `sync "${s.name}": ${s.lastError.stage}: ${truncate(syncErrorCause(s.lastError.message), 200)}`;
  if (!s.ready) return `sync "${s.name}": not ready (no revision applied yet)`;
  return undefined;
}

function section(title: string, headers: readonly string[], rows: string[][]): string {
  return rows.length === 0 ? '' : `\n${title}:\n${renderTable(headers, rows)}`;
}

/** The whole table view: syncs, then sources, images and image updates when the daemon has them. */
export function renderStatus(doc: StatusDocument, now: number, only?: string): string {
  const syncs = only === undefined ? doc.syncs : doc.syncs.filter((s) => s.name === only);
  const sourceNames = new Set(syncs.map((s) => s.source));
  const sources = only === undefined ? doc.sources : doc.sources.filter((s) => sourceNames.has(s.name));
  const fleet = isFleet(doc);
  let out = fleet
    ? `${fleetHeadline(doc)}\n\n`
    : `daemon started ${ageOf(doc.startedAt, now)} ago, leader: ${doc.leader === false ? 'no' : 'yes'}\n\n`;
  out +=
    syncs.length === 0
      ? 'No syncs.\n'
      : renderTable(
          fleet ? [...SYNC_HEADERS, 'REPLICA'] : SYNC_HEADERS,
          syncs.map((s) => (fleet ? [...syncRow(s, now), ownerCell(s)] : syncRow(s, now))),
        );
  const notCurrent = syncs.flatMap((s) => {
    const why = staleReason(s);
    return why === undefined ? [] : [`  ${s.name}: ${truncate(why, 160)}`];
  });
  if (notCurrent.length > 0) out += `\nNot current (shown as this replica last knew them; REPLICA marked ?):\n${notCurrent.join('\n')}\n`;
  out += section(
    'Sources',
    ['NAME', 'URL', 'REF', 'COMMIT', 'FETCHES', 'SKIPPED', 'LAST FETCH', 'LAST ERROR'],
    sources.map((s) => [
      s.name,
      typeof s.url === 'string' ? stripUserinfo(s.url) : '-',
      str(s.ref),
      shortSha(s.commit),
      str(s.fetches),
      str(s.skippedFetches),
      ageOf(s.lastFetchAt, now),
      errorText(s.lastError),
    ]),
  );
  // --shards: who owns what (read loosely: the section is absent on unsharded daemons).
  const sharding = doc.sharding;
  if (sharding && typeof sharding === 'object' && Array.isArray(sharding.members)) {
    const me = typeof sharding.identity === 'string' ? sharding.identity : '';
    const map = typeof sharding.map === 'string' ? `, shard map ${sharding.map}` : '';
    out += `\nSharding: ${str(sharding.shards)} shards in group ${str(sharding.group)}, this replica ${me || '-'}${map}\n`;
    // The map fence (daemon/shard/fence.ts): why a replica holds nothing during a rolling update.
    const waiting = Array.isArray(sharding.waitingForMap) ? sharding.waitingForMap.map(str) : [];
    if (waiting.length > 0)
      out += `Waiting: older replicas with another shard map (another configuration) hold shards: ${waiting.join(', ')}; this replica holds none until they are gone\n`;
    out += renderTable(
      ['MEMBER', 'ADDRESS', 'SHARDS', 'OWNED'],
      sharding.members.map((m) => [
        `${str(m.identity)}${m.identity === me ? ' (this)' : ''}`,
        str(m.address),
        str(Array.isArray(m.owned) ? m.owned.length : undefined),
        Array.isArray(m.owned) && m.owned.length > 0 ? m.owned.join(',') : '-',
      ]),
    );
  }
  if (only !== undefined) return out;
  // Image automation entries are typed loosely on purpose: read field by field so a daemon
  // that adds or drops a field still renders.
  out += section(
    'Images',
    ['NAME', 'IMAGE', 'LATEST', 'CHOSEN', 'SCANS', 'FAILURES', 'LAST SCAN', 'LAST ERROR'],
    doc.images.map((i) => [
      str(field(i, 'name')),
      str(field(i, 'image')),
      str(field(i, 'latestTag')),
      str(field(i, 'chosenTag')),
      str(field(i, 'scans')),
      str(field(i, 'failures')),
      ageOf(field(i, 'lastScanAt'), now),
      errorText(field(i, 'lastError')),
    ]),
  );
  out += section(
    'Image updates',
    ['NAME', 'BRANCH', 'LAST RUN', 'RESULT', 'LAST PUSH', 'PUSHED', 'LAST ERROR'],
    doc.imageUpdates.map((u) => [
      str(field(u, 'name')),
      str(field(u, 'branch')),
      ageOf(field(u, 'lastRunAt'), now),
      str(field(u, 'lastReason')),
      shortSha(field(u, 'lastPushedCommit')),
      ageOf(field(u, 'lastPushedAt'), now),
      errorText(field(u, 'lastError')),
    ]),
  );
  // Notification providers and commit-status targets: the last delivery of each (read loosely too).
  out += section(
    'Notifications',
    ['NAME', 'KIND', 'TYPE', 'DELIVERED', 'FAILED', 'DROPPED', 'QUEUED', 'LAST', 'LAST MESSAGE', 'RESULT'],
    (doc.notifications ?? []).map((n) => {
      const last = field(n, 'last');
      const ok = field(last, 'ok');
      return [
        str(field(n, 'name')),
        str(field(n, 'kind')),
        str(field(n, 'type')),
        str(field(n, 'delivered')),
        str(field(n, 'failed')),
        str(field(n, 'dropped')),
        str(field(n, 'queued')),
        ageOf(field(last, 'at'), now),
        str(field(last, 'label')),
        ok === true
          ? `ok (${str(field(last, 'attempts'))} attempt(s))`
          : ok === false
            ? truncate(`${str(field(last, 'reason'))}: ${str(field(last, 'error'))}`, ERROR_WIDTH)
            : '-',
      ];
    }),
  );
  return out;
}

export type AttemptOutcome =
  { done: false } | { done: true; ok: true; revision: string } | { done: true; ok: false; stage: string; message: string };

function time(iso: string | undefined): number {
  return iso === undefined ? Number.NaN : Date.parse(iso);
}

/**
 * Whether the sync finished an attempt that started after `before` (its status read before the
 * reconcile was requested). Comparing the daemon's own timestamps avoids clock skew between
 * CLI and daemon. The controller sets lastAttemptAt when an attempt starts, then either
 * lastAppliedAt (success) or lastError.at (failure) when it ends.
 */
export function attemptOutcome(before: SyncStatus | undefined, now: SyncStatus): AttemptOutcome {
  const started = time(now.lastAttemptAt);
  if (Number.isNaN(started)) return { done: false };
  const previous = time(before?.lastAttemptAt);
  if (!Number.isNaN(previous) && started <= previous) return { done: false };
  if (now.lastError && time(now.lastError.at) >= started) {
    return { done: true, ok: false, stage: now.lastError.stage, message: syncErrorCause(now.lastError.message) };
  }
  if (!now.lastError && now.appliedRevision !== undefined && time(now.lastAppliedAt) >= started) {
    return { done: true, ok: true, revision: now.appliedRevision };
  }
  return { done: false };
}
