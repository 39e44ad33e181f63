// Checking recipients before anything is encrypted, with messages that never quote them.
//
// What a user types or pastes where a recipient belongs is not always public: the classic slip is
// an age private key (`AGE-SECRET-KEY-1…`) from keys.txt, or a transit URI carrying a token as
// `https://user:token@vault…`. An error line is copied into terminals, CI logs and bug reports,
// so a bad recipient is named by where it came from and its position, never by its text.
import { recipientProblem } from '../keys/age/recipient-syntax.js';
import { KeyError } from './errors.js';

export interface RecipientList {
  age: string[];
  hcVaultTransit: string[];
}

/**
 * Throw a KeyError (exit 4) for the first recipient that cannot be used. `origin` says where the
 * list came from (`--age`, `creation_rules[0] in /repo/.sops.yaml`), `target` is the file.
 */
export function assertValidRecipients(keys: RecipientList, origin: { age: string; vault: string }, target: string): void {
  keys.age.forEach((r, i) => {
    const problem = recipientProblem(r);
    if (problem !== undefined) throw new KeyError(`age recipient #${i + 1} of ${origin.age} ${problem}`, target);
  });
  keys.hcVaultTransit.forEach((uri, i) => {
    const problem = transitUriProblem(uri);
    if (problem !== undefined) throw new KeyError(`hc_vault_transit_uri #${i + 1} of ${origin.vault} ${problem}`, target);
  });
}

/** The shape checks that can be made without quoting the URI; the path layout is checked by keys/. */
export function transitUriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return 'is not a URI (expected https://vault.example.com:8200/v1/transit/keys/keyName)';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `has scheme ${u.protocol} (expected https: or http:)`;
  // The address is stored in the file's sops metadata, readable by everyone with the repo.
  if (u.username !== '' || u.password !== '') {
    return 'carries credentials (user:password@); the token comes from VAULT_TOKEN or ~/.vault-token, never the URI';
  }
  return undefined;
}
