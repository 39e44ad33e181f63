// Canaries for the reliability suite: unique plaintext markers seeded into encrypted Secrets,
// and a sweep that looks for them in everything a run produced — texts (logs, /status, Events,
// CLI output), directory trees (data dirs, temp dirs; zlib-compressed files are inflated) and
// git object stores (every object, loose or packed, via `git cat-file --batch-all-objects`).
//
// A canary can leak in more shapes than its raw bytes: Secret `data` is base64, a log line may
// carry a hex dump, and a canary inside a larger value lands at any offset of a base64 blob.
// So every canary is searched for raw, as lower/upper hex, and as the base64 characters that
// encode it at each of the 3 byte alignments (offset ≡ 0, 1, 2 mod 3), in the standard and the
// URL-safe alphabets. Shared by the other reliability tests: import, don't copy.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

/** A fresh, unique canary: `canary-<label>-<24 hex>` (only [a-z0-9-], so it survives YAML/JSON unquoted). */
export function makeCanary(label: string): string {
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return `canary-${safe}-${randomBytes(12).toString('hex')}`;
}

export interface CanaryForm {
  canary: string;
  /** raw | hex | HEX | b64@0 | b64@1 | b64@2 | b64url@k (only when it differs from b64@k) */
  form: string;
  needle: Buffer;
}

/**
 * The base64 characters that depend only on `bytes` when they start `offset` bytes into a
 * larger blob: char i of base64 covers bits [6i, 6i+6), so the chars fully inside the canary's
 * bits run from ceil(8·offset/6) to floor(8·(offset+n)/6).
 */
export function base64Core(bytes: Buffer, offset: 0 | 1 | 2, urlSafe = false): string {
  const enc = Buffer.concat([Buffer.alloc(offset), bytes]).toString(urlSafe ? 'base64url' : 'base64');
  return enc.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
}

/** Every shape a canary is searched in. */
export function canaryForms(canary: string): CanaryForm[] {
  const bytes = Buffer.from(canary, 'utf8');
  const forms: CanaryForm[] = [
    { canary, form: 'raw', needle: bytes },
    { canary, form: 'hex', needle: Buffer.from(bytes.toString('hex')) },
    { canary, form: 'HEX', needle: Buffer.from(bytes.toString('hex').toUpperCase()) },
  ];
  for (const offset of [0, 1, 2] as const) {
    const std = base64Core(bytes, offset);
    const url = base64Core(bytes, offset, true);
    forms.push({ canary, form: `b64@${offset}`, needle: Buffer.from(std) });
    if (url !== std) forms.push({ canary, form: `b64url@${offset}`, needle: Buffer.from(url) });
  }
  return forms;
}

export interface CanaryHit {
  canary: string;
  form: string;
  /** Where: a label, a file path, or `git:<store>:<object id>`. */
  where: string;
}

export interface SweepStats {
  texts: number;
  files: number;
  /** Bytes searched (inflated bytes count once more; git objects count with their contents). */
  bytes: number;
  /** Git objects read from object stores. */
  objects: number;
  /** Object stores swept. */
  stores: number;
}

export interface DirOptions {
  /** Paths (files or dirs) to leave out, e.g. a test's own plaintext inputs. */
  exclude?: (path: string) => boolean;
  /** Files larger than this are skipped and listed in `skipped` (default 64 MiB). */
  maxFileBytes?: number;
  /** Stop after this many files under `root` (the rest is listed in `skipped` as `<root>/…`); default unlimited. */
  maxFiles?: number;
}

/** Collects hits and figures over any number of texts, directories and git stores. */
export class CanarySweep {
  readonly hits: CanaryHit[] = [];
  readonly skipped: string[] = [];
  readonly stats: SweepStats = { texts: 0, files: 0, bytes: 0, objects: 0, stores: 0 };
  private readonly forms: CanaryForm[];

  constructor(readonly canaries: readonly string[]) {
    if (canaries.length === 0) throw new Error('CanarySweep: no canaries');
    this.forms = canaries.flatMap(canaryForms);
  }

  /** Hits in one buffer or string, recorded under `where`; returns them too. */
  scan(where: string, data: string | Buffer): CanaryHit[] {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.stats.bytes += buf.length;
    const found: CanaryHit[] = [];
    for (const f of this.forms) if (buf.includes(f.needle)) found.push({ canary: f.canary, form: f.form, where });
    this.hits.push(...found);
    return found;
  }

