// Git's pkt-line framing (gitprotocol-common): a 4-hex length (counting itself) and the payload;
// `0000` is a flush, `0001` a delimiter. The same framing runs over smart HTTP and over SSH, so
// both transports read and write git's protocol through this one module.
import { Buffer } from 'node:buffer';

/** A malformed pkt-line stream: the server sent something that is not git's protocol. */
export class PktLineError extends Error {
  override readonly name = 'PktLineError';
  readonly code = 'ParseError';
}

export const FLUSH = Buffer.from('0000');

/** One data pkt-line for `payload` (text gets no newline added: callers say what they send). */
export function pktLine(payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  if (body.length > 65516) throw new PktLineError(`pkt-line payload of ${body.length} bytes exceeds 65516`);
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
}

/** A packet as read: its payload, or a flush / delimiter, or `end` when the stream is over. */
export type Packet = Buffer | 'flush' | 'delim' | 'end';

/**
 * Reads pkt-lines from a byte stream, buffering only what one packet needs; `remaining` hands
 * back the unread bytes (a pack sent without side-band follows the last pkt-line raw).
 */
export class PktReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(stream: AsyncIterable<Uint8Array>) {
    this.it = stream[Symbol.asyncIterator]();
  }

  async next(): Promise<Packet> {
    if (!(await this.fill(4))) {
      if (this.buf.length === 0) return 'end';
      throw new PktLineError(`stream ended inside a pkt-line length (${this.buf.length} bytes)`);
    }
    const hex = this.buf.subarray(0, 4).toString('latin1');
    if (!/^[0-9a-f]{4}$/i.test(hex)) throw new PktLineError(`bad pkt-line length ${JSON.stringify(hex)}`);
    const len = parseInt(hex, 16);
    if (len === 0 || len === 1 || len === 2) {
      this.buf = this.buf.subarray(4);
      return len === 1 ? 'delim' : 'flush';
    }
    if (len < 4) throw new PktLineError(`bad pkt-line length ${len}`);
    if (!(await this.fill(len))) throw new PktLineError(`stream ended inside a ${len}-byte pkt-line`);
    const payload = this.buf.subarray(4, len);
    this.buf = this.buf.subarray(len);
    return payload;
  }

  /** The unread bytes, then the rest of the stream. */
  async *remaining(): AsyncGenerator<Buffer> {
    if (this.buf.length > 0) yield this.buf;
    this.buf = Buffer.alloc(0);
    while (!this.done) {
      const r = await this.it.next();
      if (r.done === true) this.done = true;
      else yield Buffer.from(r.value);
    }
  }

  private async fill(n: number): Promise<boolean> {
    const parts: Buffer[] = [this.buf];
    let have = this.buf.length;
    while (have < n && !this.done) {
      const r = await this.it.next();
      if (r.done === true) this.done = true;
      else {
        parts.push(Buffer.from(r.value));
        have += r.value.byteLength;
      }
    }
    if (parts.length > 1) this.buf = Buffer.concat(parts);
    return this.buf.length >= n;
  }
}

/** A packet's payload as text without its trailing newline. */
export function pktText(p: Buffer): string {
  const s = p.toString('utf8');
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

/** One ref advertisement (protocol v0/v1): refs, capabilities, and where the advertisement ended. */
export interface RefAdvertisement {
  /** Ref name → oid; `<tag>^{}` entries carry the peeled commit. */
  refs: Map<string, string>;
  capabilities: Set<string>;
}

/**
 * Parses a v0/v1 ref advertisement up to its flush. Over smart HTTP it starts with a
 * `# service=git-upload-pack` line and a flush; over SSH it does not. An empty repository
 * advertises `capabilities^{}` with the zero id (or nothing at all).
 */
export async function readAdvertisement(reader: PktReader, service: string): Promise<RefAdvertisement> {
  const refs = new Map<string, string>();
  const capabilities = new Set<string>();
  let first = true;
  for (;;) {
    const p = await reader.next();
    if (p === 'end') {
      if (first) throw new PktLineError(`the server closed the connection without a ${service} ref advertisement`);
      return { refs, capabilities };
    }
    if (p === 'flush' || p === 'delim') {
      if (first) continue;
      return { refs, capabilities };
    }
    let line = pktText(p);
    if (line.startsWith('ERR ')) throw new RemoteProtocolError(line.slice(4));
    if (first && line === `# service=${service}`) continue;
    if (first && line === 'version 1') continue;
    if (line === 'version 2') throw new PktLineError('the server answered with protocol v2, which was not asked for');
    if (first) {
      const nul = line.indexOf('\0');
      if (nul >= 0) {
        for (const c of line.slice(nul + 1).split(' ')) if (c !== '') capabilities.add(c);
        line = line.slice(0, nul);
      }
      first = false;
    }
    const m = /^([0-9a-f]{40}) (.+)$/.exec(line);
    if (m === null) throw new PktLineError(`bad ref advertisement line ${JSON.stringify(line.slice(0, 100))}`);
    if (m[2] !== 'capabilities^{}') refs.set(m[2] as string, m[1] as string);
  }
}

/** An `ERR` packet, or side-band channel 3: the server's own words for why it stopped. */
export class RemoteProtocolError extends Error {
  override readonly name = 'RemoteProtocolError';
  readonly code = 'RemoteProtocolError';
  constructor(serverMessage: string) {
    // upload-pack sends its abort message with the C string's NUL; control characters go.
    super(`the server said: ${serverMessage.replace(/[\0-\x08\x0b-\x1f\x7f]/g, '').trim()}`);
  }
}
