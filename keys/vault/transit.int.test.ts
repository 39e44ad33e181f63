// Vault transit master keys against the real Vault server of the stack. Transit calls are
// counted through the token provider, which keys/ consults once per transit request.
import { describe, expect, inject, it } from 'vitest';

import { decryptText, encryptText, NoMatchingKeyError, reencryptText, TamperedError, VaultError } from '../index.js';
import { vaultApi } from '../../test/stack/openbao.js';

const v = inject('stack').vault;

describe('vault transit master key (real Vault)', () => {
  it('encrypts, decrypts and caches the data key by stanza', async () => {
    let calls = 0;
    const token = async (): Promise<string> => {
      calls++;
      return v.rootToken;
    };
    const ctx = { vault: { token }, dataKeyCache: new Map<string, Uint8Array>(), ageIdentities: [] };
    const e = await encryptText(
      'pw: canary-vault-1\n',
      { format: 'yaml', source: 'v.yaml', keys: { hcVaultTransit: [v.transitUri] } },
      { vault: { token } },
    );
    expect(calls).toBe(1);
    expect(e).toMatch(
      /hc_vault:\n\s+- created_at: "[^"]+"\n\s+enc: vault:v1:\S+\n\s+engine_path: sops\n\s+key_name: gitops-seal\n\s+vault_address: http:\/\/127\.0\.0\.1:\d+\n/,
    );
    calls = 0;
    for (let i = 0; i < 5; i++) expect(await decryptText(e, { format: 'yaml', source: 'v.yaml' }, ctx)).toBe('pw: canary-vault-1\n');
    expect(calls).toBe(1);
    // an edit keeps the stanza, so the cache still applies
    calls = 0;
    const r = await reencryptText(e, { format: 'yaml', source: 'v.yaml', newPlaintext: 'pw: other\n' }, ctx);
    expect(await decryptText(r, { format: 'yaml', source: 'v.yaml' }, ctx)).toBe('pw: other\n');
    expect(calls).toBe(0);
    // the cache does not bypass the MAC
    await expect(
      decryptText(r.replace(/pw: ENC\[AES256_GCM,data:./, 'pw: ENC[AES256_GCM,data:A'), { format: 'yaml', source: 'v.yaml' }, ctx),
    ).rejects.toBeInstanceOf(TamperedError);
  });

  it('names address and key on permission denied, missing engine and a down server, never the data', async () => {
    const e = await encryptText(
      'pw: canary-vault-2\n',
      { format: 'yaml', source: 'v.yaml', keys: { hcVaultTransit: [v.transitUri] } },
      { vault: { token: v.rootToken } },
    );
    // A real token whose only policy is `default`: no transit access.
    const created = (await vaultApi(v.addr, v.rootToken, 'POST', 'auth/token/create', { policies: ['default'], ttl: '10m' })) as {
      auth: { client_token: string };
    };
    const denied = await decryptText(
      e,
      { format: 'yaml', source: 'v.yaml' },
      { vault: { token: created.auth.client_token }, ageIdentities: [] },
    ).catch((x: unknown) => x);
    expect(denied).toBeInstanceOf(NoMatchingKeyError);
    expect(String(denied)).toMatch(/permission denied/);
    expect(String(denied)).toContain(v.addr);
    const missing = await encryptText(
      'a: b\n',
      { format: 'yaml', source: 'v.yaml', keys: { hcVaultTransit: [`${v.addr}/v1/no-such-mount/keys/nope`] } },
      { vault: { token: v.rootToken } },
    ).catch((x: unknown) => x);
    expect(missing).toBeInstanceOf(VaultError);
    expect(String(missing)).toMatch(/not found|request failed/);
    expect(String(missing)).toContain('nope');
    const down = await encryptText(
      'a: b\n',
      { format: 'yaml', source: 'v.yaml', keys: { hcVaultTransit: ['http://127.0.0.1:1/v1/transit/keys/k'] } },
      { vault: { token: v.rootToken } },
    ).catch((x: unknown) => x);
    expect(down).toBeInstanceOf(VaultError);
    expect(String(down)).toMatch(/unreachable/);
    for (const err of [denied, missing, down]) expect(String(err)).not.toContain('canary-vault');
  });
});
