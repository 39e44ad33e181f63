// BranchWriter: one commit with every changed file, pushed fast-forward only to one branch.
//
// Each attempt: ask the remote where the branch is (one ref advertisement); fetch that commit
// (shallow) only when the work store lacks it; read the marked files *of that commit*; apply
// the edits; write blobs, trees and the commit directly into the bare store; push with the
// advertised tip as the expected old value. If anyone else moved the branch in between, the push
// is refused (by isomorphic-git's fast-forward check or by the server's compare-and-swap) and the
// next attempt starts over from the new tip — so their commit is always kept and ours lands on top.
// Nothing is ever force-pushed. Re-applying on the current tip is also what makes a run after a
// restart idempotent: when the tip already holds the desired values there is nothing to commit.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import { redact, stripUserinfo } from '../source/errors.js';
import { countingHttp, type TrafficCounter } from '../source/http.js';
import { hasObject, type ObjectStore } from '../source/objects.js';
import { storeFs } from '../source/store-fs.js';
import type { GitCredentials } from '../source/types.js';
import { WritebackError, type WritebackErrorReason, type YamlEditError } from './errors.js';
import { commitPayload } from './sign.js';
import { readCandidates, writeTreeWith, type TextFile } from './tree.js';
import type { ApplyResult, ChangedFile } from './update.js';

const BASE_REF = 'refs/gitops-seal/writeback-base';
const MAX_PACKS = 64;

export interface PushTarget {
  /** http(s) URL of the repository (credentials in it are moved to auth). */
  url: string;
  /** Branch to push to. */
  branch: string;
  /** Branch a missing push branch starts from (the source's branch). Default: `branch`. */
  fromBranch?: string;
  auth?: () => Promise<GitCredentials | undefined>;
}

export interface CommitInfo {
  author: { name: string; email: string };
  message: (changed: readonly ChangedFile[]) => string;
  /** Returns an armored signature of the commit payload, for a `gpgsig` header. */
  sign?: (payload: string) => Promise<string>;
}

export interface BranchWriterOptions {
  http?: HttpClient;
  /** Attempts when the branch keeps moving (default 5). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt, plus up to 50% jitter (default 200 ms). */
  backoffMs?: number;
  idleTimeoutMs?: number;
  /** Clock for commit timestamps (tests). */
  now?: () => Date;
  /** Test hook: runs after the commit is written and before it is pushed. */
  beforePush?: (info: { attempt: number; base: string; commit: string }) => Promise<void>;
}

export interface WriteResult {
  /** The pushed commit, when there was something to push. */
  commit?: string;
  /** The branch tip the edits were applied to (the last attempt's). */
  base: string;
  attempts: number;
  apply: ApplyResult;
  /** Files under the path that could not be read (not UTF-8). */
  readErrors: YamlEditError[];
}

export type Produce = (files: TextFile[]) => ApplyResult;

export class BranchWriter {
  readonly url: string;
  readonly branch: string;
  readonly fromBranch: string;
  readonly gitdir: string;
  private store: ObjectStore;
  private readonly target: PushTarget;
  private readonly urlAuth: GitCredentials | undefined;
  private readonly http: HttpClient;
  private readonly opts: BranchWriterOptions;
  readonly traffic: TrafficCounter = { requests: 0, bytesReceived: 0 };
  private secrets: (string | undefined)[] = [];
  private lock: Promise<unknown> = Promise.resolve();

  constructor(target: PushTarget, cacheDir: string, options: BranchWriterOptions = {}) {
    this.target = target;
    this.url = stripUserinfo(target.url);
    const u = URL.canParse(target.url) ? new URL(target.url) : undefined;
    this.urlAuth = u && (u.username !== '' || u.password !== '') ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : undefined;
    this.branch = target.branch;
    this.fromBranch = target.fromBranch ?? target.branch;
    const key = createHash('sha256').update(`${this.url}\n${this.branch}`).digest('hex').slice(0, 12);
    this.gitdir = join(cacheDir, `writeback-${this.branch.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40)}-${key}.git`);
    this.store = { gitdir: this.gitdir, cache: {}, fs: storeFs(this.gitdir) };
    this.opts = options;
    this.http = countingHttp(this.traffic, options.http, options.idleTimeoutMs ?? 60_000);
  }

