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
import git from 'isomorphic-git';
import {
  classifyGitError,
  hasObject,
  openStore,
  openTransport,
  prepareStore,
  safeLabel,
  setRef,
  storeDir,
  storeHas,
  stripUserinfo,
  type CredentialProvider,
  type GitErrorReason,
  type GitOperation,
  type GitTransport,
  type ObjectStore,
  type SshAuth,
  type TrafficStats,
} from '../git/index.js';
import { WritebackError, type WritebackErrorReason, type YamlEditError } from './errors.js';
import { commitPayload } from './sign.js';
import { readCandidates, writeTreeWith, type TextFile } from './tree.js';
import type { ApplyResult, ChangedFile } from './update.js';

const BASE_REF = 'refs/gitops-seal/writeback-base';

export interface PushTarget {
  /** http(s) URL of the repository (credentials in it are moved to auth), or an SSH URL. */
  url: string;
  /** Branch to push to. */
  branch: string;
  /** Branch a missing push branch starts from (the source's branch). Default: `branch`. */
  fromBranch?: string;
  auth?: CredentialProvider;
  /** Private key and known_hosts of an SSH URL. */
  ssh?: SshAuth;
}

export interface CommitInfo {
  author: { name: string; email: string };
  message: (changed: readonly ChangedFile[]) => string;
  /** Returns an armored signature of the commit payload, for a `gpgsig` header. */
  sign?: (payload: string) => Promise<string>;
}

export interface BranchWriterOptions {
  /** Attempts when the branch keeps moving (default 5). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt, plus up to 50% jitter (default 200 ms). */
  backoffMs?: number;
  /** A connection silent for this long fails the attempt with reason `network` (default 60 s). */
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
  private readonly transport: GitTransport;
  private readonly opts: BranchWriterOptions;
  private lock: Promise<unknown> = Promise.resolve();

  /** Throws UnsupportedUrlError for a URL no transport serves (the config admits only http(s)). */
  constructor(target: PushTarget, cacheDir: string, options: BranchWriterOptions = {}) {
    this.url = stripUserinfo(target.url);
    this.branch = target.branch;
    this.fromBranch = target.fromBranch ?? target.branch;
    this.gitdir = storeDir(cacheDir, `writeback-${safeLabel(this.branch, 40)}`, `${this.url}\n${this.branch}`);
    this.store = openStore(this.gitdir);
    this.opts = options;
    this.transport = openTransport(target.url, {
      ...(target.auth !== undefined ? { auth: target.auth } : {}),
      ...(target.ssh !== undefined ? { ssh: target.ssh } : {}),
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    });
  }

  /** Requests made and bytes received by this writer's remote operations. */
  get traffic(): Readonly<TrafficStats> {
    return this.transport.stats;
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

  private async guard<T>(op: () => Promise<T>, operation: GitOperation = 'store'): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.wrap(err, operation);
    }
  }

  private async prepareStore(): Promise<void> {
    // Every fetch adds a pack: past a bound the store starts over so reads stay fast.
    this.store = await this.guard(() => prepareStore(this.store, { remoteUrl: this.url, defaultBranch: this.branch }));
  }

  /** The push branch's tip (or, when it does not exist yet, the tip of the branch it starts from), fetched. */
  private async tip(): Promise<string> {
    const refs = await this.guard(() => this.transport.listRefs({ prefix: 'refs/heads/' }), 'list-refs');
    const want = [this.branch, this.fromBranch].map((b) => refs.find((r) => r.ref === `refs/heads/${b}`)).find((r) => r !== undefined);
    if (want === undefined) {
      const which = this.fromBranch === this.branch ? `branch ${this.branch}` : `branches ${this.branch} and ${this.fromBranch}`;
      throw this.error('not-found', `${which} not found on the remote`);
    }
    if (await storeHas(this.store, want.oid)) return want.oid;
    const res = await this.guard(
      () => this.transport.fetch({ store: this.store, haveRef: BASE_REF, remoteRef: want.ref, depth: 1 }),
      'fetch',
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
    await this.guard(() => setRef(this.store, local, commit));
    const res = await this.guard(
      () => this.transport.push({ store: this.store, localRef: local, remoteRef: `refs/heads/${this.branch}` }),
      'push',
    );
    return res.ok ? undefined : res.conflict;
  }

  private error(reason: WritebackErrorReason, detail: string, cause?: unknown): WritebackError {
    return new WritebackError({ reason, url: this.url, branch: this.branch, detail: this.transport.redact(detail), cause });
  }

  /**
   * A WritebackError from any failure, through the git client's one classification; `operation`
   * decides what an unrecognised error is blamed on (errors the client raised already carry theirs).
   */
  private wrap(err: unknown, operation: GitOperation = 'store'): WritebackError {
    if (err instanceof WritebackError) return err;
    const g = classifyGitError(err, { operation, redact: (t) => this.transport.redact(t) });
    return this.error(writebackReason(g.reason, g.operation), g.detail, g.cause);
  }
}

/** Write-back's vocabulary has no ref-not-found: a ref gone from the remote is `not-found`, an object missing locally is the store. */
function writebackReason(reason: GitErrorReason, operation: GitOperation): WritebackErrorReason {
  if (reason !== 'ref-not-found') return reason;
  return operation === 'store' ? 'storage' : 'not-found';
}
