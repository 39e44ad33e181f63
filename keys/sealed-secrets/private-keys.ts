// The Sealed Secrets controller's private keys, in the forms they leave a cluster:
//   - `kubectl get secret -n kube-system -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml`
//     (a List of kubernetes.io/tls Secrets, one per key the controller ever made — rotated ones
//     included), or one such Secret, in YAML or JSON;
//   - plain PEM: the `tls.key` alone, or a key + certificate bundle, PKCS#1 or PKCS#8, one or more
//     keys in one file.
// kubeseal `--recovery-private-key` reads the same forms. The keys stay KeyObjects in memory.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { KeyFileError } from './errors.js';

export interface SealingKey {
  /** The RSA private key (never printed). */
  readonly key: KeyObject;
  /** sha256 of the public key (SPKI DER), 16 hex: names the key in messages, dedupes rotations. */
  readonly fingerprint: string;
  /** Where it was read from, e.g. `keys.yaml: Secret kube-system/sealed-secrets-keyabcde`. */
  readonly source: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function fingerprintOf(key: KeyObject): string {
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(spki).digest('hex').slice(0, 16);
}

/** Every private key block of a PEM text; certificates and other blocks are skipped. */
export function keysFromPem(pem: string, source: string): SealingKey[] {
  const out: SealingKey[] = [];
  for (const m of pem.matchAll(PEM_BLOCK)) {
    const type = m[1] ?? '';
    if (!type.endsWith('PRIVATE KEY')) continue;
    if (type.startsWith('ENCRYPTED') || /Proc-Type:\s*4,ENCRYPTED/.test(m[0]))
      throw new KeyFileError(source, 'the private key is passphrase-protected; export it unencrypted (as the controller stores it)');
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: m[0], format: 'pem' });
    } catch {
      throw new KeyFileError(source, `a ${type} block does not parse as a private key`);
    }
    if (key.asymmetricKeyType !== 'rsa')
      throw new KeyFileError(source, `a ${key.asymmetricKeyType ?? 'non-RSA'} key: Sealed Secrets keys are RSA`);
    out.push({ key, fingerprint: fingerprintOf(key), source });
  }
  return out;
}

interface SecretShape {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  data?: Record<string, unknown>;
  items?: unknown[];
}

function objectName(o: SecretShape): string {
  const ns = typeof o.metadata?.namespace === 'string' ? `${o.metadata.namespace}/` : '';
  return `Secret ${ns}${typeof o.metadata?.name === 'string' ? o.metadata.name : '(unnamed)'}`;
}

function keysFromSecret(o: SecretShape, file: string): SealingKey[] {
  const where = `${file}: ${objectName(o)}`;
  const b64 = o.data?.['tls.key'];
  if (typeof b64 !== 'string') throw new KeyFileError(where, 'has no data.tls.key (not a Sealed Secrets key Secret)');
  const keys = keysFromPem(Buffer.from(b64, 'base64').toString('utf8'), where);
  if (keys.length === 0) throw new KeyFileError(where, 'data.tls.key holds no PEM private key');
  return keys;
}

/**
 * Every controller key in one file's text (`file` names it in errors). A file that holds none is
 * an error: a key list that silently shrank would refuse every SealedSecret with a vaguer message.
 */
export function parseSealingKeys(text: string, file: string): SealingKey[] {
  let keys: SealingKey[];
  if (/^\s*-----BEGIN /.test(text)) keys = keysFromPem(text, file);
  else {
    keys = [];
    for (const [i, doc] of parseAllDocuments(text).entries()) {
      if (doc.errors.length > 0) throw new KeyFileError(file, `document ${i + 1} is neither PEM nor valid YAML/JSON`);
      const o = doc.toJS() as SecretShape | null;
      if (o === null || typeof o !== 'object') continue;
      if (o.kind === 'List' || o.kind === 'SecretList') {
        for (const item of o.items ?? []) keys.push(...keysFromSecret(item as SecretShape, file));
      } else if (o.kind === 'Secret') keys.push(...keysFromSecret(o, file));
      else
        throw new KeyFileError(
          file,
          `document ${i + 1} is a ${String(o.kind ?? 'document without kind')}, not a Secret or a List of Secrets`,
        );
    }
  }
  if (keys.length === 0) throw new KeyFileError(file, 'no RSA private key found (expected PEM, or the key Secrets exported with kubectl)');
  return keys;
}

/** Merges key lists, dropping a key seen twice (the same key exported in two files). */
export function mergeSealingKeys(lists: readonly (readonly SealingKey[])[]): SealingKey[] {
  const seen = new Map<string, SealingKey>();
  for (const k of lists.flat()) if (!seen.has(k.fingerprint)) seen.set(k.fingerprint, k);
  return [...seen.values()];
}
