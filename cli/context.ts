// What a command may touch of the outside world. Commands never use `process` directly so that
// tests run them in-process with captured streams, a temp cwd and a controlled environment.
import { isAbsolute, resolve } from 'node:path';
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
  confirm?: (question: string) => Promise<boolean>;
}

export interface CliContext extends CliIO {
  /** The crypto library, loaded on first use (keeps `--help` and usage errors fast). */
  keys(): Promise<KeysApi>;
  /** Resolve a user-supplied path against the context's cwd. */
  resolvePath(p: string): string;
  /** Exit code set by the action (0 unless it reported problems). */
  exitCode: number;
}

export function createContext(io: CliIO, keys: () => Promise<KeysApi>): CliContext {
  return {
    ...io,
    keys,
    resolvePath: (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p)),
    exitCode: 0,
  };
}
