// ImageUpdateAutomation: one spec.imageUpdates[] entry. Each run applies the current image
// policies to the marked files of the push branch and pushes one commit when anything changed.
// The status says what the last run did: the commit it pushed, or why it did nothing or failed.
import { initWritebackMetrics, recordWritebackRun } from '../metrics/index.js';
import type { GitCredentials, SshAuth } from '../git/index.js';
import { WritebackError, type YamlEditError } from './errors.js';
import { DEFAULT_MESSAGE_TEMPLATE, renderMessage } from './message.js';
import { BranchWriter, type BranchWriterOptions, type CommitInfo } from './push.js';
import { fileSigner } from './sign.js';
import { applyPolicies, type Change, type ImagePolicyEntry, type SkippedMarker } from './update.js';
import type { ImageUpdateSpec } from './types.js';

/** Where the source lives: the automation pushes to the same repository. */
export interface SourceRepo {
  url: string;
  branch: string;
  auth?: () => Promise<GitCredentials | undefined>;
  /** Private key and known_hosts of an SSH URL. */
  ssh?: SshAuth;
}

export type RunReason = 'pushed' | 'no-change' | 'error';

export interface RunResult {
  reason: RunReason;
  commit?: string;
  /** Files changed by this run (pushed, or that would have been on error). */
  files: string[];
  changes: (Change & { file: string })[];
  /** Why nothing was pushed, or what failed, in one line. */
  detail: string;
  error?: WritebackError;
  /** Files left alone because they do not parse (named with line and column). */
  fileErrors: YamlEditError[];
  skipped: SkippedMarker[];
  attempts: number;
  durationMs: number;
}

export interface AutomationStatus {
  name: string;
  branch: string;
  lastRunAt?: string;
  lastReason?: RunReason;
  lastDetail?: string;
  /** The last commit this automation pushed, and when. Kept across no-change and failed runs. */
  lastPushedCommit?: string;
  lastPushedAt?: string;
  lastError?: string;
  fileErrors: string[];
  skipped: string[];
  /** Per image policy (spec.images[] name and namespaces) the last commit of this automation that changed its markers. */
  policyBumps: PolicyBump[];
}

export interface PolicyBump {
  policy: string;
  namespaces: string[];
  commit: string;
  at: string;
  /** The tag written, when the markers hold one. */
  tag?: string;
}

export class ImageUpdateAutomation {
  readonly spec: ImageUpdateSpec;
  readonly writer: BranchWriter;
  private readonly st: AutomationStatus;

  constructor(spec: ImageUpdateSpec, repo: SourceRepo, cacheDir: string, options: BranchWriterOptions = {}) {
    this.spec = spec;
    const branch = spec.branch ?? repo.branch;
    this.writer = new BranchWriter(
      { url: repo.url, branch, fromBranch: repo.branch, ...(repo.auth ? { auth: repo.auth } : {}), ...(repo.ssh ? { ssh: repo.ssh } : {}) },
      cacheDir,
      options,
    );
    this.st = { name: spec.name, branch, fileErrors: [], skipped: [], policyBumps: [] };
    initWritebackMetrics(spec.name, spec.source);
  }

  get status(): AutomationStatus {
    return {
      ...this.st,
      fileErrors: [...this.st.fileErrors],
      skipped: [...this.st.skipped],
      policyBumps: this.st.policyBumps.map((b) => ({ ...b, namespaces: [...b.namespaces] })),
    };
  }

  /**
   * `policies`: the image entries with their current choices (policies.ts says which answers a
   * marker). Never throws: failures are in the result and status.
   */
  async run(policies: readonly ImagePolicyEntry[]): Promise<RunResult> {
    const t0 = performance.now();
    const template = this.spec.messageTemplate ?? DEFAULT_MESSAGE_TEMPLATE;
    const info: CommitInfo = {
      author: this.spec.author,
      message: (changed) => renderMessage(template, this.spec.name, changed),
      ...(this.spec.signingKey ? { sign: fileSigner(this.spec.signingKey.file) } : {}),
    };
    let result: RunResult;
    try {
      const w = await this.writer.write(this.spec.path, (files) => applyPolicies(files, policies), info);
      const changes = w.apply.changed.flatMap((f) => f.changes.map((c) => ({ ...c, file: f.path })));
      const fileErrors = [...w.readErrors, ...w.apply.errors];
      const base = {
        files: w.apply.changed.map((f) => f.path),
        changes,
        fileErrors,
        skipped: w.apply.skipped,
        attempts: w.attempts,
        durationMs: 0,
      };
      if (w.commit !== undefined) {
        result = {
          ...base,
          reason: 'pushed',
          commit: w.commit,
          detail: `pushed ${w.commit.slice(0, 12)} to ${this.writer.branch}: ${changes.length} change(s) in ${base.files.length} file(s)`,
        };
      } else {
        const at = w.base.slice(0, 12);
        const skipped = w.apply.skipped.length;
        const detail =
          w.apply.markers === 0 && skipped === 0
            ? `no image policy markers under "${this.spec.path || '.'}" at ${at}`
            : skipped === 0
              ? `all ${w.apply.markers} marker(s) already up to date at ${at}`
              : // Skipped markers are not up to date: no "all", and `skipped` says why.
                `nothing to change at ${at}; ${skipped} marker(s) skipped (see skipped)`;
        result = { ...base, reason: 'no-change', detail };
      }
    } catch (err) {
      const error =
        err instanceof WritebackError
          ? err
          : new WritebackError({
              reason: 'storage',
              url: this.writer.url,
              branch: this.writer.branch,
              detail: (err as Error).message,
              cause: err,
            });
      result = {
        reason: 'error',
        files: [],
        changes: [],
        detail: error.message,
        error,
        fileErrors: [],
        skipped: [],
        attempts: 0,
        durationMs: 0,
      };
    }
    result.durationMs = performance.now() - t0;
    this.record(result);
    return result;
  }

  private record(r: RunResult): void {
    recordWritebackRun(this.spec.name, this.spec.source, { reason: r.reason, ...(r.error ? { errorReason: r.error.reason } : {}) });
    const now = new Date().toISOString();
    this.st.lastRunAt = now;
    this.st.lastReason = r.reason;
    this.st.lastDetail = r.detail;
    if (r.reason === 'pushed' && r.commit !== undefined) {
      this.st.lastPushedCommit = r.commit;
      this.st.lastPushedAt = now;
      for (const c of r.changes) {
        const key = (b: { policy: string; namespaces: readonly string[] }): string => `${b.policy}\n${b.namespaces.join(',')}`;
        const bump: PolicyBump = {
          policy: c.policy.name,
          namespaces: [...c.policy.namespaces],
          commit: r.commit,
          at: now,
          ...(c.newTag !== undefined ? { tag: c.newTag } : {}),
        };
        this.st.policyBumps = [...this.st.policyBumps.filter((b) => key(b) !== key(bump)), bump];
      }
    }
    if (r.reason === 'error') this.st.lastError = r.detail;
    else delete this.st.lastError;
    this.st.fileErrors = r.fileErrors.map((e) => e.message);
    this.st.skipped = r.skipped.map((s) => `${s.file}:${s.line}: ${s.marker}: ${s.why}`);
  }
}
