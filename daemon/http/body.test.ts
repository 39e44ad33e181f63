// Bodies over the limit (a webhook's, say), sent over a real socket as a sender would: the
// answer must be a readable 413 and a clean close (FIN, no reset), and never a 100 Continue first.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from './server.js';

const TEN_MIB = 10 * 1024 * 1024;
let srv: HttpServer;
let triggered = 0;
/** The size of the last body the route was handed. */
let received = -1;
beforeAll(async () => {
  srv = await startHttpServer('127.0.0.1:0', [
    {
      routes: [
        {
          method: 'POST',
          path: '/hooks/:name',
          readBody: true,
          handle: ({ name, body }) => {
            if (name !== 'repo') return { status: 404, json: { error: 'no webhook for this source' } };
            triggered++;
            received = body.length;
            return { status: 202, json: { accepted: true } };
          },
        },
      ],
    },
  ]);
});
afterAll(async () => {
  await srv?.close();
});

interface Exchange {
  /** Everything the server sent, as text. */
  text: string;
  /** How the connection ended: the server's FIN, or an error such as ECONNRESET / EPIPE. */
  ended: 'fin' | string;
}

/**
 * Writes `head` (request line and headers), then — unless `waitForAnswer` — the body in 64 KiB
 * writes, and reads until the server closes. With `waitForAnswer` the body is sent only after
 * a `100 Continue`, as curl does for `Expect: 100-continue`.
 */
function exchange(head: string, body: Buffer, opts: { chunked?: boolean; waitForAnswer?: boolean } = {}): Promise<Exchange> {
  const { port } = new URL(srv.url);
  return new Promise((resolve) => {
    const sock = connect(Number(port), '127.0.0.1');
    const got: Buffer[] = [];
    let done = false;
    const finish = (ended: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text: Buffer.concat(got).toString('latin1'), ended });
    };
    const timer = setTimeout(() => finish('timeout: the server did not close the connection'), 15_000);
    let sending = false;
    const sendBody = async (): Promise<void> => {
      if (sending) return;
      sending = true;
      for (let i = 0; i < body.length && !sock.destroyed; i += 64 * 1024) {
        const piece = body.subarray(i, i + 64 * 1024);
        const frame = opts.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
        if (!sock.write(frame)) await new Promise((r) => sock.once('drain', r));
      }
      if (opts.chunked && !sock.destroyed) sock.write('0\r\n\r\n');
    };
    sock.on('data', (c: Buffer) => {
      got.push(c);
      if (opts.waitForAnswer && /^HTTP\/1\.1 100 /.test(Buffer.concat(got).toString('latin1'))) void sendBody();
    });
    sock.on('end', () => finish('fin'));
    sock.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    sock.on('connect', () => {
      sock.write(head);
      if (!opts.waitForAnswer) void sendBody().catch(() => undefined);
    });
  });
}

const post = (headers: string[]): string =>
  ['POST /hooks/repo HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', ...headers, '', ''].join('\r\n');

describe('body limit', () => {
  const big = Buffer.alloc(TEN_MIB, 'a');

  it('answers a 10 MiB body with 413 and closes cleanly', async () => {
    const r = await exchange(post([`Content-Length: ${big.length}`]), big);
    expect(r.text).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(r.text).toContain('"error": "body too large (limit 1048576 bytes)"');
    expect(r.ended).toBe('fin');
  });

  it('answers a 10 MiB chunked body (no Content-Length) with 413 and closes cleanly', async () => {
    const r = await exchange(post(['Transfer-Encoding: chunked']), big, { chunked: true });
    expect(r.text).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(r.ended).toBe('fin');
  });

  it('never answers 100 Continue to a body it refuses for its size', async () => {
    const r = await exchange(post([`Content-Length: ${big.length}`, 'Expect: 100-continue']), big, { waitForAnswer: true });
    expect(r.text).not.toContain('100 Continue');
    expect(r.text).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(r.text).toMatch(/\r\nConnection: close\r\n/i);
    expect(r.ended).toBe('fin');
  });

  it('still answers 100 Continue and reads a body within the limit', async () => {
    const small = Buffer.from('{"ref":"refs/heads/main"}');
    const before = triggered;
    const r = await exchange(post([`Content-Length: ${small.length}`, 'Expect: 100-continue', 'Connection: close']), small, {
      waitForAnswer: true,
    });
    expect(r.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 202 Accepted\r\n/);
    expect(triggered).toBe(before + 1);
    expect(received).toBe(small.length);
    const exact = Buffer.alloc(1 << 20, 'b');
    const r2 = await exchange(post([`Content-Length: ${exact.length}`, 'Connection: close']), exact);
    expect(r2.text).toMatch(/^HTTP\/1\.1 202 Accepted\r\n/);
    expect(received).toBe(1 << 20);
  });
});
