// HTTP/2 transport for the apiserver's unary requests: one TLS connection, every in-flight
// request a stream on it (what kubectl and client-go do). Compared with a pool of HTTP/1.1
// keep-alive sockets this saves per-request work on both ends — no socket checkout, no
// per-connection TLS records for each request, headers compressed (HPACK) — which matters when
// the daemon and the apiserver share a few cores.
//
// The session is negotiated with ALPN; a server that does not pick `h2` (an HTTP/1.1-only
// proxy in front of the apiserver) makes the caller fall back to HTTP/1.1 for good
// (H2Unsupported). A session that dies (GOAWAY, idle close, reset) is dropped and the next
// request opens a new one; a request the server provably never processed (refused stream,
// GOAWAY before its stream was accepted, session gone before anything was answered) is
// reported as H2StaleError so the caller may resend it, as it does for a stale keep-alive socket.
import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import tls from 'node:tls';

export interface H2Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface H2Request {
  method: string;
  /** Path with query string. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The server did not negotiate h2 via ALPN: use HTTP/1.1. */
export class H2Unsupported extends Error {
  constructor(readonly alpn: string | false) {
    super(`server did not negotiate HTTP/2 (ALPN: ${alpn || 'none'})`);
  }
}

/** The request never reached the server's handler; sending it again is safe. */
export class H2StaleError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

// Health check of a session with requests in flight (as client-go's http2 ReadIdleTimeout /
// PingTimeout): a PING every PING_INTERVAL_MS; no ack within PING_TIMEOUT_MS → the connection is
// dead and every request on it fails. Seen on the 2-core machine: the apiserver SIGKILLed under
// load, the kernel had reset the connection, yet Node never reported it to the session — its
// streams stayed open past their own timeouts and a reconcile hung for good (faults-kube).
const PING_INTERVAL_MS = 3_000;
const PING_TIMEOUT_MS = 5_000;

// Headers HTTP/2 forbids (RFC 9113 §8.2.2); kubeconfig auth providers never need them.
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

export class H2Transport {
  private session: ClientHttp2Session | undefined;
  private connecting: Promise<ClientHttp2Session> | undefined;
  private active = 0;
  // Bounded like the HTTP/1.1 pool (maxSockets): at most maxStreams requests in flight.
  private readonly waiting: (() => void)[] = [];
  /** Per session, how to fail each of its unsettled requests (when the session is declared dead). */
  private readonly pending = new Map<ClientHttp2Session, Set<(e: Error) => void>>();

  constructor(
    private readonly origin: URL,
    private readonly tlsOptions: tls.ConnectionOptions,
    private readonly maxStreams: number,
    private readonly connectTimeoutMs: number,
  ) {}

  /**
   * Close the session; in-flight streams are cancelled. Like Agent.destroy(), this does not
   * disable the transport: a later request opens a new session (unreferenced while idle).
   */
  close(): void {
    this.session?.destroy();
    this.session = undefined;
  }

  async request(req: H2Request): Promise<H2Response> {
    if (this.active >= this.maxStreams) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    let session: ClientHttp2Session | undefined;
    try {
      session = await this.sessionFor();
      session.ref(); // keep the process alive while a request is in flight
      return await this.send(session, req);
    } finally {
      this.active--;
      if (this.active === 0 && session && !session.destroyed) session.unref();
      this.waiting.shift()?.();
    }
  }

