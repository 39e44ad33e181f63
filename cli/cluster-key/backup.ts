// The cluster identity's backup: `identities.txt` (the Secret's data, an age identity file)
// encrypted with age to offline recipients and ASCII-armored — a standard age file, so the real
// `age -d -i admin-key.txt backup.age` opens it too. The plaintext exists only in this process's
// memory, in both directions.
import { promises as fsp } from 'node:fs';
import { recipientProblem } from '../../keys/age/recipient-syntax.js';
import { DecryptError, InputError, KeyError, sanitizeMessage, UsageError } from '../errors.js';

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';

/** Check `--to` recipients without quoting them (one may be a pasted private key). */
export function assertBackupRecipients(to: readonly string[]): void {
  if (to.length === 0) throw new UsageError('backup needs --to RECIPIENT: an offline age recipient that is not the cluster key');
  to.forEach((r, i) => {
    const problem = recipientProblem(r);
    if (problem !== undefined) throw new KeyError(`recipient #${i + 1} of --to ${problem}`);
  });
}

/** A backup only the cluster can open is no backup. */
export function assertNotClusterHeld(to: readonly string[], clusterHeld: readonly string[]): void {
  to.forEach((r, i) => {
    if (clusterHeld.includes(r))
      throw new UsageError(`recipient #${i + 1} of --to is the cluster's own key: a backup must be readable without the cluster`);
  });
}

/** identities.txt encrypted to `to`, armored. */
export async function sealBackup(identitiesText: string, to: readonly string[]): Promise<string> {
  const { armor, Encrypter } = await import('age-encryption');
  const e = new Encrypter();
  for (const r of to) e.addRecipient(r);
  const bytes = await e.encrypt(new TextEncoder().encode(identitiesText));
  return armor.encode(bytes);
}

/** The identity file text inside a backup, decrypted with `identities` (never written anywhere). */
export async function openBackup(backup: string, identities: readonly string[], label: string): Promise<string> {
  if (backup.trim() === '') throw new InputError('is empty, not an age-encrypted backup', label);
  // A plaintext identity file where the backup belongs: say so, without a word of its content.
  if (/AGE-SECRET-KEY-1/i.test(backup)) {
    throw new InputError(
      'holds plaintext age identities, not an encrypted backup (a backup is made with gitops-seal cluster-key backup --to RECIPIENT)',
      label,
    );
  }
  const { armor, Decrypter } = await import('age-encryption');
  let file: Uint8Array;
  try {
    file = backup.trimStart().startsWith(ARMOR_BEGIN) ? armor.decode(backup.trim() + '\n') : new TextEncoder().encode(backup);
  } catch {
    throw new InputError('is not an age-encrypted backup (the armor is malformed)', label);
  }
  if (identities.length === 0) {
    throw new KeyError('no age identity to decrypt the backup: pass -i FILE, or set SOPS_AGE_KEY_FILE / SOPS_AGE_KEY', label);
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  let bytes: Uint8Array;
  try {
    bytes = await d.decrypt(file);
  } catch (err) {
    const msg = err instanceof Error ? err.message : '';
    if (/no identity matched/i.test(msg))
      throw new KeyError('none of the age identities given can decrypt this backup (was it made --to another key?)', label);
    // age's messages can quote the header line they could not parse: never passed on.
    if (/header|version|stanza|armor|line/i.test(msg)) throw new InputError('is not an age-encrypted backup (invalid age header)', label);
    throw new DecryptError('cannot decrypt the backup: it is damaged (its authentication failed)', label);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError('does not hold an age identity file (not UTF-8)', label);
  }
}

/** Write the armored backup to a new file (0600; an existing file is never overwritten). */
export async function writeBackupFile(path: string, label: string, armored: string): Promise<void> {
  let fh;
  try {
    fh = await fsp.open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError('already exists; refusing to overwrite a backup', label);
    throw new InputError(`cannot create: ${sanitizeMessage(err)}`, label);
  }
  try {
    await fh.writeFile(armored);
    await fh.sync();
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.unlink(path).catch(() => undefined);
    throw new InputError(`cannot write: ${sanitizeMessage(err)}`, label);
  }
}
