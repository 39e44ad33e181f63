// ConfigError: every problem in a DaemonConfig, each naming the field path (and line when known), so a
// user fixes the whole file in one round and nothing starts from a half-valid configuration.

export interface ConfigIssue {
  /** Field path, e.g. `spec.syncs[2].decryption.vault.auth`. */
  path: string;
  /** What is wrong. Never contains a secret value. */
  message: string;
  /** 1-based line in the config file, when the field (or its nearest parent) is present in it. */
  line?: number;
  /** 1-based column, for YAML syntax errors. */
  column?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** The config file path (or a name for text that did not come from a file). */
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(formatIssues(source, issues));
  }
}

/** `line 7: spec.sources[0].url: <message>`; the position and the field path when known. */
export function formatIssue(i: ConfigIssue): string {
  const where = i.line === undefined ? '' : i.column === undefined ? `line ${i.line}: ` : `line ${i.line}, column ${i.column}: `;
  return `${where}${i.path ? `${i.path}: ` : ''}${i.message}`;
}

function formatIssues(source: string, issues: readonly ConfigIssue[]): string {
  const lines = issues.map(formatIssue);
  if (lines.length === 1) return `${source}: ${lines[0] ?? ''}`;
  return `${source}: ${lines.length} problems:\n  ${lines.join('\n  ')}`;
}
