// The test-only age key of keys/testdata (never a real key): its identities for a KeyContext
// and its recipient for encrypting fixtures, so tests do not each parse the file again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIdentityFile } from '../../keys/index.js';

export const TEST_AGE_KEY_FILE = join(import.meta.dirname, '../../keys/testdata/test-age-key.txt');
const text = readFileSync(TEST_AGE_KEY_FILE, 'utf8');
export const testAgeIdentities: string[] = parseIdentityFile(text, TEST_AGE_KEY_FILE);
export const testAgeRecipient: string = /public key: (age1\S+)/.exec(text)?.[1] ?? '';

/** The error `p` rejects with, asserted to be an instance of `type`; fails the test if `p` resolves. */
export async function rejection<E extends Error>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const outcome = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof type)) throw new Error(`expected a ${type.name}, got ${outcome === undefined ? 'success' : String(outcome)}`);
  return outcome;
}
