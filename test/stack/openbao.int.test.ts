// Smoke test of the stack's Vault-compatible server as the daemon and the CLI will use it:
// transit wrap/unwrap of a data key (node-vault and raw HTTP), AppRole scoping, kv-v2.
// The body only needs a VaultInfo, so startup can move to the global setup unchanged.
import { randomBytes } from 'node:crypto';
import vault from 'node-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenBao, VaultApiError, vaultApi } from './openbao.js';
import type { Started, VaultInfo } from './types.js';

interface ApiResponseErrorLike {
  response: { statusCode: number };
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof VaultApiError) return err.status;
  const r = (err as Partial<ApiResponseErrorLike> | null)?.response;
  return typeof r?.statusCode === 'number' ? r.statusCode : undefined;
}

async function expectStatus(p: Promise<unknown>, status: number): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected HTTP ${status}, got success`).toBeDefined();
  expect(statusOf(err)).toBe(status);
}

describe('vault server (OpenBao / Vault dev)', () => {
  let server: Started<VaultInfo> | undefined;
  let v: VaultInfo;

  beforeAll(async () => {
    server = await startOpenBao();
    v = server.info;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('exposes the configured mounts in VaultInfo', () => {
    expect(v.addr).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(v.transitUri).toBe(`${v.addr}/v1/${v.transitMount}/keys/${v.transitKey}`);
    expect(v.approle.roleId).not.toBe('');
    expect(v.approle.secretId).not.toBe('');
  });

  it('wraps and unwraps a random data key with node-vault', async () => {
    const client = vault({ endpoint: v.addr, token: v.rootToken });
    const dataKey = randomBytes(32);
    const enc = (await client.write(`${v.transitMount}/encrypt/${v.transitKey}`, {
      plaintext: dataKey.toString('base64'),
    })) as { data: { ciphertext: string } };
    expect(enc.data.ciphertext).toMatch(/^vault:v1:/);
    expect(enc.data.ciphertext).not.toContain(dataKey.toString('base64'));
    const dec = (await client.write(`${v.transitMount}/decrypt/${v.transitKey}`, {
      ciphertext: enc.data.ciphertext,
    })) as { data: { plaintext: string } };
    expect(Buffer.from(dec.data.plaintext, 'base64').equals(dataKey)).toBe(true);
  });

  it('wraps with raw HTTP and unwraps with node-vault (same wire format)', async () => {
    const dataKey = randomBytes(32);
    const enc = await vaultApi(v.addr, v.rootToken, 'POST', `${v.transitMount}/encrypt/${v.transitKey}`, {
      plaintext: dataKey.toString('base64'),
    });
    const ciphertext = (enc.data as { ciphertext: string }).ciphertext;
    const client = vault({ endpoint: v.addr, token: v.rootToken });
    const dec = (await client.write(`${v.transitMount}/decrypt/${v.transitKey}`, { ciphertext })) as {
      data: { plaintext: string };
    };
    expect(Buffer.from(dec.data.plaintext, 'base64').equals(dataKey)).toBe(true);
    // A tampered ciphertext must not decrypt (AEAD).
    const last = ciphertext.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${ciphertext.slice(0, -2)}${last}${ciphertext.slice(-1)}`;
    await expectStatus(vaultApi(v.addr, v.rootToken, 'POST', `${v.transitMount}/decrypt/${v.transitKey}`, { ciphertext: tampered }), 400);
  });

  it('AppRole login yields a token that can use transit and nothing else', async () => {
    const anon = vault({ endpoint: v.addr });
    const login = (await anon.approleLogin({
      mount_point: v.approle.mount,
      role_id: v.approle.roleId,
      secret_id: v.approle.secretId,
    })) as { auth: { client_token: string; policies: string[] } };
    const token = login.auth.client_token;
    expect(login.auth.policies).toContain('gitops-seal-transit');

    const scoped = vault({ endpoint: v.addr, token });
    const dataKey = randomBytes(32);
    const enc = (await scoped.write(`${v.transitMount}/encrypt/${v.transitKey}`, {
      plaintext: dataKey.toString('base64'),
    })) as { data: { ciphertext: string } };
    const dec = (await scoped.write(`${v.transitMount}/decrypt/${v.transitKey}`, {
      ciphertext: enc.data.ciphertext,
    })) as { data: { plaintext: string } };
    expect(Buffer.from(dec.data.plaintext, 'base64').equals(dataKey)).toBe(true);

    // Outside the policy: kv, key export/rotation, other transit keys, sys.
    await expectStatus(scoped.read(`${v.kvMount}/data/anything`), 403);
    await expectStatus(vaultApi(v.addr, token, 'POST', `${v.transitMount}/keys/${v.transitKey}/rotate`, {}), 403);
    await expectStatus(vaultApi(v.addr, token, 'POST', `${v.transitMount}/encrypt/other-key`, { plaintext: 'AA==' }), 403);
    await expectStatus(vaultApi(v.addr, token, 'GET', 'sys/mounts'), 403);
  });

  it('a wrong secret_id is refused', async () => {
    const anon = vault({ endpoint: v.addr });
    const err: unknown = await anon
      .approleLogin({ mount_point: v.approle.mount, role_id: v.approle.roleId, secret_id: 'not-the-secret' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(statusOf(err)).toBeGreaterThanOrEqual(400);
    expect(statusOf(err)).toBeLessThan(500);
  });

  it('kv-v2 write/read with versions', async () => {
    const client = vault({ endpoint: v.addr, token: v.rootToken });
    const path = `${v.kvMount}/data/apps/demo`;
    const w1 = (await client.write(path, { data: { password: 'first' } })) as { data: { version: number } };
    const w2 = (await client.write(path, { data: { password: 'second' } })) as { data: { version: number } };
    expect(w2.data.version).toBe(w1.data.version + 1);
    const latest = (await client.read(path)) as { data: { data: { password: string }; metadata: { version: number } } };
    expect(latest.data.data.password).toBe('second');
    expect(latest.data.metadata.version).toBe(w2.data.version);
    const old = await vaultApi(v.addr, v.rootToken, 'GET', `${path}?version=${w1.data.version}`);
    expect((old.data as { data: { password: string } }).data.password).toBe('first');
    const mounts = await vaultApi(v.addr, v.rootToken, 'GET', 'sys/mounts');
    const kv = (mounts.data as Record<string, { type: string; options: { version?: string } | null }>)[`${v.kvMount}/`];
    expect(kv?.type).toBe('kv');
    expect(kv?.options?.version).toBe('2');
  });
});
