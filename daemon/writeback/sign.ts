// Commit signing with an SSH ed25519 key, as `git -c gpg.format=ssh commit -S` does: the commit
// text without its gpgsig header is signed as an SSHSIG (namespace "git", sha512) and the armored
// signature goes into the gpgsig header. daemon/source/signature verifies exactly this format.
import { createHash, createPrivateKey, sign as edSign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SshReader } from '../source/index.js';

interface CommitFields {
  tree: string;
  parent: string[];
  author: { name: string; email: string; timestamp: number; timezoneOffset: number };
  committer: { name: string; email: string; timestamp: number; timezoneOffset: number };
  message: string;
}

function tz(offsetMinutes: number): string {
  // isomorphic-git stores the offset with git's sign convention inverted (like Date#getTimezoneOffset).
  const m = -offsetMinutes;
  const sign = m < 0 ? '-' : '+';
  const a = Math.abs(m);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}${String(a % 60).padStart(2, '0')}`;
}

/** The bytes git signs: the commit object as written, minus the gpgsig header. */
export function commitPayload(c: CommitFields): string {
  const who = (p: CommitFields['author']): string => `${p.name} <${p.email}> ${p.timestamp} ${tz(p.timezoneOffset)}`;
  return (
    [`tree ${c.tree}`, ...c.parent.map((p) => `parent ${p}`), `author ${who(c.author)}`, `committer ${who(c.committer)}`].join('\n') +
    `\n\n${c.message}`
  );
}

function sshString(b: Buffer | string): Buffer {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}

export interface SshSigner {
  /** SSH wire-format public key. */
  publicKey: Buffer;
  sign(payload: string): string;
}

/** An unencrypted OpenSSH ed25519 private key (`ssh-keygen -t ed25519 -N ''`). */
export function parseEd25519PrivateKey(text: string): { key: KeyObject; publicKey: Buffer } {
  const b64 = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  const raw = Buffer.from(b64, 'base64');
  const magic = Buffer.from('openssh-key-v1\0');
  if (!raw.subarray(0, magic.length).equals(magic)) throw new Error('not an OpenSSH private key');
  const r = new SshReader(raw.subarray(magic.length));
  const cipher = r.string().toString();
  r.string(); // kdf name
  r.string(); // kdf options
  if (cipher !== 'none') throw new Error('the signing key is passphrase-protected; use an unencrypted key');
  if (r.uint32() !== 1) throw new Error('the key file must hold exactly one key');
  const publicKey = r.string();
  const priv = new SshReader(r.string());
  if (priv.uint32() !== priv.uint32()) throw new Error('corrupt private key (check ints differ)');
  const type = priv.string().toString();
  if (type !== 'ssh-ed25519') throw new Error(`key type ${type} is not supported; use ssh-ed25519`);
  const pub = priv.string();
  const secret = priv.string();
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: secret.subarray(0, 32).toString('base64url'), x: pub.toString('base64url') };
  return { key: createPrivateKey({ key: jwk, format: 'jwk' }), publicKey };
}

export function sshSigner(keyText: string): SshSigner {
  const { key, publicKey } = parseEd25519PrivateKey(keyText);
  return {
    publicKey,
    sign(payload: string): string {
      const ns = 'git';
      const hash = createHash('sha512').update(payload).digest();
      const toSign = Buffer.concat([Buffer.from('SSHSIG'), sshString(ns), sshString(''), sshString('sha512'), sshString(hash)]);
      const sig = edSign(null, toSign, key);
      const version = Buffer.alloc(4);
      version.writeUInt32BE(1);
      const blob = Buffer.concat([
        Buffer.from('SSHSIG'),
        version,
        sshString(publicKey),
        sshString(ns),
        sshString(''),
        sshString('sha512'),
        sshString(Buffer.concat([sshString('ssh-ed25519'), sshString(sig)])),
      ]);
      const lines = blob.toString('base64').match(/.{1,70}/g) ?? [];
      return ['-----BEGIN SSH SIGNATURE-----', ...lines, '-----END SSH SIGNATURE-----'].join('\n') + '\n';
    },
  };
}

/** Reads the key file on each call so that a rotated key needs no restart. */
export function fileSigner(file: string): (payload: string) => Promise<string> {
  return async (payload) => sshSigner(await readFile(file, 'utf8')).sign(payload);
}
