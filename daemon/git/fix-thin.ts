// `git index-pack --fix-thin`, in memory, before anything reaches the store. A thin pack (what
// the server sends when we ask for `thin-pack` and offer a "have") may hold deltas on objects it
// does not carry, because we hold them; and, when our history is shallow, objects we already
// hold, possibly as deltas on objects we hold as deltas on them. Stored as it came, isomorphic-git
// would follow such a cycle across packs until the heap was gone. So: every object of the pack is
// resolved here — deltas on entries of the pack from the pack, deltas on anything else from the
// store as it was before this fetch (StoreObjects, bounded) — objects we already hold are dropped,
// and the rest is written as a pack of whole objects that needs nothing outside itself.
import type { Buffer } from 'node:buffer';
import type { ObjectStore } from './object-io.js';
import { applyDelta, objectId, PackFormatError, readEntries, type PackEntry, type WholeObject, writePack } from './pack-format.js';
import { MAX_DELTA_DEPTH, StoreObjects, ThinPackError } from './store-objects.js';

export { MAX_DELTA_DEPTH, ThinPackError, type ThinPackReason } from './store-objects.js';

export interface FixThinOptions {
  /** Longest delta chain accepted, in the pack and in the store (default MAX_DELTA_DEPTH). */
  maxDepth?: number;
}

export interface FixedPack {
  /** The completed pack and its index; null when every object was already held. */
  pack: Buffer | null;
  idx: Buffer | null;
  /** Its checksum, which names its files (`pack-<sha>.pack`). */
  sha: string | null;
  /** Objects the server sent; written; dropped because the store held them; bases read from the store. */
  received: number;
  written: number;
  dropped: number;
  externalBases: number;
}

interface Resolved extends WholeObject {
  depth: number;
}

/** Completes `thin` against `store` (read only). Throws ThinPackError; writes nothing. */
export async function fixThinPack(store: ObjectStore, thin: Buffer, opts: FixThinOptions = {}): Promise<FixedPack> {
  const maxDepth = opts.maxDepth ?? MAX_DELTA_DEPTH;
  let entries: PackEntry[];
  try {
    entries = readEntries(thin);
  } catch (err) {
    if (!(err instanceof PackFormatError)) throw err;
    throw new ThinPackError('corrupt', 'the fetched pack', err.message);
  }
  const objects = await StoreObjects.open(store, maxDepth);

  // Resolve from the bottom up, without recursion: whole objects first, then whatever is a delta
  // on something resolved. Each entry is resolved once, so this ends whatever the pack holds.
  const byOffset = new Map<number, Resolved>();
  const byOid = new Map<string, Resolved>();
  const onOffset = new Map<number, PackEntry[]>();
  const onOid = new Map<string, PackEntry[]>();
  const ready: { entry: PackEntry; base: Resolved | null }[] = [];
  for (const e of entries) {
    if (e.kind === 'whole') ready.push({ entry: e, base: null });
    else if (e.kind === 'ofs-delta') push(onOffset, e.baseOffset, e);
    else push(onOid, e.baseOid, e);
  }
  const drain = (): void => {
    for (let item = ready.pop(); item !== undefined; item = ready.pop()) {
      const r = resolve(item.entry, item.base, maxDepth);
      byOffset.set(item.entry.offset, r);
      if (!byOid.has(r.oid)) byOid.set(r.oid, r);
      for (const d of take(onOffset, item.entry.offset)) ready.push({ entry: d, base: r });
      for (const d of take(onOid, r.oid)) ready.push({ entry: d, base: r });
    }
  };
  drain();
  // What is still waiting is a delta on an object the pack does not carry (or on one that can
  // only come from such a delta): its base comes from the store — never from this pack.
  let externalBases = 0;
  for (const baseOid of [...onOid.keys()]) {
    if (!onOid.has(baseOid) || byOid.has(baseOid)) continue;
    if (!(await objects.has(baseOid))) continue;
    const base = await objects.read(baseOid);
    externalBases++;
    for (const d of take(onOid, baseOid)) ready.push({ entry: d, base: { ...base, depth: 0 } });
    drain();
  }
  const stuck = [...onOid.entries()][0];
  if (stuck !== undefined) {
    const [baseOid, waiting] = stuck;
    // A base nobody has, or deltas of the pack waiting on each other (a cycle): either way the
    // pack cannot be completed from the pack and the store alone.
    throw new ThinPackError(
      'missing-base',
      `the delta at offset ${waiting[0]?.offset ?? '?'} of the fetched pack`,
      `its base ${baseOid} is in neither the store nor the resolvable part of the pack`,
    );
  }
  const orphan = [...onOffset.values()][0]?.[0];
  if (orphan !== undefined)
    throw new ThinPackError('corrupt', `the delta at offset ${orphan.offset} of the fetched pack`, 'its base offset is not an entry');

  const keep: WholeObject[] = [];
  let dropped = 0;
  for (const r of byOid.values()) {
    if (await objects.has(r.oid)) dropped++;
    else keep.push({ oid: r.oid, type: r.type, content: r.content });
  }
  const base = { received: entries.length, written: keep.length, dropped, externalBases };
  if (keep.length === 0) return { pack: null, idx: null, sha: null, ...base };
  try {
    return { ...writePack(keep), ...base };
  } catch (err) {
    if (!(err instanceof PackFormatError)) throw err;
    throw new ThinPackError('corrupt', 'the completed pack', err.message);
  }
}

function resolve(e: PackEntry, base: Resolved | null, maxDepth: number): Resolved {
  if (e.kind === 'whole') return { oid: objectId(e.type, e.data), type: e.type, content: e.data, depth: 0 };
  const where = `the delta at offset ${e.offset} of the fetched pack`;
  if (base === null) throw new ThinPackError('corrupt', where, 'resolved without its base');
  if (base.depth + 1 > maxDepth) throw new ThinPackError('too-deep', where, `delta chain longer than ${maxDepth} (base ${base.oid})`);
  let content: Buffer;
  try {
    content = applyDelta(base.content, e.data);
  } catch (err) {
    throw new ThinPackError('corrupt', where, `on base ${base.oid}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { oid: objectId(base.type, content), type: base.type, content, depth: base.depth + 1 };
}

function push<K>(m: Map<K, PackEntry[]>, k: K, e: PackEntry): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [e]);
  else list.push(e);
}

function take<K>(m: Map<K, PackEntry[]>, k: K): PackEntry[] {
  const list = m.get(k) ?? [];
  m.delete(k);
  return list;
}