  /** Apply `produce` to the files under `path` of the branch tip, commit and push; retried on races. */
  write(path: string, produce: Produce, commit: CommitInfo): Promise<WriteResult> {
    const run = this.lock.then(() => this.attempts(path, produce, commit));
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async attempts(path: string, produce: Produce, info: CommitInfo): Promise<WriteResult> {
    const max = this.opts.maxAttempts ?? 5;
    const backoff = this.opts.backoffMs ?? 200;
    await this.prepareStore();
    let lastConflict = '';
    for (let attempt = 1; attempt <= max; attempt++) {
      const base = await this.tip();
      const { files, errors: readErrors } = await this.guard(() => readCandidates(this.store, base, path));
      const apply = produce(files);
      if (apply.changed.length === 0) return { base, attempts: attempt, apply, readErrors };
      const commit = await this.guard(() => this.writeCommit(base, apply.changed, info));
      await this.opts.beforePush?.({ attempt, base, commit });
      const conflict = await this.push(commit);
      if (conflict === undefined) return { commit, base, attempts: attempt, apply, readErrors };
      lastConflict = conflict;
      if (attempt < max) await new Promise((r) => setTimeout(r, backoff * 2 ** (attempt - 1) * (1 + Math.random() / 2)));
    }
    throw this.error('conflict', `branch kept moving: ${max} attempts refused (${lastConflict})`);
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.wrap(err);
    }
  }

  private async headers(): Promise<Record<string, string>> {
    let creds: GitCredentials | undefined;
    try {
      creds = (await this.target.auth?.()) ?? this.urlAuth;
    } catch (err) {
      throw this.error('auth', `credentials provider failed: ${((err as Error).message ?? '').split('\n')[0] ?? ''}`, err);
    }
    this.secrets = creds === undefined ? [] : [creds.password, `${creds.username}:${creds.password}`];
    const h: Record<string, string> = { 'user-agent': 'gitops-seal' };
    if (creds !== undefined) h.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    return h;
  }

  private async prepareStore(): Promise<void> {
    const packDir = join(this.gitdir, 'objects', 'pack');
    // Every fetch adds a pack: start over past a bound so reads stay fast (nothing here is precious).
    if (fs.existsSync(packDir) && fs.readdirSync(packDir).filter((f) => f.endsWith('.pack')).length >= MAX_PACKS) {
      fs.rmSync(this.gitdir, { recursive: true, force: true });
      this.store = { gitdir: this.gitdir, cache: {}, fs: storeFs(this.gitdir) };
    }
    if (fs.existsSync(join(this.gitdir, 'config'))) return;
    fs.mkdirSync(this.gitdir, { recursive: true });
    await this.guard(async () => {
      await git.init({ fs: this.store.fs, gitdir: this.gitdir, bare: true, defaultBranch: this.branch });
      await git.addRemote({ fs: this.store.fs, gitdir: this.gitdir, remote: 'origin', url: this.url, force: true });
    });
  }

  /** The push branch's tip (or, when it does not exist yet, the tip of the branch it starts from), fetched. */
  private async tip(): Promise<string> {
    const refs = await this.guard(async () =>
      git.listServerRefs({ http: this.http, url: this.url, headers: await this.headers(), protocolVersion: 1, prefix: 'refs/heads/' }),
    );
    const want = [this.branch, this.fromBranch].map((b) => refs.find((r) => r.ref === `refs/heads/${b}`)).find((r) => r !== undefined);
    if (want === undefined) {
      const which = this.fromBranch === this.branch ? `branch ${this.branch}` : `branches ${this.branch} and ${this.fromBranch}`;
      throw this.error('not-found', `${which} not found on the remote`);
    }
    if (await hasObject(this.store, want.oid).catch(() => false)) return want.oid;
    const res = await this.guard(async () =>
      git.fetch({
        fs: this.store.fs,
        http: this.http,
        gitdir: this.gitdir,
        cache: this.store.cache,
        url: this.url,
        headers: await this.headers(),
        ref: BASE_REF,
        remoteRef: want.ref,
        singleBranch: true,
        depth: 1,
        tags: false,
      }),
    );
    // The branch may have moved again since the advertisement: use what was actually fetched.
    const got = res.fetchHead ?? want.oid;
    if (!(await hasObject(this.store, got))) throw this.error('protocol', `server did not send ${want.ref} (${got})`);
    return got;
  }

