// A revision that cannot be applied. It names the stage that refused it and, per problem, the
// file or object and the cause. Nothing of such a revision is applied or pruned.

export type RevisionStage =
  'source' | 'decrypt' | 'render' | 'manifests' | 'tenancy' | 'validate' | 'prune-guard' | 'apply' | 'prune' | 'health';

export class RevisionError extends Error {
  constructor(
    readonly sync: string,
    readonly revision: string,
    readonly stage: RevisionStage,
    readonly problems: string[],
    /** The typed error behind the problems (e.g. AggregateDecryptError), for callers that classify it. */
    options?: { cause?: unknown },
  ) {
    const head = `sync "${sync}" revision ${revision.slice(0, 12) || '(none)'} refused at ${stage}`;
    super(problems.length === 1 ? `${head}: ${problems[0]}` : `${head}:\n  ${problems.join('\n  ')}`, options);
    this.name = 'RevisionError';
  }
}

/** The message lines of an error (aggregate errors keep one line per problem). */
export function problemsOf(err: unknown): string[] {
  if (err instanceof Error)
    return err.message
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  return [String(err)];
}

/** The sync and revision a stage works on: every refusal names both. */
export interface RevisionAt {
  sync: string;
  commit: string;
}

/** Refuse the revision at `stage` (throws RevisionError; the typed cause kept for classifiers). */
export function refuse(at: RevisionAt, stage: RevisionStage, problems: string[], cause?: unknown): never {
  throw new RevisionError(at.sync, at.commit, stage, problems, cause === undefined ? undefined : { cause });
}
