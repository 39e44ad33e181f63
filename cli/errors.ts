// Exit codes and error classes of the gitops-seal CLI.
//
// Every failure surfaces as exactly one line `gitops-seal: <file>: <cause>` on stderr, never a
// stack trace and never a secret value. Library errors (keys/, yaml, fs) are mapped to a CliError
// here so commands can simply throw.

/** Documented process exit codes (also in cli/README.md). */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** `check` found problems; `diff` found differences. */
  PROBLEMS: 1,
  /** Bad command line: unknown flag, missing argument, conflicting options. */
  USAGE: 2,
  /** An encrypted file failed its MAC or could not be decrypted (tampered, corrupt). */
  DECRYPT: 3,
  /** No usable key: no matching age identity, Vault transit failure, unsupported key type. */
  KEYS: 4,
  /** `.sops.yaml` is invalid or no creation rule / no recipients apply. */
  CONFIG: 5,
  /** Input/output problem: missing file, unparsable document, already (not) encrypted, editor failed. */
  IO: 6,
  /** `build`/`diff`: the daemon would refuse the revision (manifests, tenancy, dry-run validation, prune guard). */
  REFUSED: 7,
  /** `build`/`diff`: the Git source or the Kubernetes API is unreachable or denies access. */
  REMOTE: 8,
  /** The backup rule: only cluster-held keys (pinned in .sops.yaml) could decrypt the file written. */
  CLUSTER_KEY_ONLY: 9,
  /** Interrupted by a signal. */
  INTERRUPTED: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI knows how to report: a file it concerns, a one-line cause and an exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly file: string | undefined;
  constructor(message: string, exitCode: ExitCodeValue, file?: string) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.file = file;
  }
}

export class UsageError extends CliError {
  constructor(message: string, file?: string) {
    super(message, ExitCode.USAGE, file);
  }
}

export class ConfigError extends CliError {
  constructor(message: string, file?: string) {
    super(message, ExitCode.CONFIG, file);
  }
}

export class InputError extends CliError {
  constructor(message: string, file?: string) {
    super(message, ExitCode.IO, file);
  }
}

export class DecryptError extends CliError {
  constructor(message: string, file?: string) {
    super(message, ExitCode.DECRYPT, file);
  }
}

export class KeyError extends CliError {
  constructor(message: string, file?: string) {
    super(message, ExitCode.KEYS, file);
  }
}

// keys/ error classes by name. Matching on the prototype chain's constructor names (rather than
// `instanceof`) keeps this module free of a runtime dependency on keys/ and robust to the class
// being loaded twice (tsx + dist, vitest module isolation).
const KEYS_ERROR_CODES: Record<string, ExitCodeValue> = {
  TamperedError: ExitCode.DECRYPT,
  NoMatchingKeyError: ExitCode.KEYS,
  UnsupportedKeyTypeError: ExitCode.KEYS,
  VaultError: ExitCode.KEYS,
  FormatError: ExitCode.IO,
  // Bare SopsError: invalid recipient or transit URI, unreadable identity file.
  SopsError: ExitCode.KEYS,
};

function classNames(err: object): string[] {
  const names: string[] = [];
  for (let p: unknown = Object.getPrototypeOf(err); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const ctor = (p as { constructor?: { name?: unknown } }).constructor;
    if (ctor && typeof ctor.name === 'string') names.push(ctor.name);
  }
  const own = (err as { name?: unknown }).name;
  if (typeof own === 'string') names.unshift(own);
  return names;
}

const FS_CAUSES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
};

/**
 * Reduce any message to one line that cannot carry document content. Parser errors are the
 * dangerous case: YAML errors append a source excerpt after the first line and V8's JSON.parse
 * quotes the offending text inline, so both are cut down to their position information.
 */
export function sanitizeMessage(err: unknown): string {
  if (err instanceof SyntaxError) {
    const pos = /position (\d+)/.exec(err.message);
    return pos ? `invalid JSON at position ${pos[1]}` : 'invalid JSON';
  }
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && FS_CAUSES[code]) return FS_CAUSES[code];
    const linePos = (err as { linePos?: unknown }).linePos;
    if (Array.isArray(linePos) && classNames(err).includes('YAMLParseError')) {
      const first = linePos[0] as { line?: number; col?: number } | undefined;
      const kind = typeof code === 'string' ? code.toLowerCase().replace(/_/g, ' ') : 'syntax error';
      return first ? `invalid YAML: ${kind} at line ${first.line}, column ${first.col}` : `invalid YAML: ${kind}`;
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n', 1)[0] ?? '';
  return line.replace(/:\s*$/, '').trim() || 'unknown error';
}

/**
 * Map anything thrown to a CliError, attributing it to `file` when given (the path as the user
 * typed it). keys/ errors carry `source` and prefix their message with it; the prefix is dropped
 * when it names the same file, so the line does not repeat the path.
 */
export function toCliError(err: unknown, file?: string): CliError {
  if (err instanceof CliError) {
    return err.file !== undefined || file === undefined ? err : new CliError(err.message, err.exitCode, file);
  }
  let exitCode: ExitCodeValue = ExitCode.IO;
  if (err && typeof err === 'object') {
    const known = classNames(err).find((n) => n in KEYS_ERROR_CODES);
    if (known) exitCode = KEYS_ERROR_CODES[known] ?? ExitCode.KEYS;
  }
  const raw = err && typeof err === 'object' ? (err as { source?: unknown }).source : undefined;
  const source = typeof raw === 'string' && raw !== '' ? raw : undefined;
  let message = sanitizeMessage(err);
  if (source !== undefined && message.startsWith(`${source}: `) && (file === undefined || file === source)) {
    message = message.slice(source.length + 2);
  }
  return new CliError(message, exitCode, file ?? source);
}

/** Run `fn`, attributing any error it throws to `file`. */
export async function withFile<T>(file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCliError(err, file);
  }
}

/** The single stderr line for an error: `gitops-seal: <file>: <cause>`. */
export function formatError(err: CliError): string {
  return err.file ? `gitops-seal: ${err.file}: ${err.message}` : `gitops-seal: ${err.message}`;
}
