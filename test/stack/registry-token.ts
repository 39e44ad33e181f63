// A minimal Docker/OCI registry token issuer (the "realm" of `auth.token`), run in-process.
//
// The real registry (distribution 2.8) validates every JWT we hand out: issuer and audience must
// match its config, and the signing key must chain to `rootcertbundle`. Distribution 2.8 looks
// for the key in the JWT header in this order: `x5c` (certificate chain verified against the
// bundle), `jwk`, then `kid` (a *libtrust* key ID, not an RFC 7638 thumbprint). We send both
// `x5c` and the libtrust `kid`, so either lookup path works and the issuer also suits newer
// distribution releases that index trusted keys by kid.
//
// Policy: any request carrying the right basic credentials gets every action it asks for; a
// request without (or with wrong) credentials gets 401. That is all the tests need.
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './procs.js';

export interface TokenIssuerOptions {
  /** Directory where the key and the certificate (the registry's rootcertbundle) are written. */
  dir: string;
  username: string;
  password: string;
  /** Must equal the registry's `auth.token.service`; becomes the JWT `aud`. */
  service: string;
  /** Must equal the registry's `auth.token.issuer`; becomes the JWT `iss`. */
  issuer: string;
  /** Token lifetime; distribution adds 60 s leeway on both ends. */
  ttlSeconds?: number;
}

export interface TokenIssuer {
  /** http://127.0.0.1:<port>/token */
  realm: string;
  /** PEM certificate file to configure as `rootcertbundle`. */
  certFile: string;
  /** Number of tokens issued so far (lets tests check that clients reuse tokens). */
  issued(): number;
  stop(): Promise<void>;
}

interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** Parse `repository:foo/bar:pull,push` (the name may itself contain ':' only with a port, so split from both ends). */
export function parseScope(scope: string): AccessEntry | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return null;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((a) => a.length > 0);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

/**
 * libtrust key ID: SHA-256 over the DER SubjectPublicKeyInfo, first 240 bits, base32 without
 * padding, in 12 groups of 4 characters joined by ':'.
 */
export function libtrustKeyId(spkiDer: Buffer): string {
  const digest = createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  const b32 = base32(digest);
  const groups: string[] = [];
  for (let i = 0; i < b32.length; i += 4) groups.push(b32.slice(i, i + 4));
  return groups.join(':');
}

function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** Self-signed P-256 certificate via the openssl CLI: the registry trusts it as the root bundle. */
function makeSigningCert(dir: string): { key: KeyObject; certFile: string; certDerB64: string; kid: string } {
  const keyFile = join(dir, 'token-signing.key');
  const certFile = join(dir, 'token-signing.crt');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '3650',
        '-subj',
        '/CN=gitops-seal test registry token issuer',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyCertSign',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (e) {
    throw new StackError('registry-token', `openssl could not make the signing certificate (apt-get install openssl): ${String(e)}`);
  }
  const cert = new X509Certificate(readFileSync(certFile));
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return {
    key: createPrivateKey(readFileSync(keyFile)),
    certFile,
    certDerB64: cert.raw.toString('base64'),
    kid: libtrustKeyId(spki),
  };
}

export async function startTokenIssuer(opts: TokenIssuerOptions): Promise<TokenIssuer> {
  const signer = makeSigningCert(opts.dir);
  const ttl = opts.ttlSeconds ?? 3600;
  let issued = 0;
  const expectedAuth = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;

  const mint = (subject: string, access: AccessEntry[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', kid: signer.kid, x5c: [signer.certDerB64] };
    // distribution 2.8 declares `aud` as a single string: an array would not unmarshal.
    const claims = {
      iss: opts.issuer,
      sub: subject,
      aud: opts.service,
      exp: now + ttl,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JOSE ES256 wants the raw r||s signature, not DER.
    const sig = sign('sha256', Buffer.from(input), { key: signer.key, dsaEncoding: 'ieee-p1363' });
    issued++;
    return `${input}.${b64url(sig)}`;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Only the GET form of the protocol (what docker, crane and our clients use); no OAuth2 POST.
    if (url.pathname !== '/token' || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    // Never echo the presented credentials back: compare only.
    if (req.headers.authorization !== expectedAuth) {
      res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Basic realm="gitops-seal-token"' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'valid basic credentials required' }] }));
      return;
    }
    if (url.searchParams.get('service') !== opts.service) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: `unknown service; expected ${opts.service}` }] }));
      return;
    }
    const access = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .map(parseScope)
      .filter((a): a is AccessEntry => a !== null);
    const token = mint(opts.username, access);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: ttl, issued_at: new Date().toISOString() }));
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // The issuer must never keep the test runner alive on its own.
  server.unref();
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new StackError('registry-token', 'token server has no TCP address');
  return {
    realm: `http://127.0.0.1:${addr.port}/token`,
    certFile: signer.certFile,
    issued: () => issued,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
