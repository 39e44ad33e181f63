// Render caching (issue 15 item 5). A render is a function of its inputs: the renderer (binary
// path and version), the sync's render settings, and the content of every file laid out for
// it, named by Git blob id. The key hashes exactly these, so an unchanged revision — or a commit
// that touches only files outside the rendered subtrees — does not run kustomize again. The
// cached value holds decrypted Secrets: it lives in this process's memory only, like the
// engine's parsed-file cache, and one entry per sync is kept (the last render).
import { createHash } from 'node:crypto';

export interface RenderKeyParts {
  tool: string;
  /** Binary path and version: a new renderer must re-render. */
  toolIdentity: string;
  path: string;
  /** Settings that change the output (allow-listed hosts, …), in a stable order. */
  settings: readonly string[];
  /** Every input file with its blob id (or a content hash when the source has no ids). */
  files: readonly (readonly [string, string])[];
}

export function renderKey(parts: RenderKeyParts): string {
  const h = createHash('sha256');
  const field = (s: string): void => {
    h.update(`${Buffer.byteLength(s)}:`);
    h.update(s);
  };
  field(parts.tool);
  field(parts.toolIdentity);
  field(parts.path);
  for (const s of parts.settings) field(s);
  field(`files:${parts.files.length}`);
  for (const [p, id] of [...parts.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    field(p);
    field(id);
  }
  return h.digest('hex');
}

/** Content id for sources that give no blob ids (the same for equal bytes). */
export function contentId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The last render of each sync, reused while its key is unchanged. */
export class RenderCache<T> {
  private readonly entries = new Map<string, { key: string; value: T }>();
  hits = 0;
  misses = 0;

  get(sync: string, key: string): T | undefined {
    const e = this.entries.get(sync);
    if (e?.key === key) {
      this.hits++;
      return e.value;
    }
    this.misses++;
    return undefined;
  }

  set(sync: string, key: string, value: T): void {
    this.entries.set(sync, { key, value });
  }

  delete(sync: string): void {
    this.entries.delete(sync);
  }
}
