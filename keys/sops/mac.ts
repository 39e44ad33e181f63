// The sops MAC (sops.go Tree.Encrypt/Decrypt): SHA-512 over the plaintext bytes of every
// non-comment value in tree order across all documents, upper-case hex. With
// mac_only_encrypted the hash starts with a fixed 32-byte prefix (sha256("sops")) and covers
// only values that end up encrypted. The hex string is then stored encrypted with the data
// key and the RFC 3339 lastmodified string as additional data. The MAC does not cover keys
// (encrypted values bind their key path through their own AAD) nor the sops metadata.
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';

import type { Leaf } from './cipher.js';

const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

export class MacHasher {
  private readonly hash: Hash = createHash('sha512');
  constructor(private readonly onlyEncrypted: boolean) {
    if (onlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_INIT);
  }

  /** Feed one plaintext leaf; `encrypted` says whether the crypt rule encrypts it. */
  add(leaf: Leaf, encrypted: boolean): void {
    if (leaf.kind === 'comment') return;
    if (this.onlyEncrypted && !encrypted) return;
    this.hash.update(Buffer.from(leaf.text, 'utf8'));
  }

  hex(): string {
    return this.hash.digest('hex').toUpperCase();
  }
}

export function macEquals(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
