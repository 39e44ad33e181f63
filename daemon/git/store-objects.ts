// A bounded reader of the objects already in a store: the only source fix-thin takes a thin
// pack's missing delta bases from. Not isomorphic-git's reader, which follows a ref-delta into
// whatever pack holds its base, with no depth limit and no memory of where it has been — a
// store holding X as a delta on Y and Y as a delta on X (two thin packs stored as they came)
// makes it recurse until the heap is gone. Here a chain longer than a bound, or one that meets
// itself, is a ThinPackError naming the object.
import { Buffer } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import type { ObjectStore } from './object-io.js';
import { applyDelta, type ObjectType, PackFormatError, readEntry, readIndex, type WholeObject } from './pack-format.js';

/** git's own ceiling for pack-objects --depth: no honest chain is longer. */
export const MAX_DELTA_DEPTH = 4095;

export type ThinPackReason = 'cycle' | 'too-deep' | 'missing-base' | 'corrupt';

/** A thin pack that cannot be completed safely; the fetch is redone without thin-pack. */
export class ThinPackError extends Error {
  override readonly name = 'ThinPackError';
  constructor(
    readonly reason: ThinPackReason,
    /** The object (or, for a delta whose own oid is unknown, the pack entry) it is about. */
    readonly object: string,
    detail: string,
  ) {
    super(`thin pack: ${reason}: ${object}: ${detail}`);
  }
}

interface PackFile {
  name: string;
  offsets: Map<string, number>;
  data?: Promise<Buffer>;
}

const LOOSE_TYPES = new Set<string>(['commit', 'tree', 'blob', 'tag']);

export class StoreObjects {
  private constructor(
    private readonly store: ObjectStore,
    private readonly packs: PackFile[],
    private readonly maxDepth: number,
  ) {}

  /** Reads the store's pack indexes (packs themselves are read when first needed). */
  static async open(store: ObjectStore, maxDepth = MAX_DELTA_DEPTH): Promise<StoreObjects> {
    const dir = `${store.gitdir}/objects/pack`;
    let names: string[];
    try {
      names = (await store.fs.promises.readdir(dir)) as string[];
    } catch {
      names = [];
    }
    const packs: PackFile[] = [];
    for (const n of names.filter((f) => f.endsWith('.idx')).sort()) {
      const idx = (await store.fs.promises.readFile(`${dir}/${n}`)) as Buffer;
      try {
        packs.push({ name: n.replace(/\.idx$/, '.pack'), offsets: readIndex(idx) });
      } catch (err) {
        throw new ThinPackError('corrupt', `objects/pack/${n}`, err instanceof Error ? err.message : String(err));
      }
    }
    return new StoreObjects(store, packs, maxDepth);
  }

  /** Whether the store holds `oid` (packed or loose). */
  async has(oid: string): Promise<boolean> {
    if (this.packs.some((p) => p.offsets.has(oid))) return true;
    return (await this.loose(oid)) !== undefined;
  }

  /**
   * `oid`'s type and content. `chain`: the oids being resolved above this read (a ref-delta's
   * base that is one of them is a cycle); `depth`: the deltas already applied above it.
   */
  async read(oid: string, chain: readonly string[] = [], depth = 0): Promise<WholeObject> {
    if (chain.includes(oid)) throw new ThinPackError('cycle', oid, `delta chain returns to it: ${[...chain, oid].join(' → ')}`);
    const loose = await this.loose(oid);
    if (loose !== undefined) return loose;
    const pack = this.packs.find((p) => p.offsets.has(oid));
    if (pack === undefined) throw new ThinPackError('missing-base', oid, 'not in the store');
    const { type, content } = await this.readPacked(pack, pack.offsets.get(oid) as number, oid, [...chain, oid], depth);
    return { oid, type, content };
  }

  private async readPacked(
    pack: PackFile,
    offset: number,
    oid: string,
    chain: string[],
    depth: number,
  ): Promise<{ type: ObjectType; content: Buffer }> {
    pack.data ??= this.store.fs.promises.readFile(`${this.store.gitdir}/objects/pack/${pack.name}`) as Promise<Buffer>;
    const data = await pack.data;
    // Offsets within one pack only go backwards (ofs-delta), so this walk ends; ref-deltas go
    // through read(), which checks the chain.
    const deltas: Buffer[] = [];
    let at = offset;
    for (;;) {
      if (chain.length + deltas.length > this.maxDepth)
        throw new ThinPackError('too-deep', oid, `delta chain longer than ${this.maxDepth}`);
      let e;
      try {
        e = readEntry(data, at);
      } catch (err) {
        if (!(err instanceof PackFormatError)) throw err;
        throw new ThinPackError('corrupt', oid, `objects/pack/${pack.name}: ${err.message}`);
      }
      let base: { type: ObjectType; content: Buffer };
      if (e.kind === 'ofs-delta') {
        deltas.push(e.data);
        at = e.baseOffset;
        continue;
      } else if (e.kind === 'ref-delta') {
        deltas.push(e.data);
        base = await this.read(e.baseOid, chain, depth + deltas.length);
      } else {
        base = { type: e.type, content: e.data };
      }
      let content = base.content;
      try {
        for (let i = deltas.length - 1; i >= 0; i--) content = applyDelta(content, deltas[i] as Buffer);
      } catch (err) {
        throw new ThinPackError('corrupt', oid, err instanceof Error ? err.message : String(err));
      }
      return { type: base.type, content };
    }
  }

  private async loose(oid: string): Promise<WholeObject | undefined> {
    let raw: Buffer;
    try {
      raw = (await this.store.fs.promises.readFile(`${this.store.gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`)) as Buffer;
    } catch {
      return undefined;
    }
    try {
      const whole = inflateSync(raw);
      const nul = whole.indexOf(0);
      const [type, size] = whole.toString('latin1', 0, nul).split(' ');
      const content = whole.subarray(nul + 1);
      if (type === undefined || !LOOSE_TYPES.has(type) || Number(size) !== content.length) throw new Error('bad header');
      return { oid, type: type as ObjectType, content: Buffer.from(content) };
    } catch (err) {
      throw new ThinPackError('corrupt', oid, `loose object: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