  private send(session: ClientHttp2Session, req: H2Request): Promise<H2Response> {
    const headers: OutgoingHttpHeaders = { ':method': req.method, ':path': req.path };
    for (const [k, v] of Object.entries(req.headers)) if (!CONNECTION_HEADERS.has(k)) headers[k] = v;
    return new Promise((resolveP, rejectP) => {
      let answered = false;
      let settled = false;
      const pending = this.pendingOf(session);
      const reject = (e: Error): void => {
        if (settled) return;
        settled = true;
        pending.delete(reject);
        rejectP(e);
      };
      const resolve = (r: H2Response): void => {
        if (settled) return;
        settled = true;
        pending.delete(reject);
        resolveP(r);
      };
      pending.add(reject);
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(headers, { endStream: req.body === undefined, ...(req.signal ? { signal: req.signal } : {}) });
      } catch (err) {
        // The session closed between sessionFor() and here: nothing was sent.
        this.drop(session);
        reject(new H2StaleError(err as Error));
        return;
      }
      const chunks: Buffer[] = [];
      let status = 0;
      let resHeaders: IncomingHttpHeaders = {};
      stream.setTimeout(req.timeoutMs, () => {
        // Settle here, not in 'close': on a wedged session the close may never come.
        reject(new Error(`timeout after ${req.timeoutMs} ms`));
        stream.close(http2.constants.NGHTTP2_CANCEL);
        // A silent connection (peer gone without a FIN) would time out every later request
        // too: new requests open a fresh session, streams still running finish on this one.
        this.drop(session);
      });
      stream.on('response', (h) => {
        answered = true;
        status = Number(h[':status'] ?? 0);
        resHeaders = h;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        // Node ends the stream cleanly, with whatever had arrived, when the session is destroyed
        // mid-answer (close() during a request): that body is incomplete, not an answer.
        if (session.destroyed) reject(new Error('connection closed before the answer was complete'));
        else resolve({ status, headers: resHeaders, body: Buffer.concat(chunks).toString('utf8') });
      });
      stream.on('error', (err: NodeJS.ErrnoException) => {
        reject(!answered && neverProcessed(stream, err) ? new H2StaleError(err) : err);
      });
      stream.on('close', () => {
        if (settled) return;
        if (stream.rstCode === http2.constants.NGHTTP2_CANCEL && !answered && !req.signal?.aborted) {
          reject(new Error(`timeout after ${req.timeoutMs} ms`));
        } else if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR && !answered) {
          const err = new Error(`stream reset by server (HTTP/2 code ${stream.rstCode})`);
          reject(stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM ? new H2StaleError(err) : err);
        } else {
          reject(new Error('stream closed before the response ended'));
        }
      });
      if (req.body !== undefined) stream.end(req.body);
    });
  }

  private sessionFor(): Promise<ClientHttp2Session> {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return Promise.resolve(s);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private connect(): Promise<ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      const port = Number(this.origin.port || 443);
      const host = this.origin.hostname.replace(/^\[|\]$/g, '');
      const socket = tls.connect({
        ...this.tlsOptions,
        host,
        port,
        ...(this.tlsOptions.servername === undefined && !isIP(host) ? { servername: host } : {}),
        ALPNProtocols: ['h2', 'http/1.1'],
      });
      const fail = (err: Error): void => {
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.setTimeout(this.connectTimeoutMs, () => fail(new Error(`TLS connect timeout after ${this.connectTimeoutMs} ms`)));
      socket.once('secureConnect', () => {
        socket.off('error', fail);
        socket.setTimeout(0);
        if (socket.alpnProtocol !== 'h2') {
          socket.destroy();
          reject(new H2Unsupported(socket.alpnProtocol ?? false));
          return;
        }
        // Large flow-control windows (as client-go's 4 MiB per stream): a LIST of thousands of
        // objects streams without waiting for WINDOW_UPDATEs every 64 KiB.
        const session = http2.connect(this.origin, { createConnection: () => socket, settings: { initialWindowSize: 4 << 20 } });
        session.setLocalWindowSize(64 << 20);
        session.on('error', () => this.drop(session)); // streams get their own errors
        session.on('goaway', () => this.drop(session));
        session.on('close', () => {
          this.drop(session);
          this.pending.delete(session);
        });
        this.healthCheck(session);
        session.unref();
        this.session = session;
        resolve(session);
      });
    });
  }

  private pendingOf(session: ClientHttp2Session): Set<(e: Error) => void> {
    let set = this.pending.get(session);
    if (!set) {
      set = new Set();
      this.pending.set(session, set);
    }
    return set;
  }

  private healthCheck(session: ClientHttp2Session): void {
    const timer = setInterval(() => {
      if (session.destroyed) return clearInterval(timer);
      if ((this.pending.get(session)?.size ?? 0) === 0) return;
      let acked = false;
      const sent = session.ping((err) => {
        if (!err) acked = true;
      });
      if (!sent) return; // not connected yet, or pings already outstanding: the next tick decides
      setTimeout(() => {
        // setImmediate runs after the poll phase: an ack already waiting on the socket is read
        // first, so a blocked event loop is not taken for a dead connection.
        setImmediate(() => {
          if (!acked && !session.destroyed)
            this.fail(session, new Error(`connection lost: the apiserver did not answer an HTTP/2 PING within ${PING_TIMEOUT_MS} ms`));
        });
      }, PING_TIMEOUT_MS).unref();
    }, PING_INTERVAL_MS);
    timer.unref();
  }

  /** Declare a session dead: its unsettled requests fail with `err`, new requests open another. */
  private fail(session: ClientHttp2Session, err: Error): void {
    this.drop(session);
    for (const reject of [...(this.pending.get(session) ?? [])]) reject(err);
    this.pending.delete(session);
    session.destroy();
  }

  private drop(session: ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
    // Streams still running finish (GOAWAY lets accepted streams complete); new ones go elsewhere.
    if (!session.closed && !session.destroyed) session.close();
  }
}

function neverProcessed(stream: http2.ClientHttp2Stream, err: NodeJS.ErrnoException): boolean {
  if (stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) return true;
  // GOAWAY with a last-stream-id below ours, or the session went away before our stream got an id.
  return (
    err.code === 'ERR_HTTP2_GOAWAY_SESSION' ||
    (err.code === 'ERR_HTTP2_STREAM_CANCEL' && stream.id === undefined) ||
    err.code === 'ERR_HTTP2_INVALID_SESSION'
  );
}

function isIP(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
