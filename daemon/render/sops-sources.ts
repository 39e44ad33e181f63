// The SOPS files a kustomize render reads, handled at the source — the file as committed:
//  - used as a resource/patch (YAML/JSON): the MAC is verified and every value decrypted in
//    memory; the file goes to scratch AS CIPHERTEXT, and we keep ciphertext → plaintext for
//    exactly the `ENC[…]` strings of verified files (decrypt-output.ts uses it after the build);
//  - used by a secretGenerator (files/envs/env; sops yaml, json, dotenv or binary format by
//    extension, as sops picks it): verified and decrypted to the bytes `sops decrypt` prints,
//    which the FIFO feeder hands to kustomize; nothing of it is written.
// A file that fails anywhere refuses the whole render; every failure is reported at once.
import { decryptDotenvText, decryptText, isSopsDotenv, isSopsEncrypted, type KeyContext } from '../../keys/index.js';
import { decryptFailureReason, type DecryptFailureReason } from '../decrypt/index.js';
import { decodeDocuments, type ManifestProblem } from '../manifests/index.js';
import { sealedFile, type SealedFile, type SealedUse } from '../scope-binding/index.js';
import type { FileUse } from './graph.js';

export type SourceFormat = 'yaml' | 'json' | 'dotenv' | 'binary' | 'ini';

/** sops' choice of store by file extension (cmd/sops/common: formats.FormatForPath). */
export function sopsFormatOf(path: string): SourceFormat {
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  if (/\.json$/i.test(path)) return 'json';
  if (/\.env$/i.test(path)) return 'dotenv';
  if (/\.ini$/i.test(path)) return 'ini';
  return 'binary';
}

export function isEncryptedSource(path: string, text: string): boolean {
  const format = sopsFormatOf(path);
  if (format === 'dotenv') return isSopsDotenv(text);
  if (format === 'ini') return /^\[sops\]\s*$/m.test(text);
  return isSopsEncrypted(text, format === 'yaml' ? 'yaml' : 'json');
}

export interface CiphertextOrigin {
  /** The verified file the ciphertext string came from. */
  file: string;
  /** Its plaintext value (typed as sops recorded it). */
  value: unknown;
  /** An encrypted comment sops stored as a sequence item: `sops decrypt` drops it from the list. */
  comment?: true;
  /** The document of the file it was committed in, and its key path there (list indices left out, as in SOPS' AAD): scope binding. */
  doc?: number;
  path?: readonly string[];
}

export interface SopsSources {
  /** `ENC[…]` string → origin, for every value of every verified resource file. */
  ciphertexts: Map<string, CiphertextOrigin>;
  /** Generator source path → plaintext bytes (served through a FIFO). */
  generatorPlaintext: Map<string, Buffer>;
  /** Every verified file, sorted. */
  decryptedFiles: string[];
  /** Plaintext strings to redact from any tool message. */
  secrets: string[];
  problems: { file: string; message: string; reason: DecryptFailureReason | 'not-supported' }[];
  /** Every verified file's recipients, documents and uses (scope binding, daemon/scope-binding). */
  sealed: Map<string, SealedFile>;
}

/**
 * Go prints bytes it cannot parse as a decimal list ("[255 254 61 …]", kustomize's invalid-UTF-8
 * env line error); made from the raw bytes (a UTF-8 round trip would change invalid ones), per
 * line and per `=` value, for the tool-message redaction.
 */
export function byteLists(buf: Buffer): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i < buf.length && buf[i] !== 0x0a) continue;
    const line = buf.subarray(start, i);
    start = i + 1;
    if (line.length >= 3) out.push([...line].join(' '));
    const eq = line.indexOf(0x3d);
    if (eq > 0 && line.length - eq - 1 >= 3) out.push([...line.subarray(eq + 1)].join(' '));
  }
  return out;
}

/** A SOPS file used in a way we refuse (ini format, plaintext into a ConfigMap). */
class UnsupportedSourceError extends Error {}

