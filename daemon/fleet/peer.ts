// Requests to a peer replica's listener: its own `/status?scope=local`, and a forwarded hook or
// reconcile request. node:http, not fetch: fetch refuses the Fetch standard's "bad ports" and
// rewrites some headers, and a forwarded webhook must arrive byte for byte (its signature
// covers the body). Every exchange is bounded by one timer over the whole answer.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PeerError } from './errors.js';

export interface PeerAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface PeerRequest {
  method: 'GET' | 'POST';
  /** Path and query, starting with '/'. */
  path: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer;
}

/** Answers larger than this are refused (a /status of thousands of syncs stays far below). */
const MAX_ANSWER = 32 << 20;

/** Headers that belong to one connection, not to the request (RFC 9110 §7.6.1), and those we set. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'host',
  'content-length',
]);

/** The request's headers fit to send on: hop-by-hop ones dropped, everything else as received. */
export function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  return out;
}

function joinUrl(address: string, path: string): URL {
  return new URL(address.replace(/\/+$/, '') + path);
}

/** One exchange with a peer; throws PeerError (naming the peer and the cause) when there is no answer in time. */
export function askPeer(identity: string, address: string, req: PeerRequest, timeoutMs: number): Promise<PeerAnswer> {
  let url: URL;
  try {
    url = joinUrl(address, req.path);
  } catch {
    return Promise.reject(new PeerError(identity, address, 'the advertised address is not a URL'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return Promise.reject(new PeerError(identity, address, `unsupported scheme ${url.protocol}`));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = req.body ?? Buffer.alloc(0);
  return new Promise<PeerAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      reject(new PeerError(identity, address, reason));
    };
    const headers = { ...(req.headers ?? {}), 'content-length': String(body.length) };
    const r = send(url, { method: req.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER) {
          fail(`answer larger than ${MAX_ANSWER} bytes`);
          r.destroy();
        } else chunks.push(c);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (err) => fail(err.message));
    });
    const timer = setTimeout(() => {
      fail(`no answer within ${timeoutMs} ms`);
      r.destroy();
    }, timeoutMs);
    r.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(err.code ? `${err.code} (${err.message})` : err.message);
    });
    r.end(body);
  });
}
