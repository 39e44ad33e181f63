// One HTTP exchange with a registry over node:http/https. Not global fetch: registries behind a
// private CA need `ca`, and keep-alive agents per client keep thousands of paged requests cheap.

import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  url: string;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD';
  url: string;
  headers: Record<string, string>;
  /** Whole-exchange timeout (default 30 s). */
  timeoutMs?: number;
  /** Refuse bodies larger than this (default 32 MiB): a hostile registry cannot exhaust memory. */
  maxBodyBytes?: number;
}

/** Transport failure (no HTTP status): connection refused/reset, DNS, TLS, timeout, oversize body. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface Transport {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): void;
}

export function createTransport(opts: { ca?: string | Buffer } = {}): Transport {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...(opts.ca ? { ca: opts.ca } : {}) });
  return {
    request(req) {
      return new Promise<HttpResponse>((resolve, reject) => {
        const u = new URL(req.url);
        const isHttps = u.protocol === 'https:';
        const mod = isHttps ? https : http;
        const maxBody = req.maxBodyBytes ?? 32 * 1024 * 1024;
        const r = mod.request(
          u,
          { method: req.method, headers: req.headers, agent: isHttps ? httpsAgent : httpAgent, timeout: req.timeoutMs ?? 30_000 },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              size += c.length;
              if (size > maxBody) {
                res.destroy(new TransportError(`response body larger than ${maxBody} bytes`, 'EBODYTOOLARGE'));
                return;
              }
              chunks.push(c);
            });
            res.on('error', (e) => reject(toTransportError(e)));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), url: req.url }));
          },
        );
        r.on('timeout', () => r.destroy(new TransportError(`no response within ${req.timeoutMs ?? 30_000} ms`, 'ETIMEDOUT')));
        r.on('error', (e) => reject(toTransportError(e)));
        r.end();
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function toTransportError(e: unknown): TransportError {
  if (e instanceof TransportError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? 'EUNKNOWN';
  return new TransportError(`${code}${err.message && !err.message.includes(code) ? ` ${err.message}` : ''}`, code);
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}
