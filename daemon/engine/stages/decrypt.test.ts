import { describe, expect, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../../keys/index.js';
import { AggregateDecryptError } from '../../decrypt/index.js';
import { RevisionError } from '../errors.js';
import { decrypt } from './decrypt.js';

const at = { sync: 'apps', commit: 'abcdef0123456789' };
const CANARY = 'canary-stage-decrypt-51c0e2';
const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: app}\nstringData:\n  password: ${CANARY}\n`;

async function encrypted(recipient: string, path: string): Promise<string> {
  return encryptText(
    secret,
    { format: 'yaml', source: path, keys: { age: [recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
    {},
  );
}

describe('decrypt stage', () => {
  it('decrypts SOPS files in memory with the sync keys and passes the others through', async () => {
    const id = await generateAgeIdentity();
    const plain = { path: 'app/cm.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' };
    const out = await decrypt(
      [plain, { path: 'app/s.yaml', text: await encrypted(id.recipient, 'app/s.yaml') }],
      { ageIdentities: [id.identity] },
      at,
    );
    expect(out.decrypted).toEqual(['app/s.yaml']);
    expect(out.files[0]).toEqual(plain);
    expect(out.files[1]?.text).toContain(CANARY);
  });

  it('refuses at `decrypt` naming each file, with the typed cause and no plaintext', async () => {
    const id = await generateAgeIdentity();
    const other = await generateAgeIdentity();
    const files = [
      { path: 'app/a.yaml', text: await encrypted(id.recipient, 'app/a.yaml') },
      { path: 'app/b.yaml', text: await encrypted(id.recipient, 'app/b.yaml') },
    ];
    const err = await decrypt(files, { ageIdentities: [other.identity] }, at).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionError);
    const r = err as RevisionError;
    expect(r.stage).toBe('decrypt');
    expect(r.problems.map((p) => p.split(':')[0])).toEqual(['app/a.yaml', 'app/b.yaml']);
    expect(r.cause).toBeInstanceOf(AggregateDecryptError);
    expect((r.cause as AggregateDecryptError).errors.map((e) => e.reason)).toEqual(['no-key', 'no-key']);
    expect(r.message).not.toContain(CANARY);
  });
});
