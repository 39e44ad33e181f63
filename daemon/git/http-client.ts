// isomorphic-git's Node HTTP client wrapped to count requests and received bytes. The counts
// prove (in tests and metrics) that an unmoved remote costs one small request and no pack.
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
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      counter.requests++;
      const fetchOptions: Record<string, unknown> = {
        ...(req.fetchOptions as Record<string, unknown> | undefined),
        timeout: idleTimeoutMs,
      };
      const res = await inner.request({ ...req, fetchOptions, ...(agent !== undefined ? { agent } : {}) });
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
