// The contract between file.ts and the per-format stores (yaml-store.ts, json-store.ts).
import type { MetaEntries } from './metadata.js';
import type { MapNode } from './tree.js';

export type FileFormat = 'yaml' | 'json';

/** A parsed document set, edited in place through the tree's setters. */
export interface ParsedStore {
  /** Whether a top-level `sops` key exists (in the first document). */
  readonly hasMetadata: boolean;
  /** The `sops` value as plain JS, if present. */
  readonly rawMetadata: unknown;
  /** One top-level mapping per document; call after removeMetadata() so `sops` is not walked. */
  branches(): MapNode[];
  removeMetadata(): void;
  /** Replaces the `sops` block of every document. */
  setMetadata(entries: MetaEntries): void;
  /**
   * One level of indentation as written: an encrypted file's own (its `sops` block shows it;
   * sops' `stores.yaml.indent` / `stores.json.indent` of .sops.yaml change it), else the
   * default (YAML: 4 spaces, JSON: a tab). An edit's plaintext is written back with it.
   */
  readonly indent: string;
  toString(): string;
}

/** Internal parse error without the file name; file.ts turns it into a FormatError. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly position?: string,
  ) {
    super(message);
  }
}

export function formatFromPath(path: string): FileFormat {
  return /\.json$/i.test(path) ? 'json' : 'yaml';
}
