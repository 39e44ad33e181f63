// Request bodies, capped so a hostile sender cannot exhaust memory: over MAX_BODY the answer is
// 413, refused before a byte is read when Content-Length (or Expect: 100-continue) already says
// so, and the connection is then closed cleanly so the sender can read the 413.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_BODY = 1 << 20;
/**
 * How long the rest of a refused body is read (and dropped) after the 413 before the
 * connection is cut: closing a socket with unread data makes the kernel send a reset, which can
 * destroy the 413 before the sender reads it. A sender still writing after this gets the reset.
 */
const DRAIN_MS = 5_000;

/** A Content-Length over the limit: refused before a byte of the body is read. */
export function declaredTooLarge(req: IncomingMessage): boolean {
  const n = Number(req.headers['content-length']);
  return Number.isFinite(n) && n > MAX_BODY;
}

/** The body, 'too-large' past MAX_BODY (the rest is then read and dropped), undefined if the sender went away. */
export function readBody(req: IncomingMessage): Promise<Buffer | 'too-large' | undefined> {
  if (declaredTooLarge(req)) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size <= MAX_BODY) {
        chunks.push(c);
        return;
      }
      chunks.length = 0;
      req.off('data', onData);
      resolve('too-large');
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

/**
 * 413, then a clean close. When the body is already on its way, the answer keeps the
 * connection open while Node reads and drops the rest (then we close: a FIN after everything
 * was read, no reset); `Connection: close` would make Node destroy the socket with the body
 * unread. Without a body on its way (Expect: 100-continue) the answer closes at once.
 */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, bodyOnItsWay: boolean): void {
  const sock = req.socket;
  res.writeHead(413, {
    'content-type': 'application/json',
    ...(bodyOnItsWay ? {} : { connection: 'close' }),
  });
  res.end(JSON.stringify({ error: `body too large (limit ${MAX_BODY} bytes)` }, null, 2));
  if (!bodyOnItsWay) return;
  req.resume();
  const cut = setTimeout(() => sock.destroy(), DRAIN_MS);
  cut.unref();
  sock.once('close', () => clearTimeout(cut));
  const close = (): void => {
    clearTimeout(cut);
    sock.end();
  };
  if (req.complete) res.once('finish', close);
  else req.once('end', close);
}
