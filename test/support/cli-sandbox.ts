// A CLI sandbox for in-process end-to-end tests of the CLI: a temp dir with an age identity, a
// controlled environment (HOME inside the sandbox) and captured output (cli-capture.ts).
// `const sb = useSandbox();` at describe level gives a fresh one per test without repeating the
// beforeEach/afterEach pair in every file; `sandbox()` makes one by hand.
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { TEMP_PREFIX } from '../../cli/plaintext-temp.js';
import { generateAgeIdentity } from '../../keys/index.js';
import { runCaptured, type RunResult } from './cli-capture.js';

export type { RunResult } from './cli-capture.js';

export interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  recipient: string;
  identity: string;
  keyFile: string;
  run(
    args: string[],
    env?: NodeJS.ProcessEnv,
    confirm?: (q: string, defaultYes?: boolean) => Promise<boolean>,
    stdin?: string,
  ): Promise<RunResult>;
  write(name: string, content: string, mode?: number): Promise<string>;
  read(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'gitops-seal-cli-'));
  const id = await generateAgeIdentity();
  const keyFile = join(dir, 'keys.txt');
  await writeFile(keyFile, id.file, { mode: 0o600 });
  // HOME points into the sandbox so no real ~/.config/sops/age/keys.txt or ~/.vault-token leaks in.
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: join(dir, 'home'), SOPS_AGE_KEY_FILE: keyFile };
  return {
    dir,
    env,
    recipient: id.recipient,
    identity: id.identity,
    keyFile,
    run: (args, runEnv = env, confirm, stdin) =>
      runCaptured(args, {
        env: runEnv,
        cwd: dir,
        // Explicit so a test never blocks on a real terminal prompt.
        confirm,
        stdin: async () => stdin ?? '',
      }),
    async write(name, content, mode) {
      const p = join(dir, name);
      await writeFile(p, content);
      if (mode !== undefined) await chmod(p, mode);
      return p;
    },
    read: (name) => readFile(join(dir, name), 'utf8'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The sandbox of the running test (a stand-in that forwards to it); `setup` runs after creation. */
export function useSandbox(setup?: (sb: Sandbox) => Promise<void>): Sandbox {
  let current: Sandbox | undefined;
  beforeEach(async () => {
    current = await sandbox();
    await setup?.(current);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return new Proxy({} as Sandbox, {
    get(_target, key) {
      if (!current) throw new Error('the CLI sandbox is only available inside a test');
      return current[key as keyof Sandbox];
    },
  });
}

/** Leftover edit temp dirs in /dev/shm (and the OS tmpdir) — must stay empty. */
export async function leftoverEditTemps(): Promise<string[]> {
  const found: string[] = [];
  for (const root of ['/dev/shm', tmpdir()]) {
    try {
      for (const e of await readdir(root)) if (e.startsWith(TEMP_PREFIX)) found.push(join(root, e));
    } catch {
      /* root missing */
    }
  }
  return found;
}

export function secretYaml(name: string, values: Record<string, string>): string {
  const data = Object.entries(values)
    .map(([k, v]) => `  ${k}: ${Buffer.from(v).toString('base64')}\n`)
    .join('');
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: apps\ntype: Opaque\ndata:\n${data}`;
}
