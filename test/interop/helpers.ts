// Shared plumbing of the interop tests: running the real sops binary and our CLI (in-process)
// with a controlled environment, canaries (random plaintext markers that must never show up in
// error text, logs or files left behind), byte flipping for tamper tests, and the sweeps.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { TEMP_PREFIX } from '../../cli/plaintext-temp.js';
import { runCaptured, type RunResult } from '../support/cli-capture.js';

export type { RunResult } from '../support/cli-capture.js';

/**
 * Everything a failing operation printed or threw, collected per test file so the last test
 * can assert that no canary leaked into it. Successful stdout is not recorded (it is the
 * plaintext on purpose).
 */
export class Transcript {
  readonly texts: string[] = [];
  add(label: string, text: string): void {
    if (text !== '') this.texts.push(`[${label}] ${text}`);
  }
  /**
   * Our entries (keys API, CLI) that contain any canary or its base64 form. The sops binary's
   * own stderr is recorded for diagnosis but is not ours to vouch for, so it is left out.
   */
  leaks(canaries: Canaries): string[] {
    return this.texts.filter((t) => !t.startsWith('[sops ') && canaries.foundIn(t).length > 0);
  }
}

/** Random plaintext markers; every one is also registered in its base64 form (Secret data). */
export class Canaries {
  private readonly all = new Set<string>();
  make(label: string): string {
    const c = `canary-${label}-${randomBytes(8).toString('hex')}`;
    this.all.add(c);
    return c;
  }
  b64(label: string): string {
    const c = this.make(label);
    const enc = Buffer.from(c).toString('base64');
    this.all.add(enc);
    return enc;
  }
  foundIn(text: string): string[] {
    return [...this.all].filter((c) => text.includes(c));
  }
  get size(): number {
    return this.all.size;
  }
}

/** A minimal environment: no inherited VAULT_*, SOPS_* or a real HOME (no ~/.vault-token, ~/.config/sops). */
export function baseEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Run the real sops binary; never rejects (the exit code is in the result). */
export function runSops(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, cwd, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

/** Run `gitops-seal` in-process through cli/program.ts with captured streams. */
export function runOurCli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<RunResult> {
  return runCaptured(args, { env, cwd, confirm: undefined });
}

export type Format = 'yaml' | 'json';

/** Parsed documents of a YAML stream or a JSON file, for structural comparison. */
export function parseDocs(text: string, format: Format): unknown[] {
  if (format === 'json') return [JSON.parse(text) as unknown];
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(`unparsable YAML output: ${d.errors[0]?.code ?? 'error'}`);
    return d.toJS() as unknown;
  });
}

/** Flip the lowest bit of byte `index` (negative: from the end) of a base64 string, keeping its length. */
export function flipB64(b64: string, index = 0): string {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length === 0) throw new Error('flipB64: empty input');
  const i = ((index % buf.length) + buf.length) % buf.length;
  buf[i] = (buf[i] as number) ^ 0x01;
  return buf.toString('base64');
}

export interface EncParts {
  data: string;
  iv: string;
  tag: string;
  type: string;
}

const ENC_RE = /ENC\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:([a-z]+)\]/;

export function parseEnc(value: string): EncParts {
  const m = ENC_RE.exec(value);
  if (!m) throw new Error('not an ENC[] value');
  return { data: m[1] as string, iv: m[2] as string, tag: m[3] as string, type: m[4] as string };
}

export function formatEnc(p: EncParts): string {
  return `ENC[AES256_GCM,data:${p.data},iv:${p.iv},tag:${p.tag},type:${p.type}]`;
}

/** The ENC[] value on the first line of `text` that starts with `key:` (after indentation). */
export function encOnLine(text: string, key: string): string {
  const line = text.split('\n').find((l) => l.trimStart().startsWith(`${key}:`) && l.includes('ENC['));
  if (!line) throw new Error(`no encrypted line for ${key}`);
  return (ENC_RE.exec(line) as RegExpExecArray)[0];
}

