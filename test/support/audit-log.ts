// Reads a kube-apiserver audit log (JSON lines, test/stack/kube.ts `audit: true`) into the
// writes daemon replicas made — the replica taken from the User-Agent
// (daemon/kube/user-agent.ts) — and counts what issue 21 asks about: no object written by two
// replicas in one revision window, and no ping-pong (A, B, A) of an object between replicas.
import { readFileSync } from 'node:fs';
import { replicaOfUserAgent } from '../../daemon/kube/user-agent.js';

export interface AuditWrite {
  /** ms since the epoch when the apiserver finished the request. */
  at: number;
  verb: string;
  /** `group/resource/namespace/name` (group '' for the core API, namespace '' cluster-wide). */
  object: string;
  replica: string;
  code: number;
}

interface AuditEvent {
  stage?: string;
  verb?: string;
  requestURI?: string;
  userAgent?: string;
  stageTimestamp?: string;
  objectRef?: { apiGroup?: string; resource?: string; namespace?: string; name?: string; subresource?: string };
  responseStatus?: { code?: number };
}

/** Not the objects a sync applies: coordination, the replicas' own Events, tokens. */
const IGNORED = new Set(['leases', 'events', 'tokenreviews', 'subjectaccessreviews', 'selfsubjectaccessreviews']);

/** Successful writes by daemon replicas (dry-runs and failed requests left out), in time order. */
export function readAuditWrites(file: string): AuditWrite[] {
  const out: AuditWrite[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    let e: AuditEvent;
    try {
      e = JSON.parse(line) as AuditEvent;
    } catch {
      continue; // the apiserver is writing this line right now
    }
    if (e.stage !== 'ResponseComplete' || !e.objectRef?.resource || IGNORED.has(e.objectRef.resource)) continue;
    if (!['create', 'update', 'patch', 'delete'].includes(e.verb ?? '')) continue;
    if ((e.requestURI ?? '').includes('dryRun=')) continue;
    const code = e.responseStatus?.code ?? 0;
    if (code < 200 || code > 299) continue;
    const replica = replicaOfUserAgent(e.userAgent ?? '');
    if (replica === undefined || !e.objectRef.name) continue;
    const r = e.objectRef;
    out.push({
      at: Date.parse(e.stageTimestamp ?? ''),
      verb: e.verb ?? '',
      object: `${r.apiGroup ?? ''}/${r.resource}${r.subresource ? `/${r.subresource}` : ''}/${r.namespace ?? ''}/${r.name}`,
      replica,
      code,
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

export interface Window {
  /** A label (e.g. the commit). */
  name: string;
  from: number;
  to: number;
}

export interface DoubleWrite {
  window: string;
  object: string;
  replicas: string[];
}

/** Objects written by more than one replica inside one window (a revision's time span). */
export function doubleWrites(writes: readonly AuditWrite[], windows: readonly Window[]): DoubleWrite[] {
  const out: DoubleWrite[] = [];
  for (const w of windows) {
    const by = new Map<string, Set<string>>();
    for (const x of writes)
      if (x.at >= w.from && x.at < w.to) (by.get(x.object) ?? by.set(x.object, new Set()).get(x.object)!).add(x.replica);
    for (const [object, rs] of by) if (rs.size > 1) out.push({ window: w.name, object, replicas: [...rs].sort() });
  }
  return out;
}

/**
 * Objects whose writer changed back (A … B … A): ownership moves once per failover or
 * rebalance, so a return means two replicas wrote the object in turns.
 */
export function pingPongs(writes: readonly AuditWrite[]): { object: string; writers: string[] }[] {
  const seq = new Map<string, string[]>();
  for (const w of writes) {
    const s = seq.get(w.object) ?? seq.set(w.object, []).get(w.object)!;
    if (s[s.length - 1] !== w.replica) s.push(w.replica);
  }
  return [...seq].filter(([, s]) => new Set(s).size < s.length).map(([object, writers]) => ({ object, writers }));
}

/** Writes per replica. */
export function writesPerReplica(writes: readonly AuditWrite[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of writes) out[w.replica] = (out[w.replica] ?? 0) + 1;
  return out;
}
