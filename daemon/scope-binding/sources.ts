// What binding needs to know of a committed SOPS file and of the objects made from it, read from
// the bytes as committed (never from the decrypted output, where a claim that was plaintext in
// Git and one that was ciphertext look the same): the file's age recipients (is it encrypted to
// the cluster-held key?), how many documents it holds, and per object whether its scope claim
// was SOPS ciphertext at the claim's own path.
import { decodeDocuments, type ManifestProblem } from '../manifests/index.js';
import { CLAIM_ANNOTATION } from './claim.js';

/** How a render used a SOPS file: as a manifest (a resource/patch, or a plain sync's file), a secretGenerator source, or Helm values. */
export type SealedUse = 'manifest' | 'generator' | 'helm-values';

/** A committed SOPS file, as far as scope binding cares (public data only). */
export interface SealedFile {
  file: string;
  /** Its age recipients (sops metadata). */
  recipients: readonly string[];
  /** Non-empty documents in the file. */
  documents: number;
  /** Some document is a List (`kind: *List` with items). */
  lists: boolean;
  uses: readonly SealedUse[];
}

/** One committed document of one SOPS file: where a ciphertext value came from. */
export interface SealOrigin {
  file: string;
  doc: number;
}

/** Where an object's ciphertext came from, and its claim if that was ciphertext at the claim's path. */
export interface ObjectSeal {
  /** Every committed document whose ciphertext the object carries (a plain sync: its own). */
  origins: readonly SealOrigin[];
  /** The document whose encrypted `gitops-seal.dev/scope` the object carries, if it was ciphertext there. */
  claim?: SealOrigin;
}

export type SourceFormat = 'yaml' | 'json' | 'dotenv' | 'binary';

const ENC = /^ENC\[AES256_GCM,data:/;

export function isCiphertext(v: unknown): boolean {
  return typeof v === 'string' && ENC.test(v);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The non-empty documents of a committed YAML/JSON file, by document index (kubectl's decoding). */
export function committedDocuments(file: string, text: string): Map<number, unknown> {
  const problems: ManifestProblem[] = [];
  const docs = decodeDocuments(text, file, problems);
  return new Map(docs.filter((d) => d.value !== null).map((d) => [d.index, d.value] as const));
}

function ageOf(sops: unknown): string[] {
  if (!isRecord(sops) || !Array.isArray(sops.age)) return [];
  return sops.age.flatMap((e) => (isRecord(e) && typeof e.recipient === 'string' ? [e.recipient.trim()] : []));
}

/** The age recipients a SOPS file was encrypted to (empty when it has none or is not SOPS). */
export function recipientsOf(format: SourceFormat, file: string, text: string): string[] {
  if (format === 'dotenv') {
    const out: string[] = [];
    for (const m of text.matchAll(/^sops_age__list_\d+__map_recipient=(.*)$/gm)) out.push((m[1] ?? '').trim());
    return out;
  }
  // sops writes the same block into every document; the binary store is JSON.
  for (const v of committedDocuments(file, text).values()) if (isRecord(v) && 'sops' in v) return ageOf(v.sops);
  return [];
}

function isList(v: unknown): boolean {
  return isRecord(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
}

/** The facts of one committed SOPS file (YAML/JSON manifests; other formats count one document). */
export function sealedFile(file: string, text: string, format: SourceFormat, uses: readonly SealedUse[]): SealedFile {
  if (format === 'dotenv' || format === 'binary')
    return { file, recipients: recipientsOf(format, file, text), documents: 1, lists: false, uses };
  const docs = committedDocuments(file, text);
  let recipients: string[] = [];
  for (const v of docs.values()) if (isRecord(v) && 'sops' in v) recipients = ageOf(v.sops);
  return { file, recipients, documents: docs.size, lists: [...docs.values()].some(isList), uses };
}

/** The claim value of a committed document (the object itself, not a List item). */
export function committedClaim(doc: unknown): unknown {
  if (!isRecord(doc) || !isRecord(doc.metadata) || !isRecord(doc.metadata.annotations)) return undefined;
  return doc.metadata.annotations[CLAIM_ANNOTATION];
}

/**
 * The seals of the objects a plain sync read from one committed SOPS file (`objects`: each one's
 * document index, and its position when it came out of a List). An object's ciphertext came from
 * its own document; its claim counts only as ciphertext in that document's own metadata.
 */
export function plainSeals(file: string, text: string, objects: readonly { index: number; item?: number }[]): ObjectSeal[] {
  // Documents are paired by their rank among the non-empty ones: sops may drop an empty document
  // when it decrypts, which shifts the indices of the plaintext's documents but not their order.
  const committed = [...committedDocuments(file, text).entries()].sort(([a], [b]) => a - b);
  const ranks = new Map([...new Set(objects.map((o) => o.index))].sort((a, b) => a - b).map((index, rank) => [index, rank] as const));
  return objects.map((o) => {
    const [doc, value] = committed[ranks.get(o.index) ?? -1] ?? [o.index, undefined];
    const origin = { file, doc };
    const enc = o.item === undefined && isCiphertext(committedClaim(value));
    return enc ? { origins: [origin], claim: origin } : { origins: [origin] };
  });
}
