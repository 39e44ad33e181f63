// Private keys in every format users have them in. ssh2 reads OpenSSH keys (ssh-keygen's
// default) and PEM (`ssh-keygen -m PEM`: PKCS#1 RSA, SEC1 EC), but not PKCS#8 (`-----BEGIN
// [ENCRYPTED] PRIVATE KEY-----`: `ssh-keygen -m PKCS8`, `openssl genpkey`, most key managers),
// which OpenSSH's own client accepts. Those are decrypted and converted here, in memory, with
// Node's crypto into a form ssh2 reads: RSA → PKCS#1, EC → SEC1, Ed25519 → OpenSSH.
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import ssh2, { type ParsedKey } from 'ssh2';

const PKCS8 = /-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/;

/** The key ssh2 signs with, or why it cannot be used (never the key's text). */
export function parsePrivateKey(text: string, passphrase: string | undefined): ParsedKey | ParsedKey[] | Error {
  const m = PKCS8.exec(text);
  if (m === null) return ssh2.utils.parseKey(text, passphrase);
  const encrypted = m[1] !== undefined;
  if (encrypted && passphrase === undefined) return new Error('Encrypted PKCS#8 private key detected, but no passphrase given');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem', ...(encrypted ? { passphrase } : {}) });
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    return new Error(`cannot read the PKCS#8 private key (${code}${encrypted ? ': cannot decrypt it with the passphrase given' : ''})`);
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return ssh2.utils.parseKey(key.export({ type: 'pkcs1', format: 'pem' }) as string);
  if (type === 'ec') return ssh2.utils.parseKey(key.export({ type: 'sec1', format: 'pem' }) as string);
  if (type === 'ed25519') return ssh2.utils.parseKey(openSshEd25519(key));
  return new Error(`unsupported PKCS#8 key type ${type ?? 'unknown'} (use ed25519, ECDSA or RSA)`);
}

function str(b: Buffer | string): Buffer {
  const x = Buffer.from(b);
  const n = Buffer.alloc(4);
  n.writeUInt32BE(x.length);
  return Buffer.concat([n, x]);
}

/** An Ed25519 key in the openssh-key-v1 format (unencrypted: it never leaves memory). */
function openSshEd25519(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const pub = Buffer.from(jwk.x ?? '', 'base64url');
  const check = randomBytes(4);
  const priv = Buffer.concat([check, check, str('ssh-ed25519'), str(pub), str(Buffer.concat([seed, pub])), str('')]);
  // Padded to the cipher block size ("none": 8) with 1, 2, 3, …
  const pad = Buffer.from(Array.from({ length: (8 - (priv.length % 8)) % 8 }, (_, i) => i + 1));
  const one = Buffer.alloc(4);
  one.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    str('none'),
    str('none'),
    str(''),
    one,
    str(Buffer.concat([str('ssh-ed25519'), str(pub)])),
    str(Buffer.concat([priv, pad])),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
