// The shard group as its Leases say: the members (identity, advertised address, alive or not)
// and each shard's holder. One label-selected LIST per refresh, shared by concurrent callers and
// reused for `refreshMs` so a burst of webhooks or /status calls costs one request.
//
// Liveness follows daemon/leader/decide.ts: a member is live while leaseDurationSeconds have not
// passed on OUR clock since we last saw its record change — never judged from the renewTime
// another machine wrote (clocks of different nodes may disagree).
import type { KubeClient } from '../kube/client.js';
import { observe, recordOf, type LeaseRecord, type Observed } from '../leader/index.js';
import { ANNOTATION_ADDRESS, ANNOTATION_IDENTITY, groupSelector, LABEL_ROLE, LABEL_SHARD } from './labels.js';
import { FleetLeaseError } from './errors.js';

export interface Member {
  identity: string;
  /** Where peers reach its listener (absent: it advertises none). */
  address?: string;
  live: boolean;
}

export interface Roster {
  members: ReadonlyMap<string, Member>;
  /** Shard k → holder identity ("" or absent: nobody holds it). */
  holders: ReadonlyMap<number, string>;
  /** Monotonic ms of the read. */
  at: number;
}

/** A Lease as listed: the metadata and spec fields the group's Leases carry. */
interface GroupLease {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Partial<LeaseRecord>;
}

export interface RosterOptions {
  namespace: string;
  group: string;
  /** Reuse a read this long (default 1 s). */
  refreshMs?: number;
  /** Bound of one LIST (default 3 s). */
  timeoutMs?: number;
  /** Monotonic clock (tests). */
  now?: () => number;
}

export class RosterReader {
  private readonly observed = new Map<string, Observed>();
  private last: Roster | undefined;
  private inflight: Promise<Roster> | undefined;
  private readonly now: () => number;
  private readonly path: string;

  constructor(
    private readonly kube: Pick<KubeClient, 'request'>,
    private readonly opts: RosterOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(opts.namespace)}/leases`;
  }

  /** The roster, at most refreshMs old; throws FleetLeaseError when the Leases cannot be listed. */
  read(): Promise<Roster> {
    const fresh = this.last && this.now() - this.last.at < (this.opts.refreshMs ?? 1000);
    if (fresh && this.last) return Promise.resolve(this.last);
    this.inflight ??= this.list().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async list(): Promise<Roster> {
    const timeoutMs = this.opts.timeoutMs ?? 3000;
    let items: GroupLease[];
    try {
      const res = await this.kube.request<{ items?: GroupLease[] }>(this.path, {
        query: { labelSelector: groupSelector(this.opts.group) },
        timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      items = res.items ?? [];
    } catch (err) {
      throw new FleetLeaseError(this.opts.namespace, this.opts.group, err instanceof Error ? err.message : String(err));
    }
    const at = this.now();
    const roster = rosterOf(items, at, this.observed);
    this.last = roster;
    return roster;
  }
}

/** The roster of listed Leases; `observed` keeps, per Lease, when we first saw its record as it is now. */
export function rosterOf(items: readonly GroupLease[], at: number, observed: Map<string, Observed>): Roster {
  const members = new Map<string, Member>();
  const holders = new Map<number, string>();
  const seen = new Set<string>();
  for (const lease of items) {
    const name = lease.metadata.name;
    const record = recordOf(lease);
    const o = observe(observed.get(name), record, at);
    observed.set(name, o);
    seen.add(name);
    const role = lease.metadata.labels?.[LABEL_ROLE];
    if (role === 'member') {
      const identity = lease.metadata.annotations?.[ANNOTATION_IDENTITY] ?? record.holderIdentity;
      if (identity === '') continue;
      const address = lease.metadata.annotations?.[ANNOTATION_ADDRESS];
      const live = record.holderIdentity !== '' && at < o.at + record.leaseDurationSeconds * 1000;
      members.set(identity, { identity, ...(address ? { address } : {}), live });
    } else if (role === 'shard') {
      const k = Number(lease.metadata.labels?.[LABEL_SHARD]);
      if (Number.isInteger(k) && k >= 0) holders.set(k, record.holderIdentity);
    }
  }
  // Forget Leases that are gone, so a recreated one is observed afresh.
  for (const name of observed.keys()) if (!seen.has(name)) observed.delete(name);
  return { members, holders, at };
}
