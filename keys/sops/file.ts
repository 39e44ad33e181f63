// Whole-file operations: encrypt, decrypt (MAC always verified, all-or-nothing), re-encrypt
// (unchanged values keep their ciphertext through sops' IV stash), update keys and rotate.
import { randomBytes } from 'node:crypto';

import { AuthFailure, FormatError, SopsError, TamperedError, UnsupportedKeyTypeError } from './errors.js';
import { decryptLeaf, EncFormatError, encryptLeaf, looksEncrypted, TypeTagError, type IvStash } from './cipher.js';
import { getDataKey, specFromMetadata, wrapForKeys, type KeyContext, type MasterKeySpec } from './keyring.js';
import { MacHasher, macEquals } from './mac.js';
import {
  MetadataError,
  metadataEntries,
  nowRfc3339,
  parseMetadata,
  SOPS_VERSION,
  stanzaFingerprint,
  type SopsMetadata,
} from './metadata.js';
import { parseJson } from './json-store.js';
import { StoreError, type FileFormat, type ParsedStore } from './store.js';
import { aadFor, normalizeRule, RuleError, walkDocument, type CryptRule, type MapNode } from './tree.js';
import { parseYaml } from './yaml-store.js';

export interface EncryptOptions {
  format: FileFormat;
  /** File name (or label) used in every error message. */
  source: string;
  keys: MasterKeySpec;
  rule?: CryptRule;
  macOnlyEncrypted?: boolean;
}

function parse(text: string, format: FileFormat, source: string, indent?: string): ParsedStore {
  try {
    return format === 'json' ? parseJson(text, indent) : parseYaml(text, indent);
  } catch (err) {
    if (err instanceof StoreError) throw new FormatError(source, err.message, err.position);
    throw new FormatError(source, `cannot parse ${format}`);
  }
}

function branchesOf(store: ParsedStore, source: string): MapNode[] {
  try {
    return store.branches();
  } catch (err) {
    if (err instanceof StoreError) throw new FormatError(source, err.message, err.position);
    throw err;
  }
}

function rule(r: CryptRule | undefined, source: string): CryptRule {
  try {
    return normalizeRule(r);
  } catch (err) {
    if (err instanceof RuleError) throw new FormatError(source, err.message, 'sops metadata');
    throw err;
  }
}

const where = (path: readonly string[]): string => (path.length ? path.join('.') : '(top level)');

/** Encrypts every value/comment the rule selects, in place; returns the MAC hex. */
function encryptBranches(branches: MapNode[], r: CryptRule, macOnly: boolean, key: Uint8Array, stash?: IvStash): string {
  const mac = new MacHasher(macOnly);
  for (const b of branches) {
    walkDocument(b, r, (v) => {
      if (v.kind === 'comment') {
        if (v.encrypted) v.ref.set(encryptLeaf({ kind: 'comment', text: v.ref.text }, key, aadFor(v.path), stash));
        return;
      }
      mac.add(v.node.leaf, v.encrypted);
      if (v.encrypted) v.node.set({ kind: 'str', text: encryptLeaf(v.node.leaf, key, aadFor(v.path), stash) });
    });
  }
  return mac.hex();
}

