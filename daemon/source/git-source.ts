// One configured Git source: resolves the remote ref cheaply, fetches shallow packs into a bare
// object store under the cache dir, and hands out revisions read straight from git objects.
// Model: fluxcd source-controller's GitRepository reconciler (check remote head, skip when the
// artifact is current), minus the artifact tarball: consumers read the object store directly.
import { readFile } from 'node:fs/promises';
import git from 'isomorphic-git';
import {
  classifyGitError,
  commitTree,
  diffTrees,
  hasObject,
  isNotFound,
  normalizePath,
  openStore,
  openTransport,
  peelToCommit,
  prepareStore,
  redact,
  safeLabel,
  setRef,
  storeDir,
  storeHas,
  stripUserinfo,
  treeAt,
  unsupportedUrl,
  urlCredentials,
  type GitOperation,
  type GitTransport,
  type ObjectStore,
} from '../git/index.js';
import { SourceError, type SourceErrorReason } from './errors.js';
import { describeRef, pickRef, refPrefix, validateRefSpec } from './refs.js';
import { GitRevision } from './revision.js';
import { CommitSignatureError, verifyCommitSignature, type VerifiedSignature } from './signature/commit.js';
import type { GitSourceSpec, HeadHint, ResolvedRef, Revision, SourceStats } from './types.js';

/** Local ref that always names the last fetched commit: its oid is our "have" in the next negotiation. */
const LAST_REF = 'refs/gitops-seal/last';

interface RemoteHead extends ResolvedRef {
  /** Oid the remote ref points at (an annotated tag object for tags). */
  oid: string;
}

export interface GitSourceOptions {
  /** A socket silent for this long fails the operation with reason `network` (default 60 s). */
  idleTimeoutMs?: number;
  /** Rebuild the store from scratch once it holds this many packs (default MAX_PACKS, 64). */
  maxPacks?: number;
}

export class GitSource {
  readonly name: string;
  /** The URL without credentials: safe to log. */
  readonly url: string;
  readonly gitdir: string;
  private readonly spec: GitSourceSpec;
  private readonly transport: GitTransport;
  private readonly counters = { fetches: 0, skippedFetches: 0 };
  private readonly maxPacks: number | undefined;
  private store: ObjectStore;
  private last: GitRevision | undefined;
  private lastSignature: VerifiedSignature | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private timings: FetchTimings = {};

  constructor(spec: GitSourceSpec, cacheDir: string, options: GitSourceOptions = {}) {
    this.spec = spec;
    this.name = spec.name;
    this.url = stripUserinfo(spec.url);
    const invalid = unsupportedUrl(spec.url) ?? validateRefSpec(spec.ref);
    if (invalid !== undefined) {
      // No credential has been used yet: the URL's own userinfo is all there is to keep out.
      throw sourceError(spec, this.url, 'invalid-spec', redact(invalid, [urlCredentials(spec.url)?.password]));
    }
    this.transport = openTransport(spec.url, {
      ...(spec.auth !== undefined ? { auth: spec.auth } : {}),
      ...(spec.ssh !== undefined ? { ssh: spec.ssh } : {}),
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    });
    this.gitdir = storeDir(cacheDir, safeLabel(spec.name, 60), this.url);
    this.store = openStore(this.gitdir);
    this.maxPacks = options.maxPacks;
  }

  get stats(): SourceStats {
    return { ...this.transport.stats, ...this.counters };
  }

  /** Where the last fetch() spent its time (ms): ref negotiation, pack download and store writes, peel/verify/ref update. */
  get lastFetchTimings(): Readonly<FetchTimings> {
    return this.timings;
  }

  /** The signature check result of the last fetched revision (when `verify` is configured). */
  get lastVerifiedSignature(): VerifiedSignature | undefined {
    return this.lastSignature;
  }

  /**
   * Which commit the remote ref names now. One GET of the ref advertisement (protocol v1, so no
   * second ls-refs round trip); commit pins need no network once the commit is in the store.
   */
  async resolve(): Promise<ResolvedRef> {
    const head = await this.serialized(() => this.remoteHead());
    return { commit: head.commit, ref: head.ref };
  }

  /**
   * Fetch the current remote revision; returns the cached one (no pack download) when the head
   * did not move. With a `hint` (a webhook's new head) the pack is asked for alongside the ref
   * advertisement instead of after it.
   */
  async fetch(opts: { hint?: HeadHint } = {}): Promise<Revision> {
    return this.serialized(() => this.doFetch(opts.hint));
  }

