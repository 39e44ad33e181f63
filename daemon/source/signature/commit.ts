// Verifying the SSH signature of a git commit the way `git verify-commit` does with
// gpg.format=ssh: the signature lives in the commit's `gpgsig` header; the signed payload is
// the raw commit object with every signature header (gpgsig, gpgsig-sha256) removed.
import { findSigners, parseAllowedSigners, type AllowedSigner } from './allowed-signers.js';
import { dearmor, fingerprint, parseSshSig, verifySshSig } from './sshsig.js';

export type SignatureFailure = 'unsigned' | 'unsupported' | 'malformed' | 'bad-signature' | 'unknown-key';

export class CommitSignatureError extends Error {
  override readonly name = 'CommitSignatureError';
  constructor(
    readonly commit: string,
    readonly failure: SignatureFailure,
    readonly detail: string,
  ) {
    super(`commit ${commit}: ${detail}`);
  }
}

export interface SignedCommitParts {
  /** The bytes that were signed. */
  payload: Buffer;
  /** The armored signature, or null when the commit is unsigned. */
  signature: string | null;
  /** Committer time (git passes it to ssh-keygen as the verify time for valid-after/before). */
  committerTime: Date | null;
}

const SIG_HEADERS = new Set(['gpgsig', 'gpgsig-sha256']);

/** Split a raw commit object (content, without the `commit <len>\0` prefix) into payload and signature. */
export function splitSignedCommit(raw: Uint8Array): SignedCommitParts {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const headerEnd = buf.indexOf('\n\n');
  const headerLen = headerEnd < 0 ? buf.length : headerEnd + 1;
  const kept: Buffer[] = [];
  let signature: string | null = null;
  let committerTime: Date | null = null;
  let pos = 0;
  let dropping = false;
  while (pos < headerLen) {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl < 0 || nl >= headerLen ? headerLen : nl + 1;
    const line = buf.subarray(pos, end);
    const text = line.toString('utf8');
    if (text.startsWith(' ')) {
      // Continuation of the previous header.
      if (dropping) {
        if (signature !== null) signature += `\n${text.slice(1).replace(/\n$/, '')}`;
      } else kept.push(line);
    } else {
      const name = text.slice(0, text.indexOf(' ') < 0 ? text.length : text.indexOf(' ')).replace(/\n$/, '');
      dropping = SIG_HEADERS.has(name);
      if (dropping) {
        // git uses the signature for the repository's own hash (gpgsig for SHA-1 repos).
        if (name === 'gpgsig') signature = text.slice(name.length + 1).replace(/\n$/, '');
      } else {
        kept.push(line);
        if (name === 'committer') {
          const m = / (\d+) [+-]\d{4}\n?$/.exec(text);
          if (m?.[1] !== undefined) committerTime = new Date(Number(m[1]) * 1000);
        }
      }
    }
    pos = end;
  }
  kept.push(buf.subarray(headerLen));
  return { payload: Buffer.concat(kept), signature, committerTime };
}

export interface VerifiedSignature {
  /** Principals of the allowed-signers lines that matched. */
  principals: string[];
  fingerprint: string;
  keyType: string;
}

/**
 * Check that `raw` (commit `commit`) carries a valid SSH signature by a key listed in
 * `allowedSigners` for namespace "git". Throws CommitSignatureError naming the failure.
 */
export function verifyCommitSignature(
  commit: string,
  raw: Uint8Array,
  allowedSigners: string | readonly AllowedSigner[],
): VerifiedSignature {
  const signers = typeof allowedSigners === 'string' ? parseAllowedSigners(allowedSigners) : allowedSigners;
  const parts = splitSignedCommit(raw);
  if (parts.signature === null) throw new CommitSignatureError(commit, 'unsigned', 'commit is not signed');
  if (!parts.signature.includes('-----BEGIN SSH SIGNATURE-----')) {
    throw new CommitSignatureError(commit, 'unsupported', 'commit signature is not an SSH signature (OpenPGP/X.509 are not supported)');
  }
  let sig;
  try {
    sig = parseSshSig(dearmor(parts.signature));
  } catch (err) {
    throw new CommitSignatureError(commit, 'malformed', `malformed SSH signature: ${(err as Error).message}`);
  }
  const fp = fingerprint(sig.publicKey);
  let ok: boolean;
  try {
    ok = verifySshSig(sig, parts.payload, 'git');
  } catch (err) {
    throw new CommitSignatureError(commit, 'unsupported', `cannot verify ${sig.keyType} signature by ${fp}: ${(err as Error).message}`);
  }
  if (!ok) {
    const why = sig.namespace !== 'git' ? ` (namespace "${sig.namespace}", expected "git")` : '';
    throw new CommitSignatureError(commit, 'bad-signature', `invalid signature by ${sig.keyType} key ${fp}${why}`);
  }
  // Checked after the cryptography so that a tampered commit reports "invalid", not "unknown key".
  const matches = findSigners(signers, sig.publicKey, 'git', parts.committerTime ?? new Date());
  if (matches.length === 0) {
    throw new CommitSignatureError(
      commit,
      'unknown-key',
      `signing key ${sig.keyType} ${fp} is not in the allowed signers (or not valid for namespace "git" at the commit time)`,
    );
  }
  return { principals: [...new Set(matches.flatMap((m) => m.principals))], fingerprint: fp, keyType: sig.keyType };
}
