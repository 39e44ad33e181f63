// The cluster-held age identity's storage format (issue 16), shared by the daemon (which creates,
// rotates and decrypts with it) and the CLI (which fetches the public half, backs up and restores
// the private half). One home so that both sides read exactly what the other writes.
//
// Private half: a Secret whose `identities.txt` is an age identity file as age-keygen writes it
// (`# created:` and `# public key:` comments before each AGE-SECRET-KEY line), oldest first, newest
// last: the newest is the current key, every earlier one is retired but still decrypts.
// Public half: a ConfigMap anyone with read access to one object can get (no port-forward), and the
// same record as JSON on the status server's `/keys`.
import { createHash } from 'node:crypto';

import { recipientOf } from '../age/recipients.js';
import { SopsError } from '../sops/errors.js';
import { parseIdentityFile } from '../age/identities.js';

export const CLUSTER_KEY_SECRET = 'gitops-seal-cluster-key';
export const CLUSTER_KEY_CONFIGMAP = 'gitops-seal-cluster-key';
/** The Secret's and the backup's data key: an age identity file. */
export const IDENTITIES_KEY = 'identities.txt';
/** Label on both objects, so `kubectl get -l` finds them and RBAC/tests can select them. */
export const CLUSTER_KEY_LABEL = 'gitops-seal.dev/cluster-key';

export interface ClusterIdentity {
  /** AGE-SECRET-KEY-1…: never logged, never in an error message. */
  readonly identity: string;
  readonly recipient: string;
  readonly created: Date;
}

/** What is published: the newest recipient, its fingerprint, and the retired recipients. */
export interface ClusterKeyPublic {
  readonly recipient: string;
  readonly fingerprint: string;
  /** RFC 3339, UTC. */
  readonly created: string;
  /** Older recipients that still decrypt, newest first. */
  readonly retired: readonly string[];
}

/**
 * `SHA256:` + unpadded base64 of SHA-256 over the recipient string, like OpenSSH's key
 * fingerprints: short enough to compare by eye, and it changes whenever the recipient does.
 */
export function clusterKeyFingerprint(recipient: string): string {
  return `SHA256:${createHash('sha256').update(recipient, 'utf8').digest('base64').replace(/=+$/, '')}`;
}

/** The identity file text for `identities.txt` (oldest first). */
export function formatClusterIdentities(list: readonly ClusterIdentity[]): string {
  return list
    .map((k) => `# created: ${k.created.toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# public key: ${k.recipient}\n${k.identity}\n`)
    .join('');
}

/**
 * Reads `identities.txt`. Each identity's creation time comes from the `# created:` comment above
 * it (epoch 0 when missing — a hand-written file still works, it just looks old). Errors name the
 * source and a line number, never a line's content.
 */
export async function parseClusterIdentities(text: string, source: string): Promise<ClusterIdentity[]> {
  const identities = parseIdentityFile(text, source);
  if (identities.length === 0) throw new SopsError(source, 'holds no age identity');
  const created: Date[] = [];
  let pending: Date | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^#\s*created:\s*(\S+)/.exec(line);
    if (m) {
      const d = new Date(m[1] as string);
      pending = Number.isNaN(d.getTime()) ? undefined : d;
    } else if (line.startsWith('AGE-SECRET-KEY-')) {
      created.push(pending ?? new Date(0));
      pending = undefined;
    }
  }
  return Promise.all(
    identities.map(async (identity, i) => ({ identity, recipient: await recipientOf(identity), created: created[i] ?? new Date(0) })),
  );
}

/** The public record of a non-empty list (oldest first). */
export function publicClusterKey(list: readonly ClusterIdentity[]): ClusterKeyPublic {
  const newest = list[list.length - 1];
  if (!newest) throw new Error('publicClusterKey: no identity');
  return {
    recipient: newest.recipient,
    fingerprint: clusterKeyFingerprint(newest.recipient),
    created: newest.created.toISOString(),
    retired: list
      .slice(0, -1)
      .map((k) => k.recipient)
      .reverse(),
  };
}

/** ConfigMap `data` for the public record: plain strings, readable with `kubectl get -o jsonpath`. */
export function publicToConfigMapData(p: ClusterKeyPublic): Record<string, string> {
  return { recipient: p.recipient, fingerprint: p.fingerprint, created: p.created, retired: p.retired.join('\n') };
}

/** The inverse of publicToConfigMapData; checks the fingerprint matches the recipient. */
export function publicFromConfigMapData(data: Record<string, string> | undefined, source: string): ClusterKeyPublic {
  const recipient = data?.['recipient']?.trim() ?? '';
  if (!/^age1[0-9a-z]+$/.test(recipient)) throw new SopsError(source, 'has no age recipient in data.recipient');
  const fingerprint = clusterKeyFingerprint(recipient);
  if (data?.['fingerprint'] !== undefined && data['fingerprint'].trim() !== fingerprint)
    throw new SopsError(source, `data.fingerprint does not match data.recipient (expected ${fingerprint})`);
  const retired = (data?.['retired'] ?? '')
    .split('\n')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  return { recipient, fingerprint, created: data?.['created'] ?? '', retired };
}
