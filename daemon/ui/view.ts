// The page's models, built on request from the StatusStore snapshot (the document /status
// serves: one source of truth), the configured sources and syncs, the live feed, the commit
// subjects and — for a sync's page — its objects. Everything leaves through redactView().
import type { DaemonStatus, SyncStatus } from '../status/index.js';
import { CommitMessages } from './commits.js';
import type { LiveFeed } from './feed.js';
import { ObjectsView } from './objects.js';
import type { UiConfig, UiParts } from './parts.js';
import { redactView } from './redact.js';
import type { AutomationView, DaemonView, ImageView, OverviewModel, SyncModel, SyncView } from './web/model.js';

function decryptionOf(spec: UiConfig['spec']['syncs'][number]): string[] {
  const d = spec.decryption;
  if (!d) return [];
  return [
    ...(d.age ? ['age'] : []),
    ...(d.vault ? ['vault transit'] : []),
    ...(d.clusterKey ? ['cluster key'] : []),
    ...(d.sealedSecrets ? ['sealed secrets'] : []),
  ];
}

function refText(ref: Readonly<Record<string, string>>): string {
  const [k, v] = Object.entries(ref)[0] ?? ['', ''];
  return k ? `${k} ${v}` : '';
}

/**
 * The store drops lastError when a revision applies, so a lastError is the latest outcome. Pending
 * is read from the times, not the revisions: a Helm sync's applied revision is its identity
 * (commit + chart), never equal to the commit it attempted.
 */
export function stateOf(s: Pick<SyncStatus, 'lastError' | 'lastAttemptAt' | 'lastAppliedAt' | 'appliedRevision'>): SyncView['state'] {
  if (s.lastError) return 'failing';
  if (s.lastAttemptAt && (!s.lastAppliedAt || s.lastAttemptAt > s.lastAppliedAt)) return 'pending';
  return s.appliedRevision ? 'applied' : 'never-applied';
}

/** An image policy's identity: entries of the same name are told apart by their namespaces. */
const policyKey = (name: string, namespaces: readonly string[] | undefined): string =>
  `${name}\n${[...(namespaces ?? [])].sort().join(',')}`;

/** Per image policy, the newest bump commit of any automation that changed its markers. */
function lastBumps(st: DaemonStatus): Map<string, NonNullable<ImageView['lastBump']>> {
  const out = new Map<string, NonNullable<ImageView['lastBump']>>();
  for (const a of st.imageUpdates)
    for (const b of a.policyBumps) {
      const key = policyKey(b.policy, b.namespaces);
      const seen = out.get(key);
      if (!seen || seen.at < b.at) out.set(key, { commit: b.commit, at: b.at, automation: a.name, ...(b.tag ? { tag: b.tag } : {}) });
    }
  return out;
}

/** The fleet fields of a sync's row (daemon/fleet/types.ts), read loosely: present only with --shards. */
function shardingOf(s: SyncStatus): Pick<SyncView, 'owner' | 'shard' | 'staleReason'> {
  const f = s as SyncStatus & { owner?: unknown; shard?: unknown; stale?: unknown; staleReason?: unknown };
  return {
    ...(typeof f.owner === 'string' ? { owner: f.owner } : {}),
    ...(typeof f.shard === 'number' ? { shard: f.shard } : {}),
    ...(f.stale === true ? { staleReason: typeof f.staleReason === 'string' ? f.staleReason : 'the owner did not answer' } : {}),
  };
}

export class ViewBuilder {
  private readonly commits = new CommitMessages();
  private readonly objects = new ObjectsView();

  constructor(
    private readonly parts: UiParts,
    private readonly feed: LiveFeed,
  ) {}

  private daemonView(st: DaemonStatus): DaemonView {
    return {
      name: this.parts.config.metadata.name ?? 'gitops-seal',
      startedAt: st.startedAt,
      leader: st.leader,
      ...(st.leaderElection
        ? { election: { lease: st.leaderElection.lease, replica: st.leaderElection.identity, holder: st.leaderElection.holder } }
        : {}),
      ...(st.sharding
        ? {
            sharding: {
              replica: st.sharding.identity,
              owned: [...st.sharding.owned],
              shards: st.sharding.shards,
              members: st.sharding.members.length,
            },
          }
        : {}),
    };
  }