/** Re-encode an age armored block (the `enc: |` stanza) after flipping one byte of its body. */
export function flipAgeArmor(armored: string, index: number): string {
  const lines = armored
    .trim()
    .split('\n')
    .map((l) => l.trim());
  const body = lines.slice(1, -1).join('');
  const flipped = flipB64(body, index);
  const wrapped = flipped.match(/.{1,64}/g) ?? [];
  return [lines[0], ...wrapped, lines[lines.length - 1]].join('\n');
}

export interface Sandbox {
  dir: string;
  path(name: string): string;
  write(name: string, content: string): Promise<string>;
  read(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function sandbox(label: string): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), `gitops-seal-interop-${label}-`));
  return {
    dir,
    path: (name) => join(dir, name),
    async write(name, content) {
      const p = join(dir, name);
      await writeFile(p, content, { mode: 0o600 });
      return p;
    },
    read: (name) => readFile(join(dir, name), 'utf8'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Top-level entries of /dev/shm and the OS temp dir, with mtimes (for the before/after sweep). */
export async function tempEntries(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const root of ['/dev/shm', tmpdir()]) {
    let names: string[] = [];
    try {
      names = await readdir(root);
    } catch {
      continue;
    }
    for (const n of names) {
      const p = join(root, n);
      try {
        out.set(p, (await stat(p)).mtimeMs);
      } catch {
        /* vanished meanwhile (another process's temp file) */
      }
    }
  }
  return out;
}

/** Bounded walk: temp dirs of parallel builds (Go caches) can hold many thousands of files. */
async function filesUnder(p: string, depth: number, acc: string[]): Promise<void> {
  if (acc.length >= 500) return;
  let s;
  try {
    s = await stat(p);
  } catch {
    return;
  }
  if (s.isFile() && s.size <= 1 << 20) acc.push(p);
  else if (s.isDirectory() && depth > 0) {
    let names: string[] = [];
    try {
      names = await readdir(p);
    } catch {
      return;
    }
    for (const n of names) await filesUnder(join(p, n), depth - 1, acc);
  }
}

/**
 * What the CLI may have left behind in /dev/shm and the OS temp dir since `before`: any entry
 * with the CLI's edit-temp prefix, or any new/changed file (up to 3 levels down) holding a
 * canary. Other processes (parallel test runs) create temp files too, so new entries alone are
 * not a failure — only ours (prefix) or ones carrying our plaintext. `exclude` are the test's
 * own sandbox dirs, which hold the plaintext inputs on purpose.
 */
export async function leftoverTemps(before: Map<string, number>, canaries: Canaries, exclude: string[]): Promise<string[]> {
  const after = await tempEntries();
  const bad: string[] = [];
  for (const [p, mtime] of after) {
    if (exclude.some((e) => p === e || p.startsWith(`${e}/`))) continue;
    const name = p.slice(p.lastIndexOf('/') + 1);
    if (name.startsWith(TEMP_PREFIX) || name.includes('.gitops-seal-')) {
      bad.push(`${p} (gitops-seal temp)`);
      continue;
    }
    if (before.get(p) === mtime) continue;
    const files: string[] = [];
    await filesUnder(p, 3, files);
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(f, 'latin1');
      } catch {
        continue;
      }
      if (canaries.foundIn(text).length > 0) bad.push(`${f} (holds a canary)`);
    }
  }
  return bad;
}

/** Atomic-write temp files (`.<name>.gitops-seal-<hex>.tmp`) anywhere under `dir`. */
export async function strayTempsIn(dir: string): Promise<string[]> {
  const files: string[] = [];
  await filesUnder(dir, 6, files);
  return files.filter((f) => /\.gitops-seal-[0-9a-f]+\.tmp$/.test(f) || f.includes(TEMP_PREFIX));
}
