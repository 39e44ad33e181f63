import { describe, expect, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { AggregateDecryptError, decryptFailureReason, decryptFiles } from './decrypt.js';

const CANARY = 'canary-decrypt-7f3a9c1e';
const secret = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: app
stringData:
  password: ${CANARY}
`;

async function encrypted(recipient: string): Promise<string> {
  return encryptText(
    secret,
    { format: 'yaml', source: 'app/secret.yaml', keys: { age: [recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
    {},
  );
}

describe('decryptFiles', () => {
  it('decrypts encrypted files in memory and passes plain files through', async () => {
    const id = await generateAgeIdentity();
    const text = await encrypted(id.recipient);
    expect(text).not.toContain(CANARY);
    const plain = { path: 'app/cm.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' };
    const res = await decryptFiles([plain, { path: 'app/secret.yaml', text }], { ageIdentities: [id.identity] });
    expect(res.decrypted).toEqual(['app/secret.yaml']);
    expect(res.files[0]).toEqual(plain);
    expect(res.files[1]?.text).toContain(`password: ${CANARY}`);
    expect(res.files[1]?.text).not.toContain('sops:');
  });

  it('reports every failing file by name — wrong key and tampering — without plaintext', async () => {
    const id = await generateAgeIdentity();
    const other = await generateAgeIdentity();
    const text = await encrypted(id.recipient);
    const m = /password: ENC\[AES256_GCM,data:([^,]+),/.exec(text);
    expect(m).not.toBeNull();
    const data = m?.[1] ?? '';
    const flipped = (data[0] === 'A' ? 'B' : 'A') + data.slice(1);
    const tampered = text.replace(data, flipped);
    const err = await decryptFiles(
      [
        { path: 'a/wrong-key.yaml', text },
        { path: 'b/tampered.yaml', text: tampered },
      ],
      { ageIdentities: [other.identity] },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateDecryptError);
    const msg = (err as Error).message;
    expect(msg).toContain('a/wrong-key.yaml: decryption failed');
    expect(msg).toContain('b/tampered.yaml: decryption failed');
    expect(msg).not.toContain(CANARY);
    const withKey = await decryptFiles([{ path: 'b/tampered.yaml', text: tampered }], { ageIdentities: [id.identity] }).catch(
      (e: unknown) => e,
    );
    expect((withKey as Error).message).toMatch(/b\/tampered\.yaml: decryption failed: .*tampered or corrupted/);
    // Each failure carries a fixed reason word (what the metrics count by).
    expect((err as AggregateDecryptError).errors.map((e) => [e.file, e.reason])).toEqual([
      ['a/wrong-key.yaml', 'no-key'],
      ['b/tampered.yaml', 'no-key'],
    ]);
    expect((withKey as AggregateDecryptError).errors.map((e) => e.reason)).toEqual(['tampered']);
  });

  it('classifies a malformed sops file as format and an unknown failure as other', async () => {
    const id = await generateAgeIdentity();
    const text = await encrypted(id.recipient);
    const broken = text.replace(/lastmodified: .*/, 'lastmodified: not-a-date');
    expect(broken).not.toBe(text);
    const err = await decryptFiles([{ path: 'c/broken.yaml', text: broken }], { ageIdentities: [id.identity] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateDecryptError);
    expect((err as AggregateDecryptError).errors.map((e) => e.reason)).toEqual(['format']);
    expect(decryptFailureReason(new Error('boom'))).toBe('other');
  });
});
