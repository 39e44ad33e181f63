// The holder's and the status's decisions as pure functions of what was read and the clock:
// when a rotation is due, how long to sleep, whether the ConfigMap must be written, and which
// files only a retired identity opens. holder.ts and service.ts only do the I/O around them.
import type { ClusterIdentity } from '../../keys/index.js';
import type { ClusterKeyUsage } from '../decrypt/index.js';

/** The newest (current) identity: the last of the list. */
export function currentIdentity(list: readonly ClusterIdentity[]): ClusterIdentity | undefined {
  return list[list.length - 1];
}

/**
 * The creation time before which the current key is too old, or undefined when keys never
 * rotate (rotateEvery 0). rotate() is handed this, so two holders deciding at once add one key.
 */
export function rotationThreshold(now: Date, rotateEveryMs: number): Date | undefined {
  return rotateEveryMs > 0 ? new Date(now.getTime() - rotateEveryMs) : undefined;
}

/** Whether the current key is due for rotation at `now`. */
export function rotationDue(newest: ClusterIdentity, now: Date, rotateEveryMs: number): boolean {
  const threshold = rotationThreshold(now, rotateEveryMs);
  return threshold !== undefined && newest.created.getTime() < threshold.getTime();
}

/**
 * How long the holder sleeps: checkInterval, or less when the rotation falls due sooner (a
 * rotation is then on time, not up to one interval late). At least 50 ms: never a busy loop.
 * After a failed check, at most 5 s: a missing namespace or RBAC fixed by hand is picked up soon.
 */
export function nextCheckDelay(opts: {
  now: Date;
  newest: ClusterIdentity | undefined;
  rotateEveryMs: number;
  checkIntervalMs: number;
  failed: boolean;
}): number {
  let ms = opts.checkIntervalMs;
  if (opts.failed) ms = Math.min(ms, 5_000);
  if (opts.newest && opts.rotateEveryMs > 0) {
    const due = opts.newest.created.getTime() + opts.rotateEveryMs - opts.now.getTime();
    // The Secret's creation times have second precision: wake just after the due second.
    ms = Math.min(ms, Math.max(due + 1, 0));
  }
  return Math.max(ms, 50);
}

/** Whether the ConfigMap's data must be written to become `wanted` (absent counts as different). */
export function configMapDiffers(current: Readonly<Record<string, string>> | undefined, wanted: Readonly<Record<string, string>>): boolean {
  if (!current) return true;
  const keys = new Set([...Object.keys(current), ...Object.keys(wanted)]);
  for (const k of keys) if (current[k] !== wanted[k]) return true;
  return false;
}

/**
 * Files of a sync's applied revision that only a retired cluster identity opens: a stanza names a
 * retired recipient, and none names the current recipient or one of the sync's own identities,
 * and the file has no transit stanza the sync could use. Decided from the stanzas, not from which
 * identity happened to unwrap the data key: a file sealed to [retired, current] is unwrapped by
 * the retired key (stanzas are tried in file order) yet does not need it, and a cached data key
 * unwraps nothing at all. `updatekeys` moves such files to the current key.
 */
export function retiredOnlyFiles(usage: ClusterKeyUsage, identities: readonly ClusterIdentity[]): number {
  const current = currentIdentity(identities)?.recipient;
  if (current === undefined) return 0;
  const retired = new Set(identities.slice(0, -1).map((k) => k.recipient));
  let n = 0;
  for (const f of usage.files) {
    if (!f.age.some((r) => retired.has(r))) continue;
    if (f.age.some((r) => r === current || usage.ownRecipients.has(r))) continue;
    if (f.hcVault > 0 && usage.vault) continue;
    n++;
  }
  return n;
}
