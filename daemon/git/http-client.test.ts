// countingHttp on a kept-alive connection that the server drops as the next request arrives (a
// real Node HTTP server that resets a connection's second request, as a server whose idle timeout
// fires at that moment does): reads are asked once more, a push is not.
import { Buffer } from 'node:buffer';
import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countingHttp } from './http-client.js';

let server: Server;
let base = '';
const seen: { url: string; body: string; reset: boolean }[] = [];
beforeEach(async () => {
  seen.length = 0;
  const served = new WeakMap<Socket, number>();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      const reset = n === 2;
      seen.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString(), reset });
      if (reset) req.socket.resetAndDestroy();
      else res.end(`answer to ${req.url}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function text(res: { body?: AsyncIterableIterator<Uint8Array> }): Promise<string> {
  const out: Buffer[] = [];
  for await (const c of res.body ?? []) out.push(Buffer.from(c));
  return Buffer.concat(out).toString();
}
async function* body(s: string): AsyncIterableIterator<Uint8Array> {
  yield Buffer.from(s);
}

describe('countingHttp on a connection reset before any answer', () => {
  it('asks a read again on a new connection (body and all), and counts both round trips', async () => {
    const stats = { requests: 0, bytesReceived: 0, thinPackFallbacks: 0 };
    const http = countingHttp(stats, undefined, 10_000, new Agent({ keepAlive: true, maxSockets: 1 }));
    expect(await text(await http.request({ url: `${base}/r.git/info/refs?service=git-upload-pack` }))).toBe(
      'answer to /r.git/info/refs?service=git-upload-pack',
    );
    const post = await http.request({ url: `${base}/r.git/git-upload-pack`, method: 'POST', body: body('want x\n') });
    expect(await text(post)).toBe('answer to /r.git/git-upload-pack');
    expect(seen).toEqual([
      { url: '/r.git/info/refs?service=git-upload-pack', body: '', reset: false },
      { url: '/r.git/git-upload-pack', body: 'want x\n', reset: true },
      { url: '/r.git/git-upload-pack', body: 'want x\n', reset: false },
    ]);
    expect(stats.requests).toBe(3);
  });

  it('never asks a push again: the server may have applied it', async () => {
    const http = countingHttp(
      { requests: 0, bytesReceived: 0, thinPackFallbacks: 0 },
      undefined,
      10_000,
      new Agent({ keepAlive: true, maxSockets: 1 }),
    );
    await text(await http.request({ url: `${base}/r.git/info/refs?service=git-receive-pack` }));
    await expect(http.request({ url: `${base}/r.git/git-receive-pack`, method: 'POST', body: body('push') })).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    expect(seen.map((s) => s.url)).toEqual(['/r.git/info/refs?service=git-receive-pack', '/r.git/git-receive-pack']);
  });
});