/** Comments may sit one level off from where sops placed them; try the nearby key paths. */
function decryptComment(
  text: string,
  path: readonly string[],
  siblings: readonly string[],
  key: Uint8Array,
  stash: IvStash | undefined,
): string | undefined {
  const candidates = [path, ...path.map((_, i) => path.slice(0, path.length - 1 - i)), ...siblings.map((s) => [...path, s])];
  for (const p of candidates) {
    try {
      const leaf = decryptLeaf(text, key, aadFor(p), stash);
      if (leaf.kind === 'comment') return leaf.text;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

function decryptBranches(branches: MapNode[], r: CryptRule, macOnly: boolean, key: Uint8Array, source: string, stash?: IvStash): string {
  const mac = new MacHasher(macOnly);
  for (const b of branches) {
    walkDocument(b, r, (v) => {
      if (v.kind === 'comment') {
        if (!v.encrypted || !looksEncrypted(v.ref.text)) return;
        const plain = decryptComment(v.ref.text, v.path, v.siblingKeys, key, stash);
        if (plain === undefined) throw new TamperedError(source, `encrypted comment under ${where(v.path)} failed to authenticate`);
        v.ref.set(plain);
        return;
      }
      if (!v.encrypted) {
        mac.add(v.node.leaf, false);
        return;
      }
      const leaf = v.node.leaf;
      if (leaf.kind !== 'str') throw new TamperedError(source, `value at ${where(v.path)} should be encrypted but is a plain ${leaf.kind}`);
      let plain;
      try {
        plain = decryptLeaf(leaf.text, key, aadFor(v.path), stash);
      } catch (err) {
        if (err instanceof AuthFailure) throw new TamperedError(source, `value at ${where(v.path)} failed to authenticate`);
        if (err instanceof TypeTagError)
          throw new TamperedError(source, `value at ${where(v.path)}: its type tag was changed: ${err.message}`);
        if (err instanceof EncFormatError) {
          if (!looksEncrypted(leaf.text)) throw new TamperedError(source, `value at ${where(v.path)} should be encrypted but is not`);
          throw new FormatError(source, `malformed encrypted value: ${err.message}`, where(v.path));
        }
        throw err;
      }
      if (plain.kind === 'comment') {
        if (!v.node.toComment) throw new TamperedError(source, `value at ${where(v.path)} has type comment`);
        v.node.toComment(plain.text); // not part of the MAC, as in sops
        return;
      }
      mac.add(plain, true);
      v.node.set(plain);
    });
  }
  return mac.hex();
}

interface Opened {
  store: ParsedStore;
  meta: SopsMetadata;
  rule: CryptRule;
  key: Uint8Array;
}

async function open(encrypted: string, format: FileFormat, source: string, ctx: KeyContext, stash?: IvStash): Promise<Opened> {
  const store = parse(encrypted, format, source);
  if (!store.hasMetadata) throw new FormatError(source, 'sops metadata not found: the file is not encrypted with sops');
  let meta: SopsMetadata;
  try {
    meta = parseMetadata(store.rawMetadata);
  } catch (err) {
    if (err instanceof MetadataError) throw new FormatError(source, err.message, 'sops');
    throw err;
  }
  const r = rule(meta.rule, source);
  const key = await getDataKey(meta, ctx, source);
  store.removeMetadata();
  const branches = branchesOf(store, source);
  const computed = decryptBranches(branches, r, meta.macOnlyEncrypted, key, source, stash);
  // sops reads a missing MAC as "" and fails with "MAC mismatch"; say what happened.
  if (meta.mac === '') throw new TamperedError(source, 'the MAC is missing from the sops metadata (removed or emptied)');
  let stored;
  try {
    stored = decryptLeaf(meta.mac, key, meta.lastModified, stash);
  } catch (err) {
    if (err instanceof AuthFailure || err instanceof EncFormatError || err instanceof TypeTagError)
      throw new TamperedError(source, 'the MAC failed to authenticate (mac or lastmodified changed)');
    throw err;
  }
  if (stored.kind !== 'str' || !macEquals(stored.text, computed))
    throw new TamperedError(source, 'MAC mismatch: the content does not match the MAC');
  return { store, meta, rule: r, key };
}

async function seal(
  store: ParsedStore,
  base: Omit<SopsMetadata, 'mac' | 'lastModified'>,
  key: Uint8Array,
  source: string,
  ctx: KeyContext,
  stash?: IvStash,
): Promise<string> {
  if (store.hasMetadata) store.removeMetadata();
  const lastModified = nowRfc3339();
  const mac = encryptBranches(branchesOf(store, source), base.rule, base.macOnlyEncrypted, key, stash);
  const meta: SopsMetadata = { ...base, lastModified, mac: encryptLeaf({ kind: 'str', text: mac }, key, lastModified) };
  store.setMetadata(metadataEntries(meta));
  ctx.dataKeyCache?.set(stanzaFingerprint(meta), key);
  try {
    return store.toString();
  } catch (err) {
    if (err instanceof StoreError) throw new FormatError(source, err.message, err.position);
    throw err;
  }
}

export async function encryptText(plaintext: string, opts: EncryptOptions, ctx: KeyContext): Promise<string> {
  const store = parse(plaintext, opts.format, opts.source);
  if (store.hasMetadata) throw new FormatError(opts.source, 'the file already has sops metadata (already encrypted?)');
  const r = rule(opts.rule, opts.source);
  branchesOf(store, opts.source); // validate the structure before calling key services
  const key = new Uint8Array(randomBytes(32));
  const stanzas = await wrapForKeys(key, opts.keys, ctx, opts.source);
  return seal(
    store,
    { ...stanzas, other: {}, rule: r, macOnlyEncrypted: opts.macOnlyEncrypted === true, version: SOPS_VERSION },
    key,
    opts.source,
    ctx,
  );
}

export async function decryptText(encrypted: string, opts: { format: FileFormat; source: string }, ctx: KeyContext): Promise<string> {
  const { store } = await open(encrypted, opts.format, opts.source, ctx);
  return store.toString();
}

export interface ReencryptOptions {
  format: FileFormat;
  source: string;
  /** The edited plaintext; absent = re-encrypt the current content. */
  newPlaintext?: string;
  /** Replaces the recipient list (same data key unless rotate). */
  keys?: MasterKeySpec;
  /** Generate a new data key (no ciphertext is kept). */
  rotate?: boolean;
}

export async function reencryptText(encrypted: string, opts: ReencryptOptions, ctx: KeyContext): Promise<string> {
  const stash: IvStash = new Map();
  const opened = await open(encrypted, opts.format, opts.source, ctx, stash);
  // An edit is written back with the file's own indentation (ParsedStore.indent).
  const target = opts.newPlaintext === undefined ? opened.store : parse(opts.newPlaintext, opts.format, opts.source, opened.store.indent);
  const rotate = opts.rotate === true;
  const key = rotate ? new Uint8Array(randomBytes(32)) : opened.key;
  let stanzas: Pick<SopsMetadata, 'age' | 'hcVault' | 'other'>;
  if (opts.keys || rotate) {
    const other = Object.keys(opened.meta.other);
    if (!opts.keys && other.length > 0)
      throw new UnsupportedKeyTypeError(
        opts.source,
        other,
        'cannot re-wrap a rotated data key for them; pass keys to replace the recipient list',
      );
    stanzas = { ...(await wrapForKeys(key, opts.keys ?? specFromMetadata(opened.meta), ctx, opts.source)), other: {} };
  } else {
    stanzas = { age: opened.meta.age, hcVault: opened.meta.hcVault, other: opened.meta.other };
  }
  return seal(
    target,
    { ...stanzas, rule: opened.rule, macOnlyEncrypted: opened.meta.macOnlyEncrypted, version: SOPS_VERSION },
    key,
    opts.source,
    ctx,
    rotate ? undefined : stash,
  );
}

export function isSopsEncrypted(text: string, format: FileFormat): boolean {
  // Fast path: the daemon asks this of every manifest file of a revision, and a full parse of
  // each one cost more than the rest of reading them (1,000 ConfigMaps: ~0.5 s). A `sops` key
  // is spelled out literally unless written with escapes (`"\x73ops"`, `"\u0073ops"`), and
  // escapes need a backslash, so text with neither cannot carry a sops block.
  if (!text.includes('sops') && !text.includes('\\')) return false;
  try {
    const s = format === 'json' ? parseJson(text) : parseYaml(text);
    return s.hasMetadata && typeof s.rawMetadata === 'object' && s.rawMetadata !== null && !Array.isArray(s.rawMetadata);
  } catch {
    return false;
  }
}
