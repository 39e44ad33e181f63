// isomorphic-git's Node HTTP client wrapped to count requests and received bytes. The counts
// prove (in tests and metrics) that an unmoved remote costs one small request and no pack.
import { Buffer } from 'node:buffer';
import type { Agent } from 'node:http';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import type { TrafficStats } from './transport.js';

/**
 * `idleTimeoutMs` bounds how long a socket may sit silent (simple-get's `timeout`, a socket idle
 * timer that also covers the body): a server that accepts and then hangs must fail the poll,
 * not wedge the source forever.
 */
export function countingHttp(counter: TrafficStats, inner: HttpClient = nodeHttp, idleTimeoutMs = 60_000, agent?: Agent): HttpClient {
  const once = async (req: GitHttpRequest): Promise<GitHttpResponse> => {
    counter.requests++;
    const fetchOptions: Record<string, unknown> = {
      ...(req.fetchOptions as Record<string, unknown> | undefined),
      timeout: idleTimeoutMs,
    };
    return inner.request({ ...req, fetchOptions, ...(agent !== undefined ? { agent } : {}) });
  };
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      let res: GitHttpResponse;
      if (!replayable(req)) res = await once(req);
      else {
        // A kept-alive connection the server closes (its idle timeout: 5 s for Apache and Node)
        // just as our request goes out is reset before any answer. Reads (the advertisement, an
        // upload-pack POST) are asked once more on a new connection; a push never is.
        const body = req.body === undefined ? undefined : Buffer.concat(await collect(req.body));
        const attempt = (): Promise<GitHttpResponse> => once(body === undefined ? req : { ...req, body: replay(body) });
        try {
          res = await attempt();
        } catch (err) {
          if (!isReset(err)) throw err;
          res = await attempt();
        }
      }
      const body = res.body;
      if (body === undefined) return res;
      async function* counted(): AsyncIterableIterator<Uint8Array> {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          counter.bytesReceived += chunk.byteLength;
          yield chunk;
        }
      }
      return { ...res, body: counted() };
    },
  };
}

/** Requests that change nothing on the server: the ref advertisement and upload-pack (fetch). */
function replayable(req: GitHttpRequest): boolean {
  return (req.method ?? 'GET') === 'GET' || req.url.endsWith('/git-upload-pack');
}

function isReset(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

async function collect(it: AsyncIterableIterator<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(Buffer.from(c));
  return out;
}

async function* replay(b: Buffer): AsyncIterableIterator<Uint8Array> {
  yield b;
}
