import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../kube/client.js';
import { KeySourceError, SyncKeys } from './sync-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-sync-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const noKube = {} as KubeClient;
const pem = (): string => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;

describe('SyncKeys: decryption.sealedSecrets', () => {
  it('reads every keysFrom reference at each context(), merged, and adds nothing without the option', async () => {
    const a = join(dir, 'a.pem');
    const b = join(dir, 'b.pem');
    writeFileSync(a, pem());
    writeFileSync(b, pem());
    const keys = new SyncKeys('s', { sealedSecrets: { keysFrom: [{ file: a }, { file: b }, { file: a }] } }, noKube);
    expect((await keys.context()).sealedSecrets?.map((k) => k.source)).toEqual([`file ${a}`, `file ${b}`]);
    // Re-read: a key rotated in needs no restart.
    writeFileSync(b, pem() + pem());
    expect((await keys.context()).sealedSecrets).toHaveLength(3);
    expect((await new SyncKeys('s', { age: { identitiesFrom: [] } }, noKube).context()).sealedSecrets).toBeUndefined();
  });

  it('names the reference and the cause, never key material', async () => {
    const bad = join(dir, 'bad.yaml');
    const secretPem = pem();
    writeFileSync(bad, `apiVersion: v1\nkind: Secret\nmetadata: {name: k}\ndata:\n  other: ${Buffer.from(secretPem).toString('base64')}\n`);
    const keys = new SyncKeys('s', { sealedSecrets: { keysFrom: [{ file: bad }] } }, noKube);
    const err = await keys.context().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeySourceError);
    expect((err as Error).message).toBe(
      `sync "s": cannot load Sealed Secrets keys: file ${bad}: Secret k: has no data.tls.key (not a Sealed Secrets key Secret)`,
    );
    expect((err as Error).message).not.toContain(secretPem.slice(40, 80));
  });
});
