// age identities: parsing age-keygen files and finding them where sops looks
// (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, $XDG_CONFIG_HOME or ~/.config/sops/age/keys.txt).
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { generateX25519Identity } from 'age-encryption';

import { SopsError } from '../sops/errors.js';
import { recipientOf } from './recipients.js';

// X25519 identities and age 1.3's post-quantum hybrid identities (AGE-SECRET-KEY-PQ-1…).
const IDENTITY_RE = /^AGE-SECRET-KEY-(?:1[023456789ACDEFGHJKLMNPQRSTUVWXYZ]{58}|PQ-1[023456789ACDEFGHJKLMNPQRSTUVWXYZ]{50,100})$/;

/**
 * Parses an age identity file: `#` comments and blank lines are skipped, every other line
 * must be an age identity (X25519 or post-quantum hybrid). Errors name the line number only, never its content.
 */
export function parseIdentityFile(text: string, source: string): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (!IDENTITY_RE.test(line))
      throw new SopsError(source, `line ${i + 1} is not an age identity (AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1...)`);
    out.push(line);
  });
  return out;
}

export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(base, 'sops', 'age', 'keys.txt');
}

async function readOptional(path: string, required: boolean): Promise<string | undefined> {
  // A key pasted where a file name belongs (--age-key-file, SOPS_AGE_KEY_FILE) would otherwise
  // be echoed as the "file" of the error below.
  if (/AGE-SECRET-KEY-/i.test(path)) {
    throw new SopsError(
      'age identity file',
      'the path given is an age PRIVATE key itself (AGE-SECRET-KEY-…), not a file name: put it in a file or in SOPS_AGE_KEY, and treat it as exposed if it was shared',
    );
  }
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!required && code === 'ENOENT') return undefined;
    throw new SopsError(path, `cannot read age identity file (${code ?? 'error'})`);
  }
}

/** All identities available: explicit keyFile, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, then the default file. Deduplicated. */
export async function loadAgeIdentities(opts: { keyFile?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string[]> {
  const env = opts.env ?? process.env;
  const ids: string[] = [];
  if (opts.keyFile) ids.push(...parseIdentityFile((await readOptional(opts.keyFile, true)) as string, opts.keyFile));
  const inline = env['SOPS_AGE_KEY'];
  if (inline) ids.push(...parseIdentityFile(inline, 'SOPS_AGE_KEY'));
  const envFile = env['SOPS_AGE_KEY_FILE'];
  if (envFile) ids.push(...parseIdentityFile((await readOptional(envFile, true)) as string, envFile));
  const def = defaultKeyFile(env);
  const text = await readOptional(def, false);
  if (text !== undefined) ids.push(...parseIdentityFile(text, def));
  return [...new Set(ids)];
}

/** Go time.Format(time.RFC3339) in local time, as age-keygen writes it. */
function localRfc3339(d: Date): string {
  const pad = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const tz = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${tz}`;
}

/** A new X25519 identity, plus the file text age-keygen would write for it. */
export async function generateAgeIdentity(now = new Date()): Promise<{ identity: string; recipient: string; file: string }> {
  const identity = await generateX25519Identity();
  const recipient = await recipientOf(identity);
  return { identity, recipient, file: `# created: ${localRfc3339(now)}\n# public key: ${recipient}\n${identity}\n` };
}
