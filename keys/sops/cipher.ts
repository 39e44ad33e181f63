// SOPS value encryption: `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]`.
// Follows getsops/sops aes/cipher.go: AES-256-GCM with a 32-byte random IV (GCM with a
// non-96-bit nonce), 16-byte tag stored separately, additional data = the key path joined
// by ':' plus a trailing ':' (see tree.ts), and the plaintext stringified per type.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { AuthFailure } from './errors.js';
import { canonicalTime } from './gotime.js';

/**
 * Every type tag sops 3.13.3 reads (aes/cipher.go Decrypt). It writes all but `bytes` (Encrypt
 * has no []byte case; no store produces one), which earlier sops versions wrote.
 */
export type ValueKind = 'str' | 'int' | 'float' | 'bool' | 'time' | 'bytes' | 'comment';

/**
 * A leaf value as SOPS sees it: the kind plus the exact bytes SOPS encrypts and feeds to the MAC
 * (int → decimal, float → Go FormatFloat(f,'f',-1), bool → "True"/"False", time → Go
 * Time.MarshalText, RFC 3339 with nanoseconds).
 */
export interface Leaf {
  kind: ValueKind;
  text: string;
}

export const IV_LENGTH = 32;
const TAG_LENGTH = 16;

// Same shape as sops' regexp (greedy groups, no end anchor); the groups are validated strictly below.
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;
// Strict standard base64 (what Go's StdEncoding accepts), checked as a flat character class
// plus a length test: the grouped form `(?:[..]{4})*` recursed per group in V8 and blew the stack
// on values of a few MiB, after we had already written them (issue 13, item 3).
const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const isStdBase64 = (s: string): boolean => s.length % 4 === 0 && B64_RE.test(s);

