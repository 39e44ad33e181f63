// Vault transit against a small in-process fake of the transit API (the real OpenBao matrix
// is an integration test). Counts calls to prove the data key cache avoids Vault round trips.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decryptText, encryptText, NoMatchingKeyError, parseTransitUri, reencryptText, TamperedError, VaultError } from '../index.js';

const TOKEN = 'test-token';
const transitKey = randomBytes(32);
let server: Server;
let addr = '';
const calls: string[] = [];

function seal(pt: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', transitKey, iv);
  const out = Buffer.concat([iv, c.update(pt, 'utf8'), c.final(), c.getAuthTag()]);
  return `vault:v1:${out.toString('base64')}`;
}
function open(ct: string): string {
  const raw = Buffer.from(ct.slice('vault:v1:'.length), 'base64');
  const d = createDecipheriv('aes-256-gcm', transitKey, raw.subarray(0, 12));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push(`${req.method} ${req.url}`);
      const reply = (status: number, obj: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.headers['x-vault-token'] !== TOKEN) return reply(403, { errors: ['permission denied'] });
      const m = /^\/v1\/(.+)\/(encrypt|decrypt)\/([^/]+)$/.exec(req.url ?? '');
      if (!m || m[1] !== 'sops/transit' || m[3] !== 'app') return reply(400, { errors: ['encryption key not found'] });
      const data = JSON.parse(body) as Record<string, string>;
      if (m[2] === 'encrypt') return reply(200, { data: { ciphertext: seal(data['plaintext'] as string) } });
      try {
        return reply(200, { data: { plaintext: open(data['ciphertext'] as string) } });
      } catch {
        return reply(400, { errors: ['cipher: message authentication failed'] });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('parseTransitUri', () => {
  it('splits address, engine path and key like sops', () => {
    expect(parseTransitUri('https://vault.example.com:8200/v1/transit/keys/app')).toEqual({ address: 'https://vault.example.com:8200', enginePath: 'transit', keyName: 'app' });
    expect(parseTransitUri('http://127.0.0.1:8200/v1/sops/transit/keys/k1/')).toEqual({ address: 'http://127.0.0.1:8200', enginePath: 'sops/transit', keyName: 'k1' });
    expect(() => parseTransitUri('vault.example.com/transit/app')).toThrow(/transit/);
    expect(() => parseTransitUri('https://v/v1/transit/app')).toThrow(/formatted/);
  });
});

describe('vault transit master key', () => {
  const uri = () => `${addr}/v1/sops/transit/keys/app`;

  it('encrypts, decrypts and caches the data key by stanza', async () => {
    const cache = new Map<string, Uint8Array>();
    const ctx = { vault: { token: async () => TOKEN }, dataKeyCache: cache, ageIdentities: [] };
    calls.length = 0;
    const e = await encryptText('pw: canary-vault-1\n', { format: 'yaml', source: 'v.yaml', keys: { hcVaultTransit: [uri()] } }, { vault: { token: TOKEN } });
    expect(calls).toEqual(['POST /v1/sops/transit/encrypt/app']);
    expect(e).toMatch(/hc_vault:\n\s+- created_at: "[^"]+"\n\s+enc: vault:v1:\S+\n\s+engine_path: sops\/transit\n\s+key_name: app\n\s+vault_address: http:\/\/127\.0\.0\.1:\d+\n/);
    calls.length = 0;
    for (let i = 0; i < 5; i++) expect(await decryptText(e, { format: 'yaml', source: 'v.yaml' }, ctx)).toBe('pw: canary-vault-1\n');
    expect(calls).toEqual(['POST /v1/sops/transit/decrypt/app']);
    // an edit keeps the stanza, so the cache still applies
    calls.length = 0;
    const r = await reencryptText(e, { format: 'yaml', source: 'v.yaml', newPlaintext: 'pw: other\n' }, ctx);
    expect(await decryptText(r, { format: 'yaml', source: 'v.yaml' }, ctx)).toBe('pw: other\n');
    expect(calls).toEqual([]);
    // the cache does not bypass the MAC
    await expect(decryptText(r.replace(/pw: ENC\[AES256_GCM,data:./, 'pw: ENC[AES256_GCM,data:A'), { format: 'yaml', source: 'v.yaml' }, ctx)).rejects.toBeInstanceOf(TamperedError);
  });

  it('names address and key on permission denied, missing key and a down server, never the data', async () => {
    const e = await encryptText('pw: canary-vault-2\n', { format: 'yaml', source: 'v.yaml', keys: { hcVaultTransit: [uri()] } }, { vault: { token: TOKEN } });
    const denied = await decryptText(e, { format: 'yaml', source: 'v.yaml' }, { vault: { token: 'wrong' }, ageIdentities: [] }).catch((x: unknown) => x);
    expect(denied).toBeInstanceOf(NoMatchingKeyError);
    expect(String(denied)).toMatch(/permission denied/);
    expect(String(denied)).toContain(addr);
    const missing = await encryptText('a: b\n', { format: 'yaml', source: 'v.yaml', keys: { hcVaultTransit: [`${addr}/v1/sops/transit/keys/nope`] } }, { vault: { token: TOKEN } }).catch((x: unknown) => x);
    expect(missing).toBeInstanceOf(VaultError);
    expect(String(missing)).toMatch(/not found/);
    expect(String(missing)).toContain('nope');
    const down = await encryptText('a: b\n', { format: 'yaml', source: 'v.yaml', keys: { hcVaultTransit: ['http://127.0.0.1:1/v1/transit/keys/k'] } }, { vault: { token: TOKEN } }).catch((x: unknown) => x);
    expect(down).toBeInstanceOf(VaultError);
    expect(String(down)).toMatch(/unreachable/);
    for (const err of [denied, missing, down]) expect(String(err)).not.toContain('canary-vault');
  });
});
