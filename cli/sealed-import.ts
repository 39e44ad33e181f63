// `gitops-seal import sealed-secrets`: one file's SealedSecrets → the Secrets the controller would
// create, as YAML ready for encryptText. Pure (no I/O, no encryption): plaintext only in the
// returned string, which the command encrypts at once and never writes.
import { parseAllDocuments } from 'yaml';
import type { KeysApi } from './keys-api.js';
import { DecryptError, InputError } from './errors.js';
import { secretYaml } from './secret-builder.js';

type SealingKey = Parameters<KeysApi['unsealSealedSecret']>[1][number];

export interface ConvertedSecret {
  /** 1-based document number in the source file. */
  document: number;
  /** `namespace/name` (or `name` for a cluster-wide one without namespace). */
  object: string;
  scope: string;
  keys: number;
}

export interface ConvertedFile {
  /** The Secrets as multi-document YAML, plaintext: encrypt it, never write it. */
  plaintext: string;
  /** The same Secrets as objects (a JSON target holds exactly one). */
  secrets: Record<string, unknown>[];
  converted: ConvertedSecret[];
  /** Documents that are not SealedSecrets (left in the source file, not converted). */
  others: number;
}

/**
 * Converts every SealedSecret of `text`. Any document that fails refuses the whole file, naming
 * the file (`file`), the document number and the cause — never a value. `namespace` is the
 * namespace to unseal a SealedSecret without metadata.namespace for (kubectl -n at apply time).
 */
export function convertSealedSecretsFile(
  api: KeysApi,
  text: string,
  file: string,
  keys: readonly SealingKey[],
  namespace?: string,
): ConvertedFile {
  const docs = parseAllDocuments(text);
  const secrets: string[] = [];
  const objects: Record<string, unknown>[] = [];
  const converted: ConvertedSecret[] = [];
  const problems: string[] = [];
  let tampered = false;
  let others = 0;
  for (const [i, doc] of docs.entries()) {
    const n = i + 1;
    if (doc.errors.length > 0) {
      problems.push(`document ${n}: not valid YAML`);
      continue;
    }
    const o: unknown = doc.toJS();
    if (o === null || o === undefined) continue;
    if (!api.isSealedSecret(o)) {
      others++;
      continue;
    }
    const meta = (o as { metadata?: { namespace?: unknown } }).metadata;
    const opts = meta?.namespace === undefined && namespace !== undefined ? { namespace } : {};
    try {
      const r = api.unsealSealedSecret(o, keys, opts);
      const m = r.secret.metadata;
      converted.push({
        document: n,
        object: m.namespace ? `${m.namespace}/${m.name}` : m.name,
        scope: r.scope,
        keys: Object.keys(r.secret.data).length,
      });
      const secret = r.secret as unknown as Record<string, unknown>;
      objects.push(secret);
      secrets.push(secretYaml(secret, api.yamlNeedsQuotes));
    } catch (err) {
      if (!(err instanceof api.UnsealError)) throw err;
      if (err.reason !== 'malformed' && err.reason !== 'template') tampered = true;
      problems.push(`document ${n}: ${err.message}`);
    }
  }
  if (problems.length > 0) {
    const message = problems.length === 1 ? (problems[0] ?? '') : `${problems.length} SealedSecrets refused:\n  ${problems.join('\n  ')}`;
    throw tampered ? new DecryptError(message, file) : new InputError(message, file);
  }
  return { plaintext: secrets.join('---\n'), secrets: objects, converted, others };
}
