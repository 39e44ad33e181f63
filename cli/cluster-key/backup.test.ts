// The backup file format: standard armored age, and every way a wrong file is refused without a
// word of its content reaching the message.
import { describe, expect, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { CliError, ExitCode } from '../errors.js';
import { assertBackupRecipients, assertNotClusterHeld, openBackup, sealBackup } from './backup.js';

async function refusal(p: Promise<unknown>): Promise<CliError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('cluster-key backup file', () => {
  it('round-trips armored, for every --to recipient', async () => {
    const [a, b, cluster] = await Promise.all([generateAgeIdentity(), generateAgeIdentity(), generateAgeIdentity()]);
    const sealed = await sealBackup(cluster.file, [a.recipient, b.recipient]);
    expect(sealed.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(true);
    expect(sealed.includes(cluster.identity)).toBe(false);
    expect((await openBackup(sealed, [b.identity], 'b.age')) === cluster.file).toBe(true);
    const stranger = await generateAgeIdentity();
    const wrong = await refusal(openBackup(sealed, [stranger.identity], 'b.age'));
    expect([wrong.exitCode, wrong.message]).toEqual([
      ExitCode.KEYS,
      'none of the age identities given can decrypt this backup (was it made --to another key?)',
    ]);
    expect((await refusal(openBackup(sealed, [], 'b.age'))).exitCode).toBe(ExitCode.KEYS);
  });

  it('refuses empty, plaintext and malformed files by kind, never quoting them', async () => {
    const id = await generateAgeIdentity();
    for (const [text, what] of [
      ['', 'is empty'],
      [id.file, 'holds plaintext age identities'],
      [`${id.identity}\n`, 'holds plaintext age identities'],
      ['-----BEGIN AGE ENCRYPTED FILE-----\n!!!\n-----END AGE ENCRYPTED FILE-----\n', 'is not an age-encrypted backup'],
      ['age-encryption.org/v1\n-> X25519 secret-looking-line\n', 'is not an age-encrypted backup'],
    ] as const) {
      const e = await refusal(openBackup(text, [id.identity], 'x.age'));
      expect(e.message).toContain(what);
      expect(e.message).not.toContain('AGE-SECRET-KEY-1');
      expect(e.message).not.toContain('secret-looking');
    }
  });

  it('--to: a private key is named as such, the cluster key is refused', async () => {
    const id = await generateAgeIdentity();
    expect(() => assertBackupRecipients([])).toThrow(/needs --to RECIPIENT/);
    expect(() => assertBackupRecipients([id.identity])).toThrow(/recipient #1 of --to is an age PRIVATE key/);
    expect(() => assertBackupRecipients([id.identity])).not.toThrow(id.identity);
    expect(() => assertNotClusterHeld([id.recipient], [id.recipient])).toThrow("recipient #1 of --to is the cluster's own key");
  });
});
