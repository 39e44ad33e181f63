// Errors for reading manifests. One ManifestError carries every problem found across all files, so a
// user fixes a broken commit in one round instead of one error per sync attempt.

export interface ManifestProblem {
  /** Path of the file, relative to the repository root. */
  file: string;
  /** 0-based index of the YAML document (`---` section) in the file, when known. */
  index?: number;
  /** 1-based line and column in the file, when known. */
  line?: number;
  col?: number;
  /** What is wrong. Never contains a value from the manifest (it may be a secret). */
  message: string;
}

export function formatProblem(p: ManifestProblem): string {
  let where = p.file;
  if (p.line !== undefined) where += `:${p.line}${p.col !== undefined ? `:${p.col}` : ''}`;
  if (p.index !== undefined) where += ` (document ${p.index})`;
  return `${where}: ${p.message}`;
}

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly problems: readonly ManifestProblem[];

  constructor(problems: readonly ManifestProblem[]) {
    const head =
      problems.length === 1 && problems[0]
        ? formatProblem(problems[0])
        : `${problems.length} problems in manifests:\n  ${problems.map(formatProblem).join('\n  ')}`;
    super(head);
    this.problems = problems;
  }
}
