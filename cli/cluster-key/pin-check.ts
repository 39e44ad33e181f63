// Comparing a fetched cluster key with the pin recorded in `.sops.yaml`. A different key is an
// error (exit 4) unless the user accepts the rotation: whoever can change the ConfigMap (or
// answer in the daemon's place) could otherwise have every new secret encrypted to their key.
import { ExitCode, CliError } from '../errors.js';
import type { FetchedKey } from './add.js';
import type { ClusterKeyPin } from './pins.js';

export type PinVerdict = 'unpinned' | 'match' | 'rotation-accepted';

/** The fetched key differs from the pin and the rotation was not accepted. */
export class PinMismatchError extends CliError {
  constructor(message: string, file?: string) {
    super(message, ExitCode.KEYS, file);
  }
}

/** Why the pinned key is no longer the cluster's, in words that say what to do. */
export function mismatchCause(pinned: ClusterKeyPin, key: FetchedKey): string {
  return key.retired.includes(pinned.recipient)
    ? 'the cluster lists the pinned key as retired (the key was rotated)'
    : 'the cluster does not hold the pinned key any more (a new cluster, or a lost key? files encrypted only to it cannot be decrypted there: ' +
        'restore the key from its backup with `gitops-seal cluster-key restore`)';
}

/**
 * Check `key` against `pinned`. Throws PinMismatchError naming both fingerprints unless
 * `acceptRotation`; with it, a rotation to a cluster that lost the pinned key is still warned
 * about on `warn`.
 */
export function checkPin(
  configLabel: string,
  pinned: ClusterKeyPin | undefined,
  key: FetchedKey,
  acceptRotation: boolean,
  warn: (line: string) => void,
): PinVerdict {
  if (pinned === undefined) return 'unpinned';
  if (pinned.recipient === key.recipient) return 'match';
  const cause = mismatchCause(pinned, key);
  if (!acceptRotation) {
    throw new PinMismatchError(
      `the cluster key is ${key.fingerprint}, but ${configLabel} pins ${pinned.fingerprint} as "${pinned.name}": ${cause}; ` +
        'if you expected this, accept it with `gitops-seal cluster-key add PATH_REGEX --accept-rotation`',
      configLabel,
    );
  }
  if (!key.retired.includes(pinned.recipient)) warn(`gitops-seal: WARNING: accepting ${key.fingerprint} although ${cause}\n`);
  return 'rotation-accepted';
}
