// isomorphic-git's Node HTTP client wrapped to count requests and received bytes. The counts
// prove (in tests and metrics) that an unmoved remote costs one small request and no pack.
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';

export interface TrafficCounter {
  requests: number;
  bytesReceived: number;
}

export function countingHttp(counter: TrafficCounter, inner: HttpClient = nodeHttp): HttpClient {
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      counter.requests++;
      const res = await inner.request(req);
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
