// OpenSSH signatures (PROTOCOL.sshsig), the format `git commit -S` writes with gpg.format=ssh.
// Verification follows `ssh-keygen -Y verify`: the signed data is not the message but
//   "SSHSIG" || string(namespace) || string(reserved) || string(hash_alg) || string(H(message))
// and the signature is checked against the public key embedded in the blob. Whether that key
// is *allowed* is a separate question (allowed-signers.ts).
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

export class SshSigFormatError extends Error {
  override readonly name = 'SshSigFormatError';
}

export interface SshSignature {
  version: number;
  /** The signer's public key in SSH wire format (what allowed-signers lines encode in base64). */
  publicKey: Buffer;
  keyType: string;
  namespace: string;
  reserved: Buffer;
  hashAlgorithm: 'sha256' | 'sha512';
  /** Signature algorithm, e.g. `ssh-ed25519`, `rsa-sha2-512`, `ecdsa-sha2-nistp256`. */
  signatureType: string;
  signature: Buffer;
}

const MAGIC = Buffer.from('SSHSIG');
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';

/** Reader of SSH wire encoding (RFC 4251): uint32 and length-prefixed strings. */
export class SshReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  get remaining(): number {
    return this.buf.length - this.off;
  }
  bytes(n: number): Buffer {
    if (n < 0 || this.off + n > this.buf.length) throw new SshSigFormatError('truncated SSH data');
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
  string(): Buffer {
    return this.bytes(this.uint32());
  }
  text(): string {
    return this.string().toString('utf8');
  }
}

function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

/** Base64 body of an armored `-----BEGIN SSH SIGNATURE-----` block. */
export function dearmor(armored: string): Buffer {
  const start = armored.indexOf(BEGIN);
  const end = armored.indexOf(END);
  if (start < 0 || end < start) throw new SshSigFormatError('not an armored SSH signature');
  const b64 = armored.slice(start + BEGIN.length, end).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new SshSigFormatError('invalid base64 in SSH signature');
  return Buffer.from(b64, 'base64');
}

export function parseSshSig(blob: Buffer): SshSignature {
  const r = new SshReader(blob);
  if (!r.bytes(6).equals(MAGIC)) throw new SshSigFormatError('missing SSHSIG magic');
  const version = r.uint32();
  if (version !== 1) throw new SshSigFormatError(`unsupported SSHSIG version ${version}`);
  const publicKey = Buffer.from(r.string());
  const namespace = r.text();
  const reserved = Buffer.from(r.string());
  const hashAlgorithm = r.text();
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') {
    throw new SshSigFormatError(`unsupported SSHSIG hash algorithm "${hashAlgorithm}"`);
  }
  const sig = new SshReader(r.string());
  const signatureType = sig.text();
  const signature = Buffer.from(sig.string());
  const keyType = new SshReader(publicKey).text();
  return { version, publicKey, keyType, namespace, reserved, hashAlgorithm, signatureType, signature };
}

/** The exact bytes the signer signed for `message` (PROTOCOL.sshsig §"Signed Data"). */
export function signedData(sig: SshSignature, message: Uint8Array): Buffer {
  const digest = createHash(sig.hashAlgorithm).update(message).digest();
  return Buffer.concat([MAGIC, sshString(sig.namespace), sshString(sig.reserved), sshString(sig.hashAlgorithm), sshString(digest)]);
}

/** `SHA256:<base64 without padding>`, as ssh-keygen prints key fingerprints. */
export function fingerprint(publicKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKey).digest('base64').replace(/=+$/, '')}`;
}

const b64url = (b: Buffer): string => b.toString('base64url');
/** SSH mpints are two's-complement with a leading 0x00 when the high bit is set; JWK wants unsigned. */
const unsigned = (b: Buffer): Buffer => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

const CURVES: Record<string, { crv: string; size: number; hash: string }> = {
  nistp256: { crv: 'P-256', size: 32, hash: 'sha256' },
  nistp384: { crv: 'P-384', size: 48, hash: 'sha384' },
  nistp521: { crv: 'P-521', size: 66, hash: 'sha512' },
};

/** Verify `sig` over `message` with the key embedded in the signature. Supports ed25519, RSA (SHA-2) and ECDSA. */
export function verifySshSig(sig: SshSignature, message: Uint8Array, expectedNamespace: string): boolean {
  if (sig.namespace !== expectedNamespace) return false;
  const data = signedData(sig, message);
  const k = new SshReader(sig.publicKey);
  const keyType = k.text();
  let key: KeyObject;
  switch (keyType) {
    case 'ssh-ed25519': {
      if (sig.signatureType !== 'ssh-ed25519') return false;
      const raw = k.string();
      if (raw.length !== 32) throw new SshSigFormatError('ed25519 public key must be 32 bytes');
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(raw) }, format: 'jwk' });
      return sig.signature.length === 64 && verify(null, data, key, sig.signature);
    }
    case 'ssh-rsa': {
      // SSHSIG forbids SHA-1 RSA signatures (`ssh-rsa`); only the SHA-2 variants are valid.
      const hash = sig.signatureType === 'rsa-sha2-512' ? 'sha512' : sig.signatureType === 'rsa-sha2-256' ? 'sha256' : undefined;
      if (hash === undefined) return false;
      const e = unsigned(k.string());
      const n = unsigned(k.string());
      key = createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
      return verify(hash, data, key, sig.signature);
    }
    default: {
      const m = /^ecdsa-sha2-(nistp256|nistp384|nistp521)$/.exec(keyType);
      const curve = m?.[1] !== undefined ? CURVES[m[1]] : undefined;
      if (curve === undefined) throw new SshSigFormatError(`unsupported key type "${keyType}"`);
      if (sig.signatureType !== keyType) return false;
      k.text(); // curve name, repeated
      const q = k.string();
      if (q.length !== 1 + 2 * curve.size || q[0] !== 4) throw new SshSigFormatError('ECDSA key must be an uncompressed point');
      key = createPublicKey({
        key: { kty: 'EC', crv: curve.crv, x: b64url(q.subarray(1, 1 + curve.size)), y: b64url(q.subarray(1 + curve.size)) },
        format: 'jwk',
      });
      const s = new SshReader(sig.signature);
      const pad = (b: Buffer): Buffer => {
        const u = unsigned(b);
        if (u.length > curve.size) throw new SshSigFormatError('ECDSA signature component too long');
        return Buffer.concat([Buffer.alloc(curve.size - u.length), u]);
      };
      const rs = Buffer.concat([pad(s.string()), pad(s.string())]);
      return verify(curve.hash, data, { key, dsaEncoding: 'ieee-p1363' }, rs);
    }
  }
}
