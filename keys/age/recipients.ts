// age X25519 wrapping of the sops data key, as getsops/sops age/keysource.go does it: each
// recipient gets its own age file whose payload is the raw 32-byte data key, stored
// ASCII-armored ("-----BEGIN AGE ENCRYPTED FILE-----") in the stanza's `enc` field.
import { armor, Decrypter, Encrypter, identityToRecipient } from 'age-encryption';

/** Internal: an age stanza failed in a way that is not "not our key". */
export class AgeStanzaError extends Error {}

export { isAgeRecipient, recipientProblem } from './recipient-syntax.js';

/** sops accepts comma-separated recipient lists (SOPS_AGE_RECIPIENTS, --age). */
export function splitRecipients(list: string[]): string[] {
  return list
    .flatMap((r) => r.split(','))
    .map((r) => r.trim())
    .filter((r) => r !== '');
}

export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<string> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return armor.encode(await e.encrypt(dataKey));
}

const recipientCache = new Map<string, Promise<string>>();
/** The age1 recipient of an identity (cached: X25519 base-point multiplication per file adds up). */
export function recipientOf(identity: string): Promise<string> {
  let p = recipientCache.get(identity);
  if (!p) {
    p = identityToRecipient(identity);
    recipientCache.set(identity, p);
  }
  return p;
}

export interface Unwrapped {
  dataKey: Uint8Array;
  /** The recipient of the identity that unwrapped it. */
  recipient: string;
}

/**
 * Tries each identity on one stanza. Returns null if no identity matches (not our key).
 * Throws AgeStanzaError when the armor/header is malformed or authentication fails.
 */
export async function unwrapDataKey(enc: string, identities: readonly string[]): Promise<Unwrapped | null> {
  let file: Uint8Array;
  try {
    file = armor.decode(enc);
  } catch {
    throw new AgeStanzaError('the age armor is malformed');
  }
  for (const identity of identities) {
    const d = new Decrypter();
    d.addIdentity(identity);
    let out: Uint8Array;
    try {
      out = await d.decrypt(file);
    } catch (err) {
      const msg = err instanceof Error ? err.message : '';
      if (msg.includes('no identity matched')) continue;
      throw new AgeStanzaError(`the age header or payload failed to authenticate (${msg.slice(0, 60)})`);
    }
    if (out.length !== 32) throw new AgeStanzaError(`the age payload is ${out.length} bytes, not a 32-byte data key`);
    return { dataKey: out, recipient: await recipientOf(identity) };
  }
  return null;
}