const ENC = /^ENC\[AES256_GCM,data:/;
const ENC_COMMENT = /^ENC\[AES256_GCM,data:.*,type:comment\]$/;

/** Pairs each `ENC[…]` string of the encrypted documents with the value at the same path of the decrypted ones. */
function pairValues(
  enc: unknown,
  plain: unknown,
  at: { file: string; doc: number; path: readonly string[] },
  out: Map<string, CiphertextOrigin>,
  secrets: string[],
): void {
  const { file, doc, path } = at;
  if (typeof enc === 'string') {
    if (ENC.test(enc)) {
      out.set(enc, { file, value: plain, doc, path });
      if (typeof plain === 'string') secrets.push(plain);
    }
    return;
  }
  if (Array.isArray(enc)) {
    // A comment inside a sequence is an item in the encrypted file and none in the plaintext.
    const p = Array.isArray(plain) ? plain : [];
    let i = 0;
    for (const e of enc) {
      if (typeof e === 'string' && ENC_COMMENT.test(e)) out.set(e, { file, value: null, comment: true, doc, path });
      else pairValues(e, p[i++], at, out, secrets);
    }
    return;
  }
  if (typeof enc === 'object' && enc !== null) {
    const p = (typeof plain === 'object' && plain !== null ? plain : {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(enc)) if (k !== 'sops') pairValues(v, p[k], { file, doc, path: [...path, k] }, out, secrets);
  }
}

function documentsOf(text: string, file: string): unknown[] {
  const problems: ManifestProblem[] = [];
  const docs = decodeDocuments(text, file, problems).map((d) => d.value);
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '));
  return docs;
}

function messageOf(err: unknown, file: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.startsWith(`${file}: `) ? msg.slice(file.length + 2) : msg;
}

async function generatorPlaintext(path: string, text: string, keys: KeyContext): Promise<Buffer> {
  const format = sopsFormatOf(path);
  if (format === 'dotenv') return Buffer.from(await decryptDotenvText(text, path, keys));
  if (format === 'binary') {
    // sops' binary store: {"data": "<the file>", "sops": {…}}.
    const plain = JSON.parse(await decryptText(text, { format: 'json', source: path }, keys)) as { data?: unknown };
    if (typeof plain.data !== 'string') throw new Error('not a sops binary file (no data field)');
    return Buffer.from(plain.data);
  }
  return Buffer.from(await decryptText(text, { format: format === 'json' ? 'json' : 'yaml', source: path }, keys));
}

/** What one verified file contributes; cached by blob id, so a commit re-verifies only the files it changed. */
export interface OpenedSource {
  generatorPlaintext?: Buffer;
  ciphertexts: [string, CiphertextOrigin][];
  secrets: string[];
  sealed: SealedFile;
}

/** Verified files by `<path>\0<blob id>\0<uses>`: memory only, like the engine's file cache. */
export type OpenedSourceCache = Map<string, OpenedSource>;

async function openOne(path: string, text: string, list: readonly FileUse[], keys: KeyContext): Promise<OpenedSource> {
  const format = sopsFormatOf(path);
  const asGenerator = list.filter((u) => u.ref.kind === 'generator-source');
  const asManifest = list.filter((u) => u.ref.kind !== 'generator-source');
  if (format === 'ini') throw new UnsupportedSourceError('sops ini files are not supported (use dotenv, yaml, json or binary)');
  const configMap = asGenerator.find((u) => u.ref.generator?.kind === 'configMapGenerator');
  if (configMap) {
    throw new UnsupportedSourceError(
      `is SOPS-encrypted but feeds configMapGenerator ${configMap.ref.generator?.name ?? ''} in ${configMap.kustomization}: its plaintext would be stored in a ConfigMap; use a secretGenerator`,
    );
  }
  const uses: SealedUse[] = [
    ...(asGenerator.length > 0 ? ['generator' as const] : []),
    ...(asManifest.length > 0 ? ['manifest' as const] : []),
  ];
  const opened: OpenedSource = { ciphertexts: [], secrets: [], sealed: sealedFile(path, text, format === 'json' ? 'json' : format, uses) };
  if (format === 'dotenv' && asGenerator.some((u) => u.ref.generator?.use === 'files') && /^#/m.test(text)) {
    // `envs:` ignores comment lines, so they do not matter there; as a `files:` value the whole
    // text counts, and we do not reproduce sops' encrypted comments: refuse rather than differ.
    throw new UnsupportedSourceError(
      'is a sops dotenv file with comment lines used under secretGenerator files:; use envs: or remove the comments',
    );
  }
  if (asGenerator.length > 0) {
    opened.generatorPlaintext = await generatorPlaintext(path, text, keys);
    opened.secrets.push(opened.generatorPlaintext.toString('utf8'), ...byteLists(opened.generatorPlaintext));
  }
  if (asManifest.length > 0) {
    if (format !== 'yaml' && format !== 'json') throw new UnsupportedSourceError(`a ${format} file cannot be a Kubernetes manifest`);
    const plainText = await decryptText(text, { format, source: path }, keys);
    const encDocs = documentsOf(text, path);
    const plainDocs = documentsOf(plainText, path);
    const pairs = new Map<string, CiphertextOrigin>();
    encDocs.forEach((d, i) => pairValues(d, plainDocs[i], { file: path, doc: i, path: [] }, pairs, opened.secrets));
    opened.ciphertexts = [...pairs];
  }
  return opened;
}

/**
 * Verifies and decrypts the SOPS files among `files` (path → text, as committed) according to
 * how the graph uses them. Plain files are left alone. With `ids` (path → blob id) and a
 * `cache`, a file verified before with the same content and uses is not decrypted again.
 */
export async function openSopsSources(
  files: ReadonlyMap<string, string>,
  uses: ReadonlyMap<string, FileUse[]>,
  keys: KeyContext,
  cached?: { ids: ReadonlyMap<string, string>; cache: OpenedSourceCache },
): Promise<SopsSources> {
  const out: SopsSources = {
    ciphertexts: new Map(),
    generatorPlaintext: new Map(),
    decryptedFiles: [],
    secrets: [],
    problems: [],
    sealed: new Map(),
  };
  const decrypted = new Set<string>();
  const live = new Set<string>();
  for (const [path, list] of [...uses].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const text = files.get(path);
    if (text === undefined || !isEncryptedSource(path, text)) continue;
    const id = cached?.ids.get(path);
    const key = id
      ? `${path}\0${id}\0${[...new Set(list.map((u) => `${u.ref.kind}:${u.ref.generator?.kind ?? ''}`))].sort().join(',')}`
      : undefined;
    try {
      let opened = key === undefined ? undefined : cached?.cache.get(key);
      if (opened === undefined) {
        opened = await openOne(path, text, list, keys);
        if (key !== undefined) cached?.cache.set(key, opened);
      }
      if (key !== undefined) live.add(key);
      if (opened.generatorPlaintext !== undefined) out.generatorPlaintext.set(path, opened.generatorPlaintext);
      for (const [c, o] of opened.ciphertexts) out.ciphertexts.set(c, o);
      out.secrets.push(...opened.secrets);
      out.sealed.set(path, opened.sealed);
      decrypted.add(path);
    } catch (err) {
      out.problems.push({
        file: path,
        message: messageOf(err, path),
        reason: err instanceof UnsupportedSourceError ? 'not-supported' : decryptFailureReason(err),
      });
    }
  }
  // Keep only what this render used: the cache never outgrows one revision's files.
  if (cached) for (const k of [...cached.cache.keys()]) if (!live.has(k)) cached.cache.delete(k);
  out.decryptedFiles = [...decrypted].sort();
  return out;
}
