// One SSH connection for one git operation, presented to the git protocol code as an
// isomorphic-git HttpClient: a GET of `…/info/refs?service=S` runs `S '<path>'` on an exec
// channel and answers with the ref advertisement (behind the `# service=` header smart HTTP
// has and SSH does not); the POST that follows writes its body to the same channel and answers
// with everything the server sends until it exits. Over SSH the pkt-line protocol is the same
// as over smart HTTP (v0/v1), but stateful: advertisement and request share one channel.
import { Buffer } from 'node:buffer';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
// ssh2 is CommonJS: Node's ESM loader gives it only a default export.
import ssh2, { type Client, type ClientChannel, type ConnectConfig, type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';
import { FLUSH, pktLine, PktReader } from '../pkt-line.js';
import { SERVER_ABORTED } from '../errors.js';
import type { TrafficStats } from '../transport.js';
import { checkHostKey, describeVerdict, knownKeyTypes, type HostKeyVerdict } from './known-hosts.js';
import { shellQuote, type SshUrl } from './url.js';

/** Why an SSH operation failed, before the one classification (errors.ts) sees it. */
export type SshFailure = 'host-key' | 'auth' | 'not-found' | 'network' | 'denied' | 'protocol';

export class SshError extends Error {
  override readonly name = 'SshError';
  constructor(
    readonly failure: SshFailure,
    message: string,
    /** A Node error code for network failures (ECONNREFUSED…), so the classification names it. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface SessionOptions {
  url: SshUrl;
  /** The URL as shown in messages. */
  display: string;
  /** The parsed private key (ssh2's ParsedKey): parsed once per key text, not per connection. */
  key: ParsedKey;
  /** known_hosts text; undefined only with the explicit opt-out. */
  knownHosts: string | undefined;
  idleTimeoutMs: number;
  traffic: TrafficStats;
  /** A connection kept from the previous operation (same key and known_hosts), used instead of a new handshake. */
  reuse?: Client;
  /** Takes the connection back when the session ends; `healthy` false means it must be dropped. */
  release?: (client: Client, healthy: boolean) => void;
}

const RSA_TYPES = ['rsa-sha2-512', 'rsa-sha2-256'];

/** The host key algorithms to offer: those known_hosts has for the host, so the server shows a key we can check. */
function hostKeyAlgorithms(knownHosts: string, url: SshUrl): ConnectConfig['algorithms'] {
  const types = knownKeyTypes(knownHosts, url.host, url.port).flatMap((t) => (t === 'ssh-rsa' ? RSA_TYPES : [t]));
  return types.length > 0 ? { serverHostKey: types as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']> } : undefined;
}

export class SshSession implements HttpClient {
  private client: Client | undefined;
  private ready: Promise<Client> | undefined;
  private readonly channels = new Map<string, OpenChannel>();
  private verdict: HostKeyVerdict | undefined;
  private closed = false;
  /** Set when anything went wrong: the connection is not handed back for reuse. */
  private broken = false;

  constructor(private readonly o: SessionOptions) {}

  async request(req: GitHttpRequest): Promise<GitHttpResponse> {
    this.o.traffic.requests++;
    const service = /git-receive-pack/.test(req.url) ? 'git-receive-pack' : 'git-upload-pack';
    if (req.method === 'GET') return this.advertise(service);
    const open = this.channels.get(service);
    if (open === undefined) throw new SshError('protocol', `${service} request without its advertisement`);
    const chunks: Buffer[] = [];
    for await (const c of (req.body ?? []) as AsyncIterable<Uint8Array> | Iterable<Uint8Array>) chunks.push(Buffer.from(c));
    open.channel.write(Buffer.concat(chunks));
    // Both servers read exactly what the request announces; closing our side ends a
    // receive-pack whose client sends no pack (a delete-only or no-op push) without a hang.
    open.channel.end();
    return { url: req.url, method: 'POST', statusCode: 200, statusMessage: 'OK', headers: {}, body: this.rest(open) };
  }

  /** Ends the channels and the connection (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { channel, out } of this.channels.values()) {
      void out?.return(undefined);
      try {
        // A flush tells a server still waiting for commands or wants that none will come.
        channel.end(FLUSH);
      } catch {
        // Already closed.
      }
    }
    const client = this.client;
    if (client === undefined) return;
    if (this.o.release !== undefined) this.o.release(client, !this.broken);
    else client.end();
  }

  private async advertise(service: string): Promise<GitHttpResponse> {
    const client = await this.connect();
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(`${service} ${shellQuote(this.o.url.path)}`, (err, ch) => {
        if (!err) return resolve(ch);
        this.broken = true;
        reject(this.connError(err));
      });
    });
    const stderr: Buffer[] = [];
    channel.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 64) stderr.push(d);
    });
    const exit = new Promise<number | null>((resolve) => {
      let code: number | null = null;
      channel.on('exit', (c: number | null) => (code = c));
      channel.on('close', () => resolve(code));
    });
    const open: OpenChannel = { channel, stderr, exit };
    this.channels.set(service, open);
    // The advertisement ends at its flush; what follows belongs to the POST.
    open.out = this.stdout(open, service);
    const reader = new PktReader(open.out);
    const lines: Buffer[] = [pktLine(`# service=${service}\n`), FLUSH];
    for (;;) {
      const p = await reader.next();
      if (p === 'end') {
        if (lines.length === 2) throw await this.exitError(service, open);
        break;
      }
      if (p === 'flush' || p === 'delim') {
        lines.push(FLUSH);
        break;
      }
      lines.push(pktLine(p));
    }
    open.reader = reader;
    return {
      url: '',
      method: 'GET',
      statusCode: 200,
      statusMessage: 'OK',
      headers: { 'content-type': `application/x-${service}-advertisement` },
      body: once(Buffer.concat(lines)),
    };
  }

  private async *rest(open: OpenChannel): AsyncIterableIterator<Uint8Array> {
    yield* (open.reader as PktReader).remaining();
  }

  /** The channel's stdout, counted, with an idle timeout; a channel that dies early throws. */
  private async *stdout(open: OpenChannel, service: string): AsyncGenerator<Uint8Array> {
    const { channel } = open;
    const queue: Buffer[] = [];
    let ended = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      wake?.();
      wake = undefined;
    };
    channel.on('data', (d: Buffer) => {
      this.o.traffic.bytesReceived += d.length;
      queue.push(d);
      notify();
    });
    channel.on('close', () => {
      ended = true;
      notify();
    });
    // On a connection kept for reuse these must not pile up: removed when the channel is done.
    const onError = (e: Error): void => {
      failure = this.connError(e);
      notify();
    };
    const onClose = (): void => {
      ended = true;
      notify();
    };
    const client = this.client;
    client?.on('error', onError);
    client?.on('close', onClose);
    try {
      yield* this.drain(
        open,
        service,
        queue,
        () => ({ ended, failure }),
        (w) => (wake = w),
      );
    } catch (err) {
      this.broken = true;
      throw err;
    } finally {
      client?.off('error', onError);
      client?.off('close', onClose);
    }
  }

  private async *drain(
    open: OpenChannel,
    service: string,
    queue: Buffer[],
    state: () => { ended: boolean; failure: Error | undefined },
    setWake: (w: (() => void) | undefined) => void,
  ): AsyncGenerator<Uint8Array> {
    const { channel } = open;
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        yield chunk;
        continue;
      }
      const { ended, failure } = state();
      if (failure !== undefined) throw failure;
      if (ended) {
        const code = await open.exit;
        if (code === null)
          throw new SshError('network', `${this.o.display}: the connection closed before ${service} finished`, 'ECONNRESET');
        if (code !== 0) throw await this.exitError(service, open);
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          setWake(undefined);
          channel.destroy();
          this.client?.destroy();
          reject(
            new SshError('network', `request timed out: no data from ${this.o.display} for ${this.o.idleTimeoutMs / 1000} s`, 'ETIMEDOUT'),
          );
        }, this.o.idleTimeoutMs);
        setWake(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** What the server said on stderr when the command failed, as a typed failure. */
  private async exitError(service: string, open: OpenChannel): Promise<SshError> {
    const code = await open.exit;
    const said = Buffer.concat(open.stderr).toString('utf8').trim().split('\n').slice(0, 3).join(' / ').slice(0, 400);
    const text = `${this.o.display}: ${service} exited with ${code ?? 'no status'}${said ? `: ${said}` : ''}`;
    if (/does not appear to be a git repository|repository not found|no such file or directory|not a git repository/i.test(said)) {
      return new SshError('not-found', `${text} (repository not found)`);
    }
    if (/read.only|denied|not allowed|forbidden|permission/i.test(said)) return new SshError('denied', text);
    if (SERVER_ABORTED.test(said)) return new SshError('network', text, 'ECONNRESET');
    if (code === null) return new SshError('network', `${this.o.display}: the connection closed before ${service} answered`, 'ECONNRESET');
    return new SshError('protocol', text);
  }

  private connect(): Promise<Client> {
    if (this.ready === undefined && this.o.reuse !== undefined) {
      this.client = this.o.reuse;
      this.ready = Promise.resolve(this.o.reuse);
    }
    this.ready ??= new Promise<Client>((resolve, reject) => {
      const client = new ssh2.Client();
      this.client = client;
      const { url, knownHosts } = this.o;
      const algorithms = knownHosts !== undefined ? hostKeyAlgorithms(knownHosts, url) : undefined;
      client.on('ready', () => resolve(client));
      client.on('error', (e: Error) => {
        this.broken = true;
        reject(this.connError(e));
      });
      client.on('close', () =>
        reject(new SshError('network', `${this.o.display}: the connection closed during the SSH handshake`, 'ECONNRESET')),
      );
      client.connect({
        host: url.host,
        port: url.port,
        username: url.user,
        authHandler: [{ type: 'publickey', username: url.user, key: this.o.key } as PublicKeyAuthMethod],
        readyTimeout: this.o.idleTimeoutMs,
        keepaliveInterval: 0,
        ...(algorithms !== undefined ? { algorithms } : {}),
        hostVerifier: (key: Buffer): boolean => {
          if (knownHosts === undefined) return true;
          this.verdict = checkHostKey(knownHosts, url.host, url.port, key);
          return this.verdict.ok;
        },
      });
    });
    return this.ready;
  }

  /** An ssh2 error as a typed failure; a refused host key names the host and the fingerprint seen. */
  private connError(e: Error): SshError {
    if (e instanceof SshError) return e;
    const v = this.verdict;
    if (v !== undefined && !v.ok) return new SshError('host-key', `${this.o.display}: ${describeVerdict(v)}`);
    const level = (e as { level?: string }).level;
    const code = (e as { code?: string }).code;
    if (level === 'client-authentication') {
      return new SshError(
        'auth',
        `${this.o.display}: the server refused the key for user "${this.o.url.user}" (not an authorized key, or removed)`,
      );
    }
    if (level === 'client-timeout')
      return new SshError(
        'network',
        `request timed out: ${this.o.display}: no SSH handshake within ${this.o.idleTimeoutMs / 1000} s`,
        'ETIMEDOUT',
      );
    if (typeof code === 'string') return new SshError('network', `${this.o.display}: ${code}: ${e.message}`, code);
    if (level === 'client-socket' || level === 'client-dns')
      return new SshError('network', `${this.o.display}: ${e.message}`, 'ECONNRESET');
    if (/no matching|handshake failed/i.test(e.message)) return new SshError('protocol', `${this.o.display}: ${e.message}`);
    return new SshError('network', `${this.o.display}: ${e.message}`, 'ECONNRESET');
  }
}

interface OpenChannel {
  channel: ClientChannel;
  /** The channel's output, ended on close so that its listeners on the connection go. */
  out?: AsyncGenerator<Uint8Array>;
  stderr: Buffer[];
  exit: Promise<number | null>;
  reader?: PktReader;
}

async function* once(b: Buffer): AsyncIterableIterator<Uint8Array> {
  yield b;
}
