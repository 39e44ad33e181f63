// What a command may touch of the outside world. Commands never use `process` directly so that
// tests run them in-process with captured streams, a temp cwd and a controlled environment.
import { isAbsolute, relative, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { decodeUtf8 } from './utf8.js';
import type { KeysApi } from './keys-api.js';

export interface Writer {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface CliIO {
  stdout: Writer;
  stderr: Writer;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Ask the user a yes/no question; absent when there is no terminal to ask on (then commands
   * take the non-interactive path instead of blocking).
   */
  confirm?: (question: string, defaultYes?: boolean) => Promise<boolean>;
  /** The whole of standard input, for a file argument given as `-`. */
  stdin?: () => Promise<string>;
}

export interface CliContext extends CliIO {
  /** The crypto library, loaded on first use (keeps `--help` and usage errors fast). */
  keys(): Promise<KeysApi>;
  /** Resolve a user-supplied path against the context's cwd. */
  resolvePath(p: string): string;
  /** Exit code set by the action (0 unless it reported problems). */
  exitCode: number;
  /** Read standard input (`-`); a second read in one command is a usage error. */
  readStdin(): Promise<string>;
}

export function createContext(io: CliIO, keys: () => Promise<KeysApi>): CliContext {
  let stdinRead = false;
  return {
    ...io,
    keys,
    resolvePath: (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p)),
    exitCode: 0,
    readStdin: async () => {
      if (stdinRead) throw new UsageError("standard input ('-') can be read only once per command");
      stdinRead = true;
      if (!io.stdin) throw new UsageError("standard input ('-') is not available");
      return io.stdin();
    },
  };
}

/** All of process.stdin as UTF-8 text (other bytes are refused, see utf8.ts). */
export async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return decodeUtf8(Buffer.concat(chunks), '(stdin)');
}

/**
 * A path for messages: relative to `cwd` when it lies below it (the way the user typed the file
 * it concerns), absolute otherwise, so one error line never mixes the two styles.
 */
export function displayPath(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}
