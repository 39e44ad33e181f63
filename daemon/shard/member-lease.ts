// This replica's member Lease `G-member-<slug>`: renewed every look (liveness), annotated with
// its identity, advertised address and map fingerprint (fence.ts), released on a graceful stop.
// Its acquireTime is set at this process's first write and kept after: the member's join time,
// which the map fence orders members by (a restarted process joins anew).
import type { Logger } from '../log.js';
import { LeaseConflictError, leaseSeconds, microTime, releasedRecord, type LeaseRecord } from '../leader/index.js';
import type { GroupLease, GroupLeaseApi, Meta } from './lease-api.js';
import { ANNOTATION_ADDRESS, ANNOTATION_IDENTITY, ANNOTATION_MAP, leaseLabels, memberLeaseName } from './names.js';
import type { ShardingOptions } from './options.js';

export class MemberLease {
  readonly name: string;
  private rv = '';
  private record: LeaseRecord | undefined;

  constructor(
    private readonly api: GroupLeaseApi,
    private readonly opts: ShardingOptions,
    private readonly log: Logger,
    private readonly wall: () => number,
  ) {
    this.name = memberLeaseName(opts.group, opts.identity);
  }

  /** Our join time as the apiserver stored it (undefined before the first write of this process). */
  get joined(): string | undefined {
    return this.record?.acquireTime;
  }

  meta(): Meta {
    const o = this.opts;
    return {
      labels: leaseLabels(o.group, 'member'),
      annotations: {
        [ANNOTATION_IDENTITY]: o.identity,
        ...(o.advertiseUrl ? { [ANNOTATION_ADDRESS]: o.advertiseUrl } : {}),
        ...(o.mapFingerprint ? { [ANNOTATION_MAP]: o.mapFingerprint } : {}),
      },
    };
  }

  /** Create or renew from the listed Lease (`listed`); the written Lease, or undefined on failure. */
  async renew(listed: GroupLease | undefined, timeoutMs: number): Promise<GroupLease | undefined> {
    const now = microTime(this.wall());
    const prev = listed?.record;
    const record: LeaseRecord = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: leaseSeconds(this.opts.leaseDurationMs),
      acquireTime: this.record?.acquireTime ?? now,
      renewTime: now,
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (prev && prev.holderIdentity !== this.opts.identity ? 1 : 0),
    };
    try {
      const written = listed
        ? await this.api.update(this.name, record, this.meta(), listed.resourceVersion, timeoutMs)
        : await this.api.create(this.name, record, this.meta(), timeoutMs);
      this.rv = written.resourceVersion;
      this.record = written.record;
      return written;
    } catch (err) {
      if (!(err instanceof LeaseConflictError))
        this.log.warn({ lease: this.name, err: msg(err) }, 'sharding: cannot renew the member lease');
      return undefined;
    }
  }

  /** Hand the member Lease back (graceful stop): peers see us gone on their next look. */
  async release(timeoutMs: number): Promise<void> {
    const record = this.record;
    if (!record) return;
    const release = (rv: string): Promise<unknown> =>
      this.api.update(this.name, releasedRecord(record, this.wall()), this.meta(), rv, timeoutMs);
    await release(this.rv)
      .catch(async (err: unknown) => {
        if (!(err instanceof LeaseConflictError)) throw err;
        const current = (await this.api.list(timeoutMs)).find((l) => l.name === this.name);
        if (current?.record.holderIdentity === this.opts.identity) await release(current.resourceVersion);
      })
      .catch((err: unknown) => this.log.warn({ lease: this.name, err: msg(err) }, 'sharding: could not release the member lease'));
  }
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
