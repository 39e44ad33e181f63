// The controller's hybrid cipher (pkg/crypto of bitnami-labs/sealed-secrets), one value at a time:
//   uint16 big-endian length of the RSA part ‖ RSA-OAEP(SHA-256, label) of a 32-byte session key
//   ‖ AES-256-GCM(session key, all-zero 12-byte nonce, no AAD) of the value, tag appended.
// The OAEP label is the scope (scope.ts): a value sealed for `a/x` does not unwrap as `b/x`. The
// zero nonce is safe only because every value has its own session key; sealHybrid keeps that.
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import type { SealingKey } from './private-keys.js';

const SESSION_KEY_BYTES = 32;
const NONCE = Buffer.alloc(12);
const TAG_BYTES = 16;

export type OpenResult =
  | { ok: true; plaintext: Buffer; fingerprint: string }
  /** `short`: not even the RSA part; `no-key`: no key unwraps it under this label; `tampered`: GCM refused. */
  | { ok: false; why: 'short' | 'no-key' | 'tampered' };

function unwrap(key: KeyObject, wrapped: Buffer, label: Buffer): Buffer | undefined {
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label }, wrapped);
  } catch {
    return undefined;
  }
}

/** Opens one value with any of `keys` (rotated controller keys: the one that unwraps it wins). */
export function openHybrid(keys: readonly SealingKey[], ciphertext: Buffer, label: Buffer): OpenResult {
  if (ciphertext.length < 2) return { ok: false, why: 'short' };
  const rsaLen = ciphertext.readUInt16BE(0);
  if (ciphertext.length < 2 + rsaLen + TAG_BYTES) return { ok: false, why: 'short' };
  const wrapped = ciphertext.subarray(2, 2 + rsaLen);
  const body = ciphertext.subarray(2 + rsaLen, ciphertext.length - TAG_BYTES);
  const tag = ciphertext.subarray(ciphertext.length - TAG_BYTES);
  let unwrapped = false;
  for (const k of keys) {
    const session = unwrap(k.key, wrapped, label);
    if (session?.length !== SESSION_KEY_BYTES) continue;
    unwrapped = true;
    try {
      const d = createDecipheriv('aes-256-gcm', session, NONCE);
      d.setAuthTag(tag);
      return { ok: true, plaintext: Buffer.concat([d.update(body), d.final()]), fingerprint: k.fingerprint };
    } catch {
      // An unwrapped session key whose GCM tag fails: the body was altered (try the other keys
      // anyway — an OAEP false positive under a wrong key is negligible, but costs nothing).
    } finally {
      session.fill(0);
    }
  }
  return { ok: false, why: unwrapped ? 'tampered' : 'no-key' };
}

/** Seals one value as kubeseal does (unit tests and round trips; the interop tests use kubeseal itself). */
export function sealHybrid(publicKey: KeyObject, plaintext: Buffer, label: Buffer): Buffer {
  const session = randomBytes(SESSION_KEY_BYTES);
  const wrapped = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
    session,
  );
  const c = createCipheriv('aes-256-gcm', session, NONCE);
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  session.fill(0);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(wrapped.length);
  return Buffer.concat([len, wrapped, body, c.getAuthTag()]);
}