  /**
   * Files under `path` that differ between two fetched commits, or null when `fromCommit` (or
   * `toCommit`) is not in the store, meaning "unknown: do a full pass".
   */
  async changedFiles(fromCommit: string, toCommit: string, path: string): Promise<string[] | null> {
    try {
      if (!(await hasObject(this.store, fromCommit)) || !(await hasObject(this.store, toCommit))) return null;
      const [a, b] = await Promise.all([commitTree(this.store, fromCommit), commitTree(this.store, toCommit)]);
      const [ta, tb] = await Promise.all([treeAt(this.store, a, path), treeAt(this.store, b, path)]);
      return await diffTrees(this.store, ta, tb, normalizePath(path));
    } catch (err) {
      // A shallow store may hold a commit whose trees went with a rebuilt store: unknown, not an error.
      if (isNotFound(err)) return null;
      throw this.wrap(err);
    }
  }

  private serialized<T>(op: () => Promise<T>): Promise<T> {
    const run = this.lock.then(op, op);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async remoteHead(): Promise<RemoteHead> {
    const ref = this.spec.ref;
    if ('commit' in ref) {
      if (await storeHas(this.store, ref.commit)) return { commit: ref.commit, ref: ref.commit, oid: ref.commit };
      await this.fetchCommit(ref.commit);
      return { commit: ref.commit, ref: ref.commit, oid: ref.commit };
    }
    const prefix = refPrefix(ref);
    const refs = await this.viaGit(() => this.transport.listRefs({ ...(prefix !== undefined ? { prefix } : {}), peelTags: true }));
    const picked = pickRef(ref, refs);
    if (!picked.ok) throw this.error(picked.reason, picked.detail);
    return { commit: picked.picked.commit, ref: picked.picked.ref, oid: picked.picked.oid };
  }

  private async doFetch(hint: HeadHint | undefined): Promise<Revision> {
    const timings: FetchTimings = {};
    this.timings = timings;
    let t0 = performance.now();
    const early = this.speculate(hint);
    let head = await this.remoteHead();
    timings.negotiate = performance.now() - t0;
    const fetched = await early;
    if (this.last !== undefined && this.last.commit === head.commit && this.last.ref === head.ref) {
      this.counters.skippedFetches++;
      return this.last;
    }
    // After a restart (or a branch moved back to a commit we have) the store already holds the
    // commit and its full tree: no download needed either.
    if (!(await storeHas(this.store, head.commit))) {
      await this.prepareStore();
      head = await this.fetchRef(head);
      timings.download = performance.now() - t0 - timings.negotiate;
    } else if (fetched) {
      // The webhook's commit, fetched while the advertisement was read: the pack's time beyond it.
      timings.download = Math.max(0, performance.now() - t0 - timings.negotiate);
    } else {
      this.counters.skippedFetches++;
    }
    t0 = performance.now();
    const commit = await this.peel(head);
    if (this.spec.verify !== undefined) this.lastSignature = await this.verify(commit);
    await this.viaGit(() => setRef(this.store, LAST_REF, commit));
    this.last = new GitRevision(this.store, commit, head.ref);
    timings.store = performance.now() - t0;
    return this.last;
  }

  /**
   * Starts fetching a webhook's commit before the advertisement says where the ref is (stateless
   * HTTP only, a branch source, a store and capabilities from an earlier fetch, a commit not held
   * yet). Resolves true when the commit came; never rejects: on any failure the ordinary fetch
   * that follows the advertisement does the work, and reports the failure if there is one.
   */
  private speculate(hint: HeadHint | undefined): Promise<boolean> {
    const ref = this.spec.ref;
    if (hint === undefined || !('branch' in ref) || hint.ref !== `refs/heads/${ref.branch}`) return Promise.resolve(false);
    if (!/^[0-9a-f]{40}$/.test(hint.commit) || /^0+$/.test(hint.commit)) return Promise.resolve(false);
    if (!this.transport.wantsWithoutAdvertisement || this.last === undefined) return Promise.resolve(false);
    const store = this.store;
    return (async () => {
      if (await storeHas(store, hint.commit)) return false;
      await this.transport.fetch({ store, haveRef: LAST_REF, remoteRef: hint.ref, knownOid: hint.commit, depth: 1 });
      this.counters.fetches++;
      return hasObject(store, hint.commit);
    })().catch(() => false);
  }

  /** The commit a fetched head names; the advertisement's peeled value is checked against the objects. */
  private async peel(head: RemoteHead): Promise<string> {
    try {
      const commit = await peelToCommit(this.store, head.commit);
      if (commit !== head.commit && head.oid !== head.commit) {
        throw new Error(`${head.ref} was advertised as commit ${head.commit} but that object is not a commit`);
      }
      return commit;
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** Create the bare store if missing; a rebuilt store (too many packs) forgets the last revision. */
  private async prepareStore(): Promise<void> {
    const store = await this.viaGit(() =>
      prepareStore(this.store, {
        remoteUrl: this.url,
        defaultBranch: 'main',
        ...(this.maxPacks !== undefined ? { maxPacks: this.maxPacks } : {}),
      }),
    );
    if (store === this.store) return;
    this.store = store;
    this.last = undefined;
  }

  /**
   * Shallow single-ref fetch. Our last commit is offered as a "have" (LAST_REF), so after the
   * first fetch the server sends only objects the new commit added — also after a force-push,
   * because negotiation is by object, not by history.
   */
  private async fetchRef(head: RemoteHead): Promise<RemoteHead> {
    const { fetchHead: fetched } = await this.viaGit(() =>
      // The advertised oid is asked for directly (over HTTP: no second advertisement).
      this.transport.fetch({ store: this.store, haveRef: LAST_REF, remoteRef: head.ref, knownOid: head.oid, depth: 1 }),
    );
    this.counters.fetches++;
    if (await hasObject(this.store, head.commit)) return head;
    // A push between the advertisement and the fetch: the fetch (which reads the refs again)
    // brought the ref's newer tip. That is what the ref names now, so it is the revision.
    if (fetched && fetched !== head.oid && (await hasObject(this.store, fetched))) return { ...head, commit: fetched, oid: fetched };
    throw this.error('protocol', `server did not send ${head.ref} (${head.commit})`);
  }

  /**
   * A commit pin: ask for the sha directly. Over smart HTTP, git's upload-pack accepts a want
   * that is reachable from any advertised ref (stateless RPC always checks reachability; with
   * protocol v2 or uploadpack.allowReachableSHA1InWant the same). If the server refuses (git
   * over SSH does, by default), fall back to the full history of every branch and look for the
   * commit there — not the remote HEAD's, which may name a branch that does not exist.
   */
  private async fetchCommit(sha: string): Promise<void> {
    await this.prepareStore();
    try {
      await this.transport.fetch({ store: this.store, haveRef: LAST_REF, remoteRef: sha, depth: 1 });
      this.counters.fetches++;
    } catch (err) {
      const e = this.wrap(err, 'fetch');
      if (e.reason === 'auth' || e.reason === 'not-found' || e.reason === 'network') throw e;
      await this.viaGit(() => this.transport.fetch({ store: this.store, haveRef: LAST_REF, remoteRef: 'refs/heads/*' }));
      this.counters.fetches++;
    }
    if (!(await hasObject(this.store, sha))) throw this.error('ref-not-found', `commit ${sha} is not reachable from any ref of the remote`);
  }

  private async verify(commit: string): Promise<VerifiedSignature> {
    const file = this.spec.verify?.allowedSignersFile as string;
    let signers: string;
    try {
      // Read on every new commit so that rotating the allowed signers needs no restart.
      signers = await readFile(file, 'utf8');
    } catch (err) {
      throw this.error('signature', `cannot read allowed signers file ${file}: ${(err as Error).message}`, err);
    }
    try {
      const { object } = await git.readObject({
        fs: this.store.fs,
        gitdir: this.gitdir,
        cache: this.store.cache,
        oid: commit,
        format: 'content',
      });
      return verifyCommitSignature(commit, object as Uint8Array, signers);
    } catch (err) {
      if (err instanceof CommitSignatureError) throw this.error('signature', err.message, err);
      throw this.error('signature', `commit ${commit}: ${(err as Error).message}`, err);
    }
  }

  private error(reason: SourceErrorReason, detail: string, cause?: unknown): SourceError {
    return sourceError(this.spec, this.url, reason, this.transport.redact(detail), cause);
  }

  /** Runs a git client call; its GitError becomes a SourceError. */
  private async viaGit<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.wrap(err, 'store');
    }
  }

  /**
   * A SourceError from any failure, through the git client's one classification; `operation`
   * decides what an unrecognised error is blamed on (errors the client raised already carry theirs).
   */
  private wrap(err: unknown, operation: GitOperation = 'store'): SourceError {
    if (err instanceof SourceError) return err;
    const g = classifyGitError(err, { operation, redact: (t) => this.transport.redact(t) });
    // Write-back's reason: the source never pushes, so the server refusing one cannot happen here.
    const reason: SourceErrorReason = g.reason === 'push-rejected' ? 'protocol' : g.reason;
    return this.error(reason, g.detail, g.cause);
  }
}

/** Milliseconds of one fetch() by part (absent: not passed). */
export interface FetchTimings {
  negotiate?: number;
  download?: number;
  store?: number;
}

/** `detail` must be redacted already. */
function sourceError(spec: GitSourceSpec, url: string, reason: SourceErrorReason, detail: string, cause?: unknown): SourceError {
  return new SourceError({ source: spec.name, url, ref: describeRef(spec.ref), reason, detail, cause });
}