  /** A text the run produced (stdout, a log, a response body, Events JSON). */
  text(where: string, data: string | Buffer): CanaryHit[] {
    this.stats.texts++;
    return this.scan(where, data);
  }

  /**
   * Every regular file under `root` (symlinks not followed). A file that inflates as zlib (a
   * loose git object, a compressed blob) is searched inflated as well.
   */
  async dir(root: string, opts: DirOptions = {}): Promise<void> {
    const max = opts.maxFileBytes ?? 64 << 20;
    let budget = opts.maxFiles ?? Infinity;
    const walk = async (p: string): Promise<void> => {
      if (opts.exclude?.(p)) return;
      if (budget <= 0) {
        if (budget === 0) this.skipped.push(`${root}/… (more than ${opts.maxFiles} files)`);
        budget = -1;
        return;
      }
      let s;
      try {
        s = await stat(p);
      } catch {
        return; // vanished meanwhile
      }
      if (s.isDirectory()) {
        let names: string[] = [];
        try {
          names = await readdir(p);
        } catch {
          return;
        }
        for (const n of names.sort()) await walk(join(p, n));
        return;
      }
      if (!s.isFile()) return;
      if (s.size > max) {
        this.skipped.push(p);
        return;
      }
      let buf: Buffer;
      try {
        buf = await readFile(p);
      } catch {
        return;
      }
      this.stats.files++;
      budget--;
      this.scan(p, buf);
      const inflated = tryInflate(buf);
      if (inflated) this.scan(`${p} (inflated)`, inflated);
    };
    await walk(root);
  }

  /**
   * Every object of a git object store (bare or not; isomorphic-git's bare stores work too),
   * loose and packed, decompressed by git itself. Returns the number of objects read.
   */
  async gitObjects(gitDir: string): Promise<number> {
    const out = await gitCatAll(gitDir);
    let n = 0;
    // `--batch` output: "<oid> <type> <size>\n<contents>\n" per object.
    let pos = 0;
    while (pos < out.length) {
      const nl = out.indexOf(0x0a, pos);
      if (nl < 0) break;
      const header = out.subarray(pos, nl).toString('latin1');
      const [oid, , sizeText] = header.split(' ');
      const size = Number(sizeText);
      if (!oid || !Number.isFinite(size)) throw new Error(`git cat-file: unexpected header "${header}" in ${gitDir}`);
      this.scan(`git:${gitDir}:${oid}`, out.subarray(nl + 1, nl + 1 + size));
      pos = nl + 1 + size + 1;
      n++;
    }
    this.stats.objects += n;
    this.stats.stores++;
    return n;
  }

  /** Human-readable hit list for assertion messages. */
  describe(): string[] {
    return this.hits.map((h) => `${h.form} of ${h.canary} in ${h.where}`);
  }
}

function tryInflate(buf: Buffer): Buffer | undefined {
  // zlib header: CMF 0x78, and (CMF*256 + FLG) % 31 == 0.
  if (buf.length < 2 || buf[0] !== 0x78 || ((buf[0] << 8) | (buf[1] as number)) % 31 !== 0) return undefined;
  try {
    return inflateSync(buf);
  } catch {
    return undefined;
  }
}

function gitCatAll(gitDir: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['--git-dir', gitDir, 'cat-file', '--batch-all-objects', '--batch', '--unordered'],
      { encoding: 'buffer', maxBuffer: 1 << 30, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git cat-file in ${gitDir}: ${stderr.toString().trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** Directories under `root` (max `depth` levels) that look like git object stores (have objects/ and HEAD). */
export async function findGitStores(root: string, depth = 4): Promise<string[]> {
  const found: string[] = [];
  const walk = async (p: string, d: number): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(p);
    } catch {
      return;
    }
    if (names.includes('objects') && names.includes('HEAD')) {
      found.push(p);
      return;
    }
    if (names.includes('.git')) {
      found.push(join(p, '.git'));
      return;
    }
    if (d === 0) return;
    for (const n of names.sort()) {
      const c = join(p, n);
      try {
        if ((await stat(c)).isDirectory()) await walk(c, d - 1);
      } catch {
        /* vanished */
      }
    }
  };
  await walk(root, depth);
  return found;
}
