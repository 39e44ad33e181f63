// Structural inspection behind `gitops-seal check`: everything that can be decided without keys.
// Decryption (MAC verification) is layered on top by the command itself.
import {
  hasPayload,
  hasSopsBlock,
  isEncryptedValue,
  isRecord,
  parseDocuments,
  plaintextLeaves,
  secretLabel,
  secretsIn,
  type DocFormat,
} from './k8s-secret.js';

export interface Inspection {
  /** One reason per problem, never containing a value from the file. */
  problems: string[];
  /** True when at least one document carries a sops block (so decryption should be attempted). */
  encrypted: boolean;
  /** True when the text does not parse because it is a template (Go template actions `{{ }}`). */
  templated?: boolean;
}

// A file that fails to parse is only a problem if it plausibly holds a secret: repositories are
// full of templated YAML (Helm charts) that is not meant to parse.
const LOOKS_SENSITIVE = /^\s*(kind:\s*["']?Secret\b|sops:\s*$|"kind"\s*:\s*"Secret"|"sops"\s*:)/m;

const TEMPLATE_ACTION = /\{\{-?\s*[^}]*\}\}/;
const SOPS_BLOCK = /^\s*(sops:\s*$|"sops"\s*:)/m;

const RECIPIENT_FIELDS = ['age', 'hc_vault', 'pgp', 'kms', 'gcp_kms', 'azure_kv', 'hckms', 'key_groups'];

function sopsMetadataProblems(sops: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  if (!isEncryptedValue(sops['mac'])) problems.push(`${where}sops metadata has no valid mac`);
  if (typeof sops['lastmodified'] !== 'string') problems.push(`${where}sops metadata has no lastmodified`);
  const hasRecipient = RECIPIENT_FIELDS.some((f) => Array.isArray(sops[f]) && (sops[f] as unknown[]).length > 0);
  if (!hasRecipient) problems.push(`${where}sops metadata lists no recipients`);
  return problems;
}

export function inspectText(text: string, format: DocFormat): Inspection {
  const { docs, error, duplicateKey } = parseDocuments(text, format);
  if (error !== undefined) {
    // Templates (Helm, gomplate, ...) are not YAML until rendered; a sops file never is one.
    if (TEMPLATE_ACTION.test(text) && !SOPS_BLOCK.test(text)) return { problems: [], encrypted: false, templated: true };
    return { problems: LOOKS_SENSITIVE.test(text) ? [`cannot parse (${error})`] : [], encrypted: false };
  }
  const problems: string[] = [];
  let encrypted = false;
  // The daemon refuses a file with a duplicate key, sops refuses to encrypt it, kubectl keeps
  // the last value silently: worth failing a check where a secret is concerned.
  if (duplicateKey !== undefined && docs.some((d) => hasSopsBlock(d) || secretsIn(d).length > 0)) problems.push(duplicateKey);
  docs.forEach((doc, i) => {
    const where = docs.length > 1 ? `document ${i + 1}: ` : '';
    const sealed = hasSopsBlock(doc);
    if (sealed && isRecord(doc)) {
      encrypted = true;
      problems.push(...sopsMetadataProblems(doc['sops'] as Record<string, unknown>, where));
    }
    for (const secret of secretsIn(doc)) {
      const label = `${where}Secret ${secretLabel(secret)}`;
      if (!sealed) {
        if (hasPayload(secret)) problems.push(`${label} has plaintext data/stringData (not encrypted with sops)`);
        continue;
      }
      // Encrypted file, but a payload key may have been left out of the crypt rule or appended
      // later in plaintext; with mac_only_encrypted the MAC would not even notice.
      const leaves = ['data', 'stringData'].flatMap((f) => plaintextLeaves(secret[f], f));
      if (leaves.length > 0) problems.push(`${label} has unencrypted values: ${leaves.join(', ')}`);
    }
  });
  return { problems, encrypted };
}