export interface ParsedEnc {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

/** Thrown for a string that looks like ENC[...] but is malformed; carries no value text. */
export class EncFormatError extends Error {}

/**
 * A value that authenticated but whose type tag — outside the GCM authentication, as in sops —
 * is unknown or does not fit the decrypted text: only an edit of the file produces that.
 */
export class TypeTagError extends Error {}

export function looksEncrypted(value: string): boolean {
  return value.startsWith('ENC[AES256_GCM,');
}

export function parseEnc(value: string): ParsedEnc {
  const m = ENC_RE.exec(value);
  if (!m) throw new EncFormatError('value does not match the ENC[AES256_GCM,...] format');
  const [, data, iv, tag, type] = m as unknown as [string, string, string, string, string];
  for (const [name, part] of [
    ['data', data],
    ['iv', iv],
    ['tag', tag],
  ] as const) {
    if (!isStdBase64(part)) throw new EncFormatError(`invalid base64 in ${name}`);
  }
  return { data: Buffer.from(data, 'base64'), iv: Buffer.from(iv, 'base64'), tag: Buffer.from(tag, 'base64'), type };
}

/** Stash of IVs from a previous decryption so unchanged values re-encrypt to identical ciphertext (sops' Cipher.stash). */
export type IvStash = Map<string, Buffer>;

function stashKey(leaf: Leaf, aad: string): string {
  return `${aad}\u0000${leaf.kind}\u0000${leaf.text}`;
}

// IVs come from one CSPRNG draw per 256 values: a call to randomBytes per value was a tenth of
// the time of encrypting a Secret with many keys. Every IV is still fresh random bytes.
const IV_POOL_VALUES = 256;
let ivPool = Buffer.alloc(0);
let ivPoolPos = 0;
function freshIv(): Buffer {
  if (ivPoolPos + IV_LENGTH > ivPool.length) {
    ivPool = randomBytes(IV_LENGTH * IV_POOL_VALUES);
    ivPoolPos = 0;
  }
  const iv = ivPool.subarray(ivPoolPos, ivPoolPos + IV_LENGTH);
  ivPoolPos += IV_LENGTH;
  return iv;
}

/** Encrypts one leaf. Empty strings/comments stay empty, as in sops (`isEmpty`). */
export function encryptLeaf(leaf: Leaf, key: Uint8Array, aad: string, stash?: IvStash): string {
  if (leaf.text === '' && (leaf.kind === 'str' || leaf.kind === 'comment' || leaf.kind === 'bytes')) return '';
  const iv = stash?.get(stashKey(leaf, aad)) ?? freshIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(Buffer.from(leaf.text, 'utf8')), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:${leaf.kind}]`;
}

/**
 * Decrypts one value. Throws EncFormatError for malformed input and AuthFailure when GCM
 * authentication fails (wrong key, wrong path, flipped byte). Records the IV in `stash`.
 */
export function decryptLeaf(value: string, key: Uint8Array, aad: string, stash?: IvStash): Leaf {
  if (value === '') return { kind: 'str', text: '' };
  const enc = parseEnc(value);
  if (enc.iv.length === 0) throw new EncFormatError('empty iv');
  // Node accepts truncated tags; a full 16-byte tag is required so forgeries stay 2^-128 hard.
  if (enc.tag.length !== TAG_LENGTH) throw new AuthFailure('authentication tag has the wrong length');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, enc.iv, { authTagLength: TAG_LENGTH });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(enc.tag);
    plain = Buffer.concat([decipher.update(enc.data), decipher.final()]);
  } catch {
    throw new AuthFailure('AES-GCM authentication failed');
  }
  const text = plain.toString('utf8');
  const leaf = canonicalLeaf(enc.type, text);
  stash?.set(stashKey(leaf, aad), enc.iv);
  return leaf;
}

/** Parses a decrypted string per its type tag and returns the canonical form sops would MAC. */
function canonicalLeaf(type: string, text: string): Leaf {
  switch (type) {
    case 'str':
      return { kind: 'str', text };
    case 'bytes':
      return { kind: 'bytes', text };
    case 'comment':
      return { kind: 'comment', text };
    case 'int':
    case 'int64': {
      // Go strconv.Atoi: optional sign, decimal digits, no underscores.
      if (!/^[+-]?[0-9]+$/.test(text)) throw new TypeTagError(`the value of type ${type} is not an integer`);
      // No int64 range check: earlier gitops-seal versions wrote larger ints with this tag.
      return { kind: 'int', text: BigInt(text).toString() };
    }
    case 'float': {
      const n = parseGoFloat(text);
      if (n === undefined) throw new TypeTagError('the value of type float is not a number');
      return { kind: 'float', text: formatGoFloatF(n) };
    }
    case 'bool': {
      // Go strconv.ParseBool
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return { kind: 'bool', text: 'True' };
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return { kind: 'bool', text: 'False' };
      throw new TypeTagError('the value of type bool is not a boolean');
    }
    case 'time': {
      const t = canonicalTime(text);
      if (t === undefined) throw new TypeTagError('the value of type time is not an RFC 3339 timestamp');
      return { kind: 'time', text: t };
    }
    default:
      throw new TypeTagError(`unknown value type ${JSON.stringify(type.slice(0, 16))} (sops writes str, int, float, bool, time, comment)`);
  }
}

/** Go strconv.ParseFloat(s, 64), for the forms sops writes plus inf/nan spellings. */
export function parseGoFloat(text: string): number | undefined {
  const t = text.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(t)) return undefined;
  return Number(t);
}

/** Go strconv.FormatFloat(x, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatGoFloatF(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { neg, digits, dp } = shortestDigits(x);
  let out: string;
  if (dp <= 0) out = `0.${'0'.repeat(-dp)}${digits}`;
  else if (dp >= digits.length) out = digits + '0'.repeat(dp - digits.length);
  else out = `${digits.slice(0, dp)}.${digits.slice(dp)}`;
  return neg ? `-${out}` : out;
}

/** Go strconv.FormatFloat(x, 'g', -1, 64), as go-yaml uses when emitting floats. */
export function formatGoFloatG(x: number): string {
  if (!Number.isFinite(x) || x === 0) return formatGoFloatF(x);
  const { neg, digits, dp } = shortestDigits(x);
  const exp = dp - 1;
  // Go uses precision 6 for the %e decision when formatting the shortest representation.
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${neg ? '-' : ''}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return formatGoFloatF(x);
}

function shortestDigits(x: number): { neg: boolean; digits: string; dp: number } {
  // toExponential() without an argument yields the shortest digits that round-trip.
  const [mant = '', expS = '0'] = Math.abs(x).toExponential().split('e');
  return { neg: x < 0, digits: mant.replace('.', ''), dp: Number(expS) + 1 };
}