  private async syncView(s: SyncStatus, st: DaemonStatus): Promise<SyncView> {
    const spec = this.parts.config.spec.syncs.find((x) => x.name === s.name);
    const source = this.parts.config.spec.sources.find((x) => x.name === s.source);
    const srcStatus = st.sources.find((x) => x.name === s.source);
    const gitdir = this.parts.sources().get(s.source)?.source.gitdir;
    const commitMessage = await this.commits.subject(gitdir, s.appliedRevision);
    return {
      name: s.name,
      source: s.source,
      sourceUrl: srcStatus?.url ?? source?.url ?? '',
      ref: source ? refText(source.ref) : '',
      path: spec?.helm ? 'helm release' : spec?.path || '/',
      state: stateOf(s),
      ...(s.appliedRevision ? { revision: s.appliedRevision } : {}),
      ...(commitMessage ? { commitMessage } : {}),
      ...(s.attemptedRevision ? { attemptedRevision: s.attemptedRevision } : {}),
      ...(s.lastAppliedAt ? { lastAppliedAt: s.lastAppliedAt } : {}),
      ...(s.lastAttemptAt ? { lastAttemptAt: s.lastAttemptAt } : {}),
      objects: s.objects,
      driftCorrections: s.driftCorrections,
      ...(s.lastError ? { failing: { ...s.lastError } } : {}),
      warnings: [...(s.warnings ?? [])],
      decryption: spec ? decryptionOf(spec) : [],
      history: (s.history ?? []).map((h) => ({ ...h })),
      ...shardingOf(s),
    };
  }

  async overview(): Promise<OverviewModel> {
    const st = await this.parts.status.snapshot();
    const bumps = lastBumps(st);
    const images: ImageView[] = st.images.map((i) => ({
      name: i.name,
      image: i.image,
      ...(i.namespaces ? { namespaces: [...i.namespaces] } : {}),
      ...(i.chosenTag ? { currentTag: i.chosenTag } : {}),
      ...(i.latestTag ? { newestSeen: i.latestTag } : {}),
      ...(i.lastScanAt ? { lastScanAt: i.lastScanAt } : {}),
      ...(bumps.has(policyKey(i.name, i.namespaces)) ? { lastBump: bumps.get(policyKey(i.name, i.namespaces)) } : {}),
      ...(i.lastError ? { error: i.lastError } : {}),
    }));
    const automations: AutomationView[] = st.imageUpdates.map((a) => ({
      name: a.name,
      branch: a.branch,
      ...(a.lastRunAt ? { lastRunAt: a.lastRunAt } : {}),
      ...(a.lastReason ? { lastResult: a.lastReason } : {}),
      ...(a.lastPushedCommit ? { lastBumpCommit: a.lastPushedCommit } : {}),
      ...(a.lastPushedAt ? { lastBumpAt: a.lastPushedAt } : {}),
      ...(a.lastError ? { error: a.lastError } : {}),
    }));
    return redactView({
      page: 'overview',
      generatedAt: new Date().toISOString(),
      daemon: this.daemonView(st),
      syncs: await Promise.all(st.syncs.map((s) => this.syncView(s, st))),
      images,
      automations,
      feed: this.feed.list(),
    });
  }

  /** undefined: no such sync. `fresh`: read live health now (the sync just changed). */
  async sync(name: string, fresh = false): Promise<SyncModel | undefined> {
    const st = await this.parts.status.snapshot();
    const s = st.syncs.find((x) => x.name === name);
    if (!s) return undefined;
    const objects = await this.objects.of(name, this.parts.syncs().get(name), this.parts.drift().get(name), fresh);
    return redactView({
      page: 'sync',
      generatedAt: new Date().toISOString(),
      daemon: this.daemonView(st),
      sync: await this.syncView(s, st),
      groups: objects.groups,
      ...(objects.note ? { objectsNote: objects.note } : {}),
      feed: this.feed.list([name, s.source]),
    });
  }
}
