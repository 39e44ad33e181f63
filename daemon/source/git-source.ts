// One configured Git source: resolves the remote ref cheaply, fetches shallow packs into a bare
// object store under the cache dir, and hands out revisions read straight from git objects.
// Model: fluxcd source-controller's GitRepository reconciler (check remote head, skip when the
// artifact is current), minus the artifact tarball: consumers read the object store directly.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import { redact, SourceError, stripUserinfo, type SourceErrorReason } from './errors.js';
import { countingHttp } from './http.js';
import { commitTree, diffTrees, hasObject, isNotFound, normalizePath, peelToCommit, treeAt, type ObjectStore } from './objects.js';
import { describeRef, pickRef, refPrefix, validateRefSpec, type AdvertisedRef } from './refs.js';
import { GitRevision } from './revision.js';
import { storeFs } from './store-fs.js';
import { CommitSignatureError, verifyCommitSignature, type VerifiedSignature } from './signature/commit.js';
import type { GitCredentials, GitSourceSpec, ResolvedRef, Revision, SourceStats } from './types.js';

/** Local ref that always names the last fetched commit: its oid is our "have" in the next negotiation. */
const LAST_REF = 'refs/gitops-seal/last';
/** Each fetch adds a pack; past this many the store is rebuilt so reads do not slow down. */
const MAX_PACKS = 64;

interface RemoteHead extends ResolvedRef {
  /** Oid the remote ref points at (an annotated tag object for tags). */
  oid: string;
}

export interface GitSourceOptions {
  /** Replace the HTTP client (tests wrap it; production uses isomorphic-git's Node client). */
  http?: HttpClient;
  /** A socket silent for this long fails the operation with reason `network` (default 60 s). */
  idleTimeoutMs?: number;
  /** Rebuild the store from scratch once it holds this many packs (default 64). */
  maxPacks?: number;
}

export class GitSource {
  readonly name: string;
  /** The URL without credentials: safe to log. */
  readonly url: string;
  readonly gitdir: string;
  private readonly spec: GitSourceSpec;
  private readonly urlAuth: GitCredentials | undefined;
  private readonly traffic = { requests: 0, bytesReceived: 0 };
  private readonly counters = { fetches: 0, skippedFetches: 0 };
  private readonly http: HttpClient;
  private readonly idleTimeoutMs: number;
  private readonly maxPacks: number;
  private store: ObjectStore;
  private last: GitRevision | undefined;
  private lastSignature: VerifiedSignature | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private lastSecrets: (string | undefined)[] = [];

  constructor(spec: GitSourceSpec, cacheDir: string, options: GitSourceOptions = {}) {
    this.spec = spec;
    this.name = spec.name;
    let parsed: URL | undefined;
    try {
      parsed = new URL(spec.url);
    } catch {
      parsed = undefined;
    }
    this.url = stripUserinfo(spec.url);
    this.urlAuth =
      parsed !== undefined && (parsed.username !== '' || parsed.password !== '')
        ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
        : undefined;
    const invalid =
      parsed === undefined || !['http:', 'https:'].includes(parsed.protocol)
        ? `url must be http(s) (got "${this.url}")`
        : validateRefSpec(spec.ref);
    if (invalid !== undefined) throw this.error('invalid-spec', invalid);
    const safe = spec.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
    const key = createHash('sha256').update(this.url).digest('hex').slice(0, 12);
    this.gitdir = join(cacheDir, `${safe}-${key}.git`);
    this.store = { gitdir: this.gitdir, cache: {}, fs: storeFs(this.gitdir) };
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.maxPacks = options.maxPacks ?? MAX_PACKS;
    this.http = countingHttp(this.traffic, options.http, this.idleTimeoutMs);
  }

