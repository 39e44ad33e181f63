// Git's pack and pack-index (v2) formats, as far as fix-thin needs them (gitformat-pack): read
// one entry of a pack, apply a delta, write a pack of whole objects and its index. Nothing here
// reads the disk; every malformed input is a PackFormatError, never a throw from Buffer bounds.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { crc32, deflateSync, inflateSync } from 'node:zlib';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const OFS_DELTA = 6;
const REF_DELTA = 7;

/** A pack or index we cannot read: cut short, a bad header, a delta that does not fit its base. */
export class PackFormatError extends Error {
  override readonly name = 'PackFormatError';
}

/** One pack entry: a whole object, or a delta on an earlier entry (`baseOffset`) or on an oid. */
export type PackEntry = {
  offset: number;
  /** Offset of the next entry (or of the trailer): the entry's bytes are [offset, end). */
  end: number;
  /** Inflated data: the object's content, or the delta. */
  data: Buffer;
} & ({ kind: 'whole'; type: ObjectType } | { kind: 'ofs-delta'; baseOffset: number } | { kind: 'ref-delta'; baseOid: string });

/** Header of a pack: checks signature, version and trailing checksum; returns the object count. */
export function packObjectCount(pack: Buffer): number {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new PackFormatError('not a pack (no PACK signature)');
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new PackFormatError(`pack version ${version} is not supported`);
  const sum = createHash('sha1')
    .update(pack.subarray(0, pack.length - 20))
    .digest();
  if (!sum.equals(pack.subarray(pack.length - 20))) throw new PackFormatError('pack checksum does not match its content');
  return pack.readUInt32BE(8);
}

