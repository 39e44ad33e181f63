// The values layers of a render, in helm's `-f` order: each values file of the revision (a SOPS
// file decrypted in memory, its MAC verified by keys/), then the inline values of the config.
// Every layer reaches helm through a descriptor (values-pipes.ts), so plaintext is never a file.

import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { isSopsEncrypted, formatFromPath, type KeyContext } from '../../../keys/index.js';
import { AggregateDecryptError, decryptFiles } from '../../decrypt/index.js';
import type { ManifestFile } from '../../manifests/index.js';
import { FileNotFoundError } from '../../source/index.js';
import { HelmRenderError } from './errors.js';
import type { RevisionReader } from './types.js';

export interface ValuesLayer {
  /** The repo-relative file, or `inline values`. */
  label: string;
  bytes: Buffer;
  /** Came out of a SOPS file: its strings are redacted from any helm message. */
  secret: boolean;
}

export interface Values {
  layers: ValuesLayer[];
  /** sha256 over the layers as committed (ciphertext of SOPS files): no digest of a plaintext. */
  digest: string;
  /** String values of the decrypted files, to redact from helm's messages. */
  secrets: string[];
}

/** Shorter strings are not redacted: `true`, `80` or `on` would wreck every message and say nothing. */
const MIN_SECRET_LENGTH = 4;

/** The values files as committed plus the inline values: enough to digest, nothing decrypted yet. */
export interface CommittedValues {
  files: ManifestFile[];
  inline?: string;
  /** sha256 over the layers as committed (ciphertext of SOPS files): no digest of a plaintext. */
  digest: string;
}

/** The values files that are SOPS-encrypted (decrypted for a render; status counts them). */
export function encryptedValuesFiles(committed: CommittedValues): string[] {
  return committed.files.filter((f) => isSopsEncrypted(f.text, formatFromPath(f.path))).map((f) => f.path);
}

/** Reads the values files of the revision; names every missing one. */
export async function readValues(
  sync: string,
  revision: RevisionReader,
  files: readonly string[],
  inline: Record<string, unknown> | undefined,
): Promise<CommittedValues> {
  const committed: ManifestFile[] = [];
  const missing: string[] = [];
  for (const path of files) {
    try {
      committed.push({ path, text: Buffer.from(await revision.readFile(path)).toString('utf8') });
    } catch (e) {
      if (e instanceof FileNotFoundError) missing.push(path);
      else throw e;
    }
  }
  if (missing.length > 0) {
    throw new HelmRenderError({
      sync,
      reason: 'values',
      subject: missing.join(', '),
      detail: `values file${missing.length > 1 ? 's' : ''} not found in the revision`,
    });
  }
  const hash = createHash('sha256');
  for (const c of committed) hashPart(hash, c.path, c.text);
  const out: CommittedValues = { files: committed, digest: '' };
  if (inline !== undefined && Object.keys(inline).length > 0) {
    // JSON is YAML without YAML's ambiguities (`on`, `0755`, `1e3`): helm reads exactly these values.
    out.inline = JSON.stringify(inline);
    hashPart(hash, 'inline values', out.inline);
  }
  out.digest = `sha256:${hash.digest('hex')}`;
  return out;
}

/** The layers helm gets: SOPS files decrypted in memory (MAC verified), a refusal naming each bad file. */
export async function decryptValues(sync: string, committed: CommittedValues, keys: KeyContext): Promise<Values> {
  let plain: ManifestFile[];
  try {
    plain = (await decryptFiles(committed.files, keys)).files;
  } catch (e) {
    if (e instanceof AggregateDecryptError) {
      throw new HelmRenderError({ sync, reason: 'values', subject: e.errors.map((x) => x.file).join(', '), detail: e.message, cause: e });
    }
    throw e;
  }
  const layers: ValuesLayer[] = [];
  const secrets: string[] = [];
  committed.files.forEach((c, i) => {
    const p = plain[i] as ManifestFile;
    const secret = isSopsEncrypted(c.text, formatFromPath(c.path));
    layers.push({ label: c.path, bytes: Buffer.from(p.text, 'utf8'), secret });
    if (secret) collectStrings(parse(p.text), secrets);
  });
  if (committed.inline !== undefined) layers.push({ label: 'inline values', bytes: Buffer.from(committed.inline, 'utf8'), secret: false });
  return { layers, digest: committed.digest, secrets };
}

/** readValues then decryptValues. */
export async function loadValues(
  sync: string,
  revision: RevisionReader,
  files: readonly string[],
  inline: Record<string, unknown> | undefined,
  keys: KeyContext,
): Promise<Values> {
  return decryptValues(sync, await readValues(sync, revision, files, inline), keys);
}

function hashPart(hash: ReturnType<typeof createHash>, label: string, text: string): void {
  // Length-prefixed, so no two different layer lists hash alike.
  for (const s of [label, text]) hash.update(`${Buffer.byteLength(s)}:`).update(s);
}

function collectStrings(v: unknown, out: string[]): void {
  if (typeof v === 'string') {
    if (v.length >= MIN_SECRET_LENGTH) out.push(v);
  } else if (typeof v === 'number' || typeof v === 'bigint') {
    const s = String(v);
    if (s.length >= MIN_SECRET_LENGTH) out.push(s);
  } else if (Array.isArray(v)) {
    for (const x of v) collectStrings(x, out);
  } else if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) collectStrings(x, out);
  }
}