  get stats(): SourceStats {
    return { ...this.traffic, ...this.counters };
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

  /** Fetch the current remote revision; returns the cached one (no pack download) when the head did not move. */
  async fetch(): Promise<Revision> {
    return this.serialized(() => this.doFetch());
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

  private async credentials(): Promise<GitCredentials | undefined> {
    let fromProvider: GitCredentials | undefined;
    try {
      fromProvider = await this.spec.auth?.();
    } catch (err) {
      // The provider's own message may quote what it read; keep only its first line.
      const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
      throw this.error('auth', `credentials provider failed: ${msg}`, err);
    }
    const creds = fromProvider ?? this.urlAuth;
    this.lastSecrets = creds === undefined ? [] : [creds.password, `${creds.username}:${creds.password}`];
    return creds;
  }

  /**
   * Credentials go out pre-emptively as a Basic header: waiting for the 401 challenge would
   * double the requests of every poll.
   */
  private async headers(): Promise<Record<string, string>> {
    const creds = await this.credentials();
    const h: Record<string, string> = { 'user-agent': 'gitops-seal' };
    if (creds !== undefined) h.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    return h;
  }

  private async remoteHead(): Promise<RemoteHead> {
    const ref = this.spec.ref;
    if ('commit' in ref) {
      if (await this.hasCommit(ref.commit)) return { commit: ref.commit, ref: ref.commit, oid: ref.commit };
      await this.fetchCommit(ref.commit);
      return { commit: ref.commit, ref: ref.commit, oid: ref.commit };
    }
    let refs: AdvertisedRef[];
    try {
      const prefix = refPrefix(ref);
      refs = await git.listServerRefs({
        http: this.http,
        url: this.url,
        headers: await this.headers(),
        protocolVersion: 1,
        ...(prefix !== undefined ? { prefix } : {}),
        peelTags: true,
      });
    } catch (err) {
      throw this.wrap(err, 'protocol');
    }
    const picked = pickRef(ref, refs);
    if (!picked.ok) throw this.error(picked.reason, picked.detail);
    return { commit: picked.picked.commit, ref: picked.picked.ref, oid: picked.picked.oid };
  }

  private async doFetch(): Promise<Revision> {
    let head = await this.remoteHead();
    if (this.last !== undefined && this.last.commit === head.commit && this.last.ref === head.ref) {
      this.counters.skippedFetches++;
      return this.last;
    }
    // After a restart (or a branch moved back to a commit we have) the store already holds the
    // commit and its full tree: no download needed either.
    if (!(await this.hasCommit(head.commit))) {
      await this.prepareStore();
      head = await this.fetchRef(head);
    } else {
      this.counters.skippedFetches++;
    }
    const commit = await this.peel(head);
    if (this.spec.verify !== undefined) this.lastSignature = await this.verify(commit);
    await git.writeRef({ fs: this.store.fs, gitdir: this.gitdir, ref: LAST_REF, value: commit, force: true });
    this.last = new GitRevision(this.store, commit, head.ref);
    return this.last;
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

  private async hasCommit(oid: string): Promise<boolean> {
    if (!fs.existsSync(join(this.gitdir, 'config'))) return false;
    try {
      return await hasObject(this.store, oid);
    } catch {
      return false;
    }
  }

  /** Create the bare store if missing; rebuild it when too many packs accumulated. */
  private async prepareStore(): Promise<void> {
    const packDir = join(this.gitdir, 'objects', 'pack');
    if (fs.existsSync(packDir) && fs.readdirSync(packDir).filter((f) => f.endsWith('.pack')).length >= this.maxPacks) {
      fs.rmSync(this.gitdir, { recursive: true, force: true });
      this.store = { gitdir: this.gitdir, cache: {}, fs: storeFs(this.gitdir) };
      this.last = undefined;
    }
    if (fs.existsSync(join(this.gitdir, 'config'))) return;
    fs.mkdirSync(this.gitdir, { recursive: true });
    await git.init({ fs: this.store.fs, gitdir: this.gitdir, bare: true, defaultBranch: 'main' });
    // fetch() updates remote-tracking refs through the remote's refspec, so one must exist.
    await git.addRemote({ fs: this.store.fs, gitdir: this.gitdir, remote: 'origin', url: this.url, force: true });
  }

  /**
   * Shallow single-ref fetch. Our last commit is offered as a "have" (LAST_REF), so after the
   * first fetch the server sends only objects the new commit added — also after a force-push,
   * because negotiation is by object, not by history.
   */
  private async fetchRef(head: RemoteHead): Promise<RemoteHead> {
    let fetched: string | null = null;
    try {
      ({ fetchHead: fetched } = await git.fetch({
        fs: this.store.fs,
        http: this.http,
        gitdir: this.gitdir,
        cache: this.store.cache,
        url: this.url,
        headers: await this.headers(),
        ref: LAST_REF,
        remoteRef: head.ref,
        singleBranch: true,
        depth: 1,
        tags: false,
      }));
      this.counters.fetches++;
    } catch (err) {
      throw this.wrap(err, 'protocol');
    }
    if (await hasObject(this.store, head.commit)) return head;
    // A push between the advertisement and the fetch: the fetch (which reads the refs again)
    // brought the ref's newer tip. That is what the ref names now, so it is the revision.
    if (fetched && fetched !== head.oid && (await hasObject(this.store, fetched))) return { ...head, commit: fetched, oid: fetched };
    throw this.error('protocol', `server did not send ${head.ref} (${head.commit})`);
  }

  /**
   * A commit pin: ask for the sha directly. Over smart HTTP, git's upload-pack accepts a want
   * that is reachable from any advertised ref (stateless RPC always checks reachability; with
   * protocol v2 or uploadpack.allowReachableSHA1InWant the same). If the server refuses, fall
   * back to fetching the default branch's full history and look for the commit there.
   */
  private async fetchCommit(sha: string): Promise<void> {
    await this.prepareStore();
    const base = { fs: this.store.fs, http: this.http, gitdir: this.gitdir, cache: this.store.cache, url: this.url, ref: LAST_REF, singleBranch: true, tags: false };
    try {
      await git.fetch({ ...base, headers: await this.headers(), remoteRef: sha, depth: 1 });
      this.counters.fetches++;
    } catch (err) {
      const e = this.wrap(err, 'protocol');
      if (e.reason === 'auth' || e.reason === 'not-found' || e.reason === 'network') throw e;
      try {
        await git.fetch({ ...base, headers: await this.headers(), remoteRef: 'HEAD' });
        this.counters.fetches++;
      } catch (err2) {
        throw this.wrap(err2, 'protocol');
      }
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
      const { object } = await git.readObject({ fs: this.store.fs, gitdir: this.gitdir, cache: this.store.cache, oid: commit, format: 'content' });
      return verifyCommitSignature(commit, object as Uint8Array, signers);
    } catch (err) {
      if (err instanceof CommitSignatureError) throw this.error('signature', err.message, err);
      throw this.error('signature', `commit ${commit}: ${(err as Error).message}`, err);
    }
  }

  private error(reason: SourceErrorReason, detail: string, cause?: unknown): SourceError {
    return new SourceError({
      source: this.name,
      url: this.url,
      ref: describeRef(this.spec.ref),
      reason,
      detail: redact(detail, [...this.lastSecrets, this.urlAuth?.password]),
      cause,
    });
  }

  /**
   * Map isomorphic-git / Node errors to a SourceError with a reason a caller can act on.
   * `fallback` is the reason of an unrecognised error: during a remote operation that is what the
   * server sent (isomorphic-git fails on a damaged pack with plain TypeErrors), else the store.
   */
  private wrap(err: unknown, fallback: SourceErrorReason = 'storage'): SourceError {
    if (err instanceof SourceError) return err;
    const e = (err ?? {}) as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string }; errors?: { code?: string }[] };
    const msg = e.message ?? String(err);
    if (e.code === 'HttpError') {
      const status = e.data?.statusCode ?? 0;
      const text = `HTTP ${status} ${e.data?.statusMessage ?? ''}`.trim();
      if (status === 401 || status === 403) {
        const had = this.lastSecrets.length > 0;
        return this.error('auth', `${text}: ${had ? 'credentials were rejected' : 'the server requires credentials and none are configured'}`, err);
      }
      if (status === 404) return this.error('not-found', `${text}: repository not found`, err);
      return this.error('protocol', text, err);
    }
    const codes = [e.code, ...(e.errors ?? []).map((x) => x.code)];
    const netCode = codes.find((c) => c !== undefined && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ERR_TLS|CERT_|DEPTH_ZERO|UNABLE_TO|SELF_SIGNED)/.test(c));
    if (netCode !== undefined) return this.error('network', `${netCode}: ${msg}`, err);
    if (/request timed out/i.test(msg)) return this.error('network', `no data from the server for ${this.idleTimeoutMs / 1000} s`, err);
    if (e.code === 'NotFoundError') return this.error('ref-not-found', msg, err);
    if (/not our ref|upload-pack: not our|want .* not valid/i.test(msg)) return this.error('ref-not-found', msg, err);
    if (e.code === 'SmartHttpError' || e.code === 'RemoteCapabilityError' || e.code === 'ParseError') return this.error('protocol', msg, err);
    // An errno code (ENOSPC, EACCES…) is the local disk, whichever operation hit it.
    const errno = typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code);
    return this.error(errno ? 'storage' : fallback, msg, err);
  }
}