/** The entry at `offset` of `pack`, inflated. */
export function readEntry(pack: Buffer, offset: number): PackEntry {
  const limit = pack.length - 20;
  let p = offset;
  const byte = (): number => {
    if (p >= limit) throw new PackFormatError(`pack entry at ${offset} is cut short`);
    return pack[p++] as number;
  };
  let c = byte();
  const code = (c >> 4) & 7;
  let size = c & 15;
  let shift = 4;
  while (c & 0x80) {
    c = byte();
    size += (c & 0x7f) * 2 ** shift;
    shift += 7;
    if (shift > 53) throw new PackFormatError(`pack entry at ${offset} has an oversized length`);
  }
  let head: { kind: 'whole'; type: ObjectType } | { kind: 'ofs-delta'; baseOffset: number } | { kind: 'ref-delta'; baseOid: string };
  if (code === OFS_DELTA) {
    c = byte();
    let back = c & 0x7f;
    while (c & 0x80) {
      c = byte();
      back = (back + 1) * 128 + (c & 0x7f);
    }
    if (back <= 0 || back > offset - 12) throw new PackFormatError(`pack entry at ${offset} is a delta on a base outside the pack`);
    head = { kind: 'ofs-delta', baseOffset: offset - back };
  } else if (code === REF_DELTA) {
    if (p + 20 > limit) throw new PackFormatError(`pack entry at ${offset} is cut short`);
    head = { kind: 'ref-delta', baseOid: pack.toString('hex', p, p + 20) };
    p += 20;
  } else {
    const type = TYPES[code];
    if (type === undefined) throw new PackFormatError(`pack entry at ${offset} has unknown type ${code}`);
    head = { kind: 'whole', type };
  }
  let data: Buffer;
  let used: number;
  try {
    // `info` gives the engine, whose bytesWritten is how much input the deflate stream used:
    // where this entry ends and the next begins (the pack records no compressed lengths).
    const out = inflateSync(pack.subarray(p, limit), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    data = out.buffer;
    used = out.engine.bytesWritten;
  } catch (err) {
    throw new PackFormatError(`pack entry at ${offset} does not inflate: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (data.length !== size)
    throw new PackFormatError(`pack entry at ${offset} inflates to ${data.length} bytes, not the ${size} its header says`);
  return { offset, end: p + used, data, ...head };
}

/** Every entry of `pack`, in order. */
export function readEntries(pack: Buffer): PackEntry[] {
  const count = packObjectCount(pack);
  const out: PackEntry[] = [];
  let offset = 12;
  for (let i = 0; i < count; i++) {
    const e = readEntry(pack, offset);
    out.push(e);
    offset = e.end;
  }
  if (offset !== pack.length - 20) throw new PackFormatError(`pack has ${pack.length - 20 - offset} bytes after its ${count} objects`);
  return out;
}

/** `base` with `delta` applied (git's copy/insert instructions). */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let p = 0;
  const varint = (): number => {
    let n = 0;
    let shift = 0;
    let c: number;
    do {
      if (p >= delta.length) throw new PackFormatError('delta is cut short');
      c = delta[p++] as number;
      n += (c & 0x7f) * 2 ** shift;
      shift += 7;
    } while (c & 0x80);
    return n;
  };
  if (varint() !== base.length) throw new PackFormatError(`delta expects a base of another size than ${base.length} bytes`);
  const out = Buffer.allocUnsafe(varint());
  let o = 0;
  while (p < delta.length) {
    const op = delta[p++] as number;
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) off += (delta[p++] ?? 0) * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (1 << (4 + i))) len += (delta[p++] ?? 0) * 2 ** (8 * i);
      if (len === 0) len = 0x10000;
      if (off + len > base.length || o + len > out.length || p > delta.length) throw new PackFormatError('delta copies outside its base');
      base.copy(out, o, off, off + len);
      o += len;
    } else if (op !== 0) {
      if (p + op > delta.length || o + op > out.length) throw new PackFormatError('delta inserts past its end');
      delta.copy(out, o, p, p + op);
      p += op;
      o += op;
    } else {
      throw new PackFormatError('delta has a reserved instruction (0)');
    }
  }
  if (o !== out.length) throw new PackFormatError(`delta builds ${o} bytes, not the ${out.length} it declares`);
  return out;
}

/** The oid git gives an object: sha1 of `<type> <size>\0<content>`. */
export function objectId(type: ObjectType, content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

export interface WholeObject {
  oid: string;
  type: ObjectType;
  content: Buffer;
}

/**
 * A pack of whole objects (no deltas: it needs nothing outside itself) and its v2 index.
 * Deflate level 1: these packs are a few objects per fetch and rebuilt away past MAX_PACKS, so
 * CPU on a busy node matters more than their size.
 */
export function writePack(objects: readonly WholeObject[]): { pack: Buffer; idx: Buffer; sha: string } {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  parts.push(header);
  let offset = 12;
  const rows: { oid: string; offset: number; crc: number }[] = [];
  for (const o of objects) {
    const head: number[] = [];
    let size = o.content.length;
    let c = (CODES[o.type] << 4) | (size & 15);
    size = Math.floor(size / 16);
    while (size > 0) {
      head.push(c | 0x80);
      c = size & 0x7f;
      size = Math.floor(size / 128);
    }
    head.push(c);
    const entry = Buffer.concat([Buffer.from(head), deflateSync(o.content, { level: 1 })]);
    if (offset >= 0x80000000) throw new PackFormatError('pack past 2 GiB: large offsets are not written');
    rows.push({ oid: o.oid, offset, crc: crc32(entry) });
    parts.push(entry);
    offset += entry.length;
  }
  const body = Buffer.concat(parts);
  const sum = createHash('sha1').update(body).digest();
  const pack = Buffer.concat([body, sum]);
  return { pack, idx: writeIndex(rows, sum), sha: sum.toString('hex') };
}

function writeIndex(rows: { oid: string; offset: number; crc: number }[], packSum: Buffer): Buffer {
  rows.sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const n = rows.length;
  const buf = Buffer.alloc(8 + 1024 + n * 28 + 20);
  buf.writeUInt32BE(0xff744f63, 0);
  buf.writeUInt32BE(2, 4);
  const fanout = new Array<number>(256).fill(0);
  for (const r of rows) fanout[parseInt(r.oid.slice(0, 2), 16)]! += 1;
  let total = 0;
  for (let i = 0; i < 256; i++) {
    total += fanout[i] as number;
    buf.writeUInt32BE(total, 8 + i * 4);
  }
  rows.forEach((r, i) => {
    buf.write(r.oid, 1032 + i * 20, 'hex');
    buf.writeUInt32BE(r.crc, 1032 + n * 20 + i * 4);
    buf.writeUInt32BE(r.offset, 1032 + n * 24 + i * 4);
  });
  packSum.copy(buf, 1032 + n * 28);
  const sum = createHash('sha1').update(buf).digest();
  return Buffer.concat([buf, sum]);
}

/** oid → offset of a v2 pack index (the only version isomorphic-git and we write). */
export function readIndex(idx: Buffer): Map<string, number> {
  if (idx.length < 1052 || idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) {
    throw new PackFormatError('not a version 2 pack index');
  }
  const n = idx.readUInt32BE(8 + 255 * 4);
  const oids = 1032;
  const offsets = oids + n * 24;
  const large = offsets + n * 4;
  if (idx.length < large + 40) throw new PackFormatError('pack index is cut short');
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    let off = idx.readUInt32BE(offsets + i * 4);
    if (off & 0x80000000) {
      const at = large + (off & 0x7fffffff) * 8;
      if (at + 8 > idx.length - 40) throw new PackFormatError('pack index large offset out of range');
      off = Number(idx.readBigUInt64BE(at));
    }
    out.set(idx.toString('hex', oids + i * 20, oids + i * 20 + 20), off);
  }
  return out;
}
