// A TLS terminator in front of a plain-HTTP server (node:tls, bytes piped both ways), and the
// certificates to serve from it, made with the openssl CLI: a self-signed one and a CA with a
// leaf it signed. Tests use it to put a real HTTPS endpoint in front of the git server.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestCertificates {
  /** A certificate for 127.0.0.1 that signs itself (what `openssl req -x509` makes). */
  selfSigned: KeyPair;
  /** A CA certificate (PEM) and a certificate for 127.0.0.1 it signed. */
  ca: string;
  leaf: KeyPair;
}

/** Fresh keys and certificates under `dir`, all for 127.0.0.1, valid for one day. */
export async function makeCertificates(dir: string): Promise<TestCertificates> {
  const f = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const x509 = ['-x509', '-days', '1'];
  const san = ['-addext', 'subjectAltName=IP:127.0.0.1'];
  await run('openssl', ['req', ...x509, ...ec, '-subj', '/CN=127.0.0.1', ...san, '-keyout', f('self.key'), '-out', f('self.crt')]);
  await run('openssl', ['req', ...x509, ...ec, '-subj', '/CN=gitops-seal test CA', '-keyout', f('ca.key'), '-out', f('ca.crt')]);
  await run('openssl', ['req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', f('leaf.key'), '-out', f('leaf.csr')]);
  const ext = f('leaf.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    f('leaf.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    ext,
    '-out',
    f('leaf.crt'),
  ]);
  const pair = (name: string): KeyPair => ({ key: readFileSync(f(`${name}.key`), 'utf8'), cert: readFileSync(f(`${name}.crt`), 'utf8') });
  return { selfSigned: pair('self'), ca: readFileSync(f('ca.crt'), 'utf8'), leaf: pair('leaf') };
}

export interface TlsFront {
  port: number;
  /** Serve `pair` to connections made from now on. */
  useCertificate(pair: KeyPair): void;
  /** Close every open connection, so that clients handshake again (with the current certificate). */
  dropConnections(): void;
  stop(): Promise<void>;
}

/** HTTPS on 127.0.0.1 (a free port) forwarding to plain HTTP on 127.0.0.1:`targetPort`. */
export async function startTlsFront(targetPort: number, pair: KeyPair): Promise<TlsFront> {
  const open = new Set<Socket | TLSSocket>();
  const track = (s: Socket | TLSSocket): void => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer({ key: pair.key, cert: pair.cert }, (client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  // A handshake the client aborts (it does not trust the certificate) is expected here.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as { port: number }).port,
    useCertificate: (p) => server.setSecureContext({ key: p.key, cert: p.cert }),
    dropConnections: () => {
      for (const s of open) s.destroy();
    },
    stop: async () => {
      for (const s of open) s.destroy();
      await new Promise((ok) => server.close(ok));
    },
  };
}
