// The two sides of the interop matrix behind one interface: gitops-seal (keys API in-process,
// and the CLI in-process through cli/program.ts) and the real sops binary. Each writer
// encrypts a plaintext file for a key set; each reader decrypts with a credential set.
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { decryptText, encryptText, parseIdentityFile, type FileFormat } from '../../keys/index.js';
import type { StackInfo } from '../stack/types.js';
import type { Doc } from './fixtures.js';
import { baseEnv, runOurCli, runSops, sandbox, type RunResult, type Sandbox, type Transcript } from './helpers.js';

export type KeyMode = 'age' | 'vault' | 'age+vault';
export type Writer = 'keys-api' | 'cli' | 'sops';
export type Reader = Writer;
/** Which credentials a reader holds: both, only the age identity, or only a Vault token. */
export type Creds = 'both' | 'age-only' | 'vault-only';

export interface World {
  sopsBin: string;
  /** age-keygen file (several identities, comments) holding the recipient's identity. */
  keyFile: string;
  identities: string[];
  recipient: string;
  /** age-keygen file of an unrelated identity: "no usable age key". */
  otherKeyFile: string;
  otherIdentities: string[];
  vaultAddr: string;
  vaultToken: string;
  transitUri: string;
  box: Sandbox;
  transcript: Transcript;
}

export function credsFor(mode: KeyMode): Creds[] {
  return mode === 'age+vault' ? ['both', 'age-only', 'vault-only'] : [mode === 'age' ? 'age-only' : 'vault-only'];
}

function keyArgs(w: World, mode: KeyMode): { age: string[]; vault: string[] } {
  return { age: mode === 'vault' ? [] : [w.recipient], vault: mode === 'age' ? [] : [w.transitUri] };
}

/** sops/CLI environment for a credential set. The Vault address always comes from the file. */
function envFor(w: World, creds: Creds): NodeJS.ProcessEnv {
  const home = w.box.path('home');
  return baseEnv(home, {
    SOPS_AGE_KEY_FILE: creds === 'vault-only' ? w.otherKeyFile : w.keyFile,
    VAULT_ADDR: w.vaultAddr,
    VAULT_TOKEN: creds === 'age-only' ? undefined : w.vaultToken,
  });
}

function noVault(): Promise<string> {
  return Promise.reject(new Error('this reader holds no Vault credentials'));
}

/** Encrypt `doc` as `writer`; returns the encrypted file's path in the sandbox. */
export async function encryptAs(w: World, writer: Writer, mode: KeyMode, doc: Doc, tag: string): Promise<string> {
  const k = keyArgs(w, mode);
  const input = await w.box.write(`${tag}.plain.${doc.name}`, doc.text);
  const output = w.box.path(`${tag}.enc.${doc.name}`);
  const env = envFor(w, 'both');
  if (writer === 'keys-api') {
    const enc = await encryptText(
      doc.text,
      { format: doc.format, source: output, keys: { age: k.age, hcVaultTransit: k.vault }, ...(doc.rule ? { rule: doc.rule } : {}) },
      { vault: { token: w.vaultToken } },
    );
    await w.box.write(`${tag}.enc.${doc.name}`, enc);
    return output;
  }
  const flags = [...k.age.flatMap((r) => ['--age', r]), ...k.vault.flatMap((u) => ['--hc-vault-transit', u])];
  if (writer === 'cli') {
    const r = await runOurCli(['encrypt', input, ...flags, '-o', output], env, w.box.dir);
    w.transcript.add(`cli encrypt ${tag}`, r.err);
    if (r.code !== 0) throw new Error(`gitops-seal encrypt exited ${r.code}: ${r.err.trim()}`);
    return output;
  }
  const rule = doc.rule?.encryptedRegex !== undefined ? ['--encrypted-regex', doc.rule.encryptedRegex] : [];
  const r = await runSops(w.sopsBin, ['encrypt', ...flags, ...rule, '--output', output, input], env, w.box.dir);
  w.transcript.add(`sops encrypt ${tag}`, r.err);
  if (r.code !== 0) throw new Error(`sops encrypt exited ${r.code}: ${r.err.trim()}`);
  return output;
}

/** Decrypt the file at `path` as `reader` holding `creds`; returns the plaintext. */
export async function decryptAs(w: World, reader: Reader, creds: Creds, path: string, format: FileFormat, tag: string): Promise<string> {
  if (reader === 'keys-api') {
    const text = await readFile(path, 'utf8');
    try {
      return await decryptText(
        text,
        { format, source: path },
        {
          ageIdentities: creds === 'vault-only' ? w.otherIdentities : w.identities,
          vault: { token: creds === 'age-only' ? noVault : w.vaultToken },
        },
      );
    } catch (err) {
      w.transcript.add(`keys-api decrypt ${tag}`, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }
  const env = envFor(w, creds);
  const r =
    reader === 'cli' ? await runOurCli(['decrypt', path], env, w.box.dir) : await runSops(w.sopsBin, ['decrypt', path], env, w.box.dir);
  // sops logs its failed key attempts on stderr even when another key succeeds: record it all.
  w.transcript.add(`${reader} decrypt ${tag}`, r.err);
  if (r.code !== 0) throw new Error(`${reader} decrypt exited ${r.code}: ${r.err.trim()}`);
  return r.out;
}

/**
 * A sandbox with age-keygen key files (two identities plus a hand-written comment and blank
 * lines — the recipient is the second one) and the stack's Vault, used by every interop file.
 */
export async function makeWorld(stack: Pick<StackInfo, 'bins' | 'vault'>, label: string, transcript: Transcript): Promise<World> {
  const box = await sandbox(label);
  await mkdir(box.path('home'), { mode: 0o700 });
  const keygen = async (name: string): Promise<string> => {
    const r = await run(stack.bins.ageKeygen, ['-o', box.path(name)], baseEnv(box.path('home')));
    if (r.code !== 0) throw new Error(`age-keygen failed: ${r.err}`);
    return box.read(name);
  };
  const first = await keygen('k1.txt');
  const second = await keygen('k2.txt');
  const other = await keygen('other.txt');
  const keyFileText = `${first}\n# the deploy key, added by hand\n\n${second}`;
  const keyFile = await box.write('keys.txt', keyFileText);
  const recipient = /# public key: (age1[0-9a-z]+)/.exec(second)?.[1];
  if (!recipient) throw new Error('age-keygen wrote no public key comment');
  return {
    sopsBin: stack.bins.sops,
    keyFile,
    identities: parseIdentityFile(keyFileText, keyFile),
    recipient,
    otherKeyFile: box.path('other.txt'),
    otherIdentities: parseIdentityFile(other, 'other.txt'),
    vaultAddr: stack.vault.addr,
    vaultToken: stack.vault.rootToken,
    transitUri: stack.vault.transitUri,
    box,
    transcript,
  };
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout, err: stderr }));
  });
}