  private async writeCommit(base: string, changed: readonly ChangedFile[], info: CommitInfo): Promise<string> {
    const g = { fs: this.store.fs, gitdir: this.gitdir, cache: this.store.cache };
    const tree = await writeTreeWith(this.store, base, changed);
    const when = this.opts.now?.() ?? new Date();
    const person = { ...info.author, timestamp: Math.floor(when.getTime() / 1000), timezoneOffset: 0 };
    let message = info.message(changed);
    if (!message.endsWith('\n')) message += '\n';
    const commit = { tree, parent: [base], author: person, committer: person, message };
    if (info.sign === undefined) return git.writeCommit({ ...g, commit });
    let signed: string;
    try {
      signed = await info.sign(commitPayload(commit));
    } catch (err) {
      throw this.error('signing', `cannot sign the commit: ${(err as Error).message}`, err);
    }
    return git.writeCommit({ ...g, commit: { ...commit, gpgsig: signed } });
  }

  /** Push fast-forward only; returns a conflict description when someone else moved the branch. */
  private async push(commit: string): Promise<string | undefined> {
    const local = `refs/heads/${this.branch}`;
    try {
      await git.writeRef({ fs: this.store.fs, gitdir: this.gitdir, ref: local, value: commit, force: true });
      await git.push({
        fs: this.store.fs,
        http: this.http,
        gitdir: this.gitdir,
        cache: this.store.cache,
        url: this.url,
        remote: 'origin',
        ref: local,
        remoteRef: `refs/heads/${this.branch}`,
        headers: await this.headers(),
        force: false,
      });
      return undefined;
    } catch (err) {
      const e = err as { code?: string; data?: { reason?: string; prettyDetails?: string } };
      if (e.code === 'PushRejectedError') return 'not a fast-forward of the current tip';
      if (e.code === 'GitPushError') {
        const details = (e.data?.prettyDetails ?? '').trim();
        if (/non-fast-forward|fetch first|failed to lock|stale info|cannot lock ref|failed to update ref|but expected/i.test(details)) return details;
        throw this.error('push-rejected', `the server refused the update: ${details}`, err);
      }
      throw this.wrap(err, true);
    }
  }

  private error(reason: WritebackErrorReason, detail: string, cause?: unknown): WritebackError {
    return new WritebackError({ reason, url: this.url, branch: this.branch, detail: redact(detail, [...this.secrets, this.urlAuth?.password]), cause });
  }

  private wrap(err: unknown, pushing = false): WritebackError {
    if (err instanceof WritebackError) return err;
    const e = (err ?? {}) as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string }; errors?: { code?: string }[] };
    const msg = e.message ?? String(err);
    if (e.code === 'HttpError') {
      const status = e.data?.statusCode ?? 0;
      const text = `HTTP ${status} ${e.data?.statusMessage ?? ''}`.trim();
      if (status === 403 && pushing) return this.error('push-rejected', `${text}: the server refused the push (protected branch or no write access); nothing was lost, retried on the next run`, err);
      if (status === 401 || status === 403) return this.error('auth', `${text}: ${this.secrets.length > 0 ? 'credentials were rejected' : 'the server requires credentials and none are configured'}`, err);
      if (status === 404) return this.error('not-found', `${text}: repository not found`, err);
      return this.error('protocol', text, err);
    }
    const codes = [e.code, ...(e.errors ?? []).map((x) => x.code)];
    const net = codes.find((c) => c !== undefined && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ERR_TLS|CERT_)/.test(c));
    if (net !== undefined || /request timed out/i.test(msg)) return this.error('network', `${net ?? 'timeout'}: ${msg}`, err);
    if (e.code === 'SmartHttpError' || e.code === 'ParseError' || e.code === 'RemoteCapabilityError') return this.error('protocol', msg, err);
    return this.error('storage', msg, err);
  }
}
