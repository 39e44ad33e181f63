// The scope claim `gitops-seal encrypt` and `create-secret` add to a Kubernetes manifest whose
// recipients include a cluster-held key (issue 16 item 6; the rule: daemon/scope-binding, README
// "Scope"). The daemon holds that key, so it applies such a file only where the claim's
// plaintext — `<namespace>/<name>` (default), `<namespace>` (`--scope namespace`) or `*`
// (`--scope cluster`) — allows, and only if the claim was SOPS ciphertext in Git. So the claim
// is added and the crypt rule widened to encrypt it: an `encrypted_regex` that does not match it
// gets `gitops-seal.dev/scope` added, recorded in the file's sops metadata, so `sops edit`,
// `rotate` and `updatekeys` (which re-use the file's recorded rule) keep it encrypted. A rule
// that cannot be widened (`unencrypted_regex`, a suffix rule) and leaves it in plaintext is refused.
import { Option, type Command } from 'commander';
import { parseDocument, Scalar } from 'yaml';
import { CLAIM_ANNOTATION, ClaimSyntaxError, parseClaim } from '../daemon/scope-binding/index.js';
import { clusterHeldFor } from './cluster-key/index.js';
import type { CliContext } from './context.js';
import { InputError, UsageError } from './errors.js';
import { isRecord, type DocFormat } from './k8s-secret.js';
import type { KeysApi } from './keys-api.js';
import { compileGoRegex, type CryptRuleConfig } from './sops-config.js';

export type ScopeWidth = 'strict' | 'namespace' | 'cluster';
export const SCOPE_WIDTHS: readonly ScopeWidth[] = ['strict', 'namespace', 'cluster'];

/** The file being encrypted, as the pin lookup needs it. */
export interface PinLookup {
  ctx: CliContext;
  keys: KeysApi;
  /** Absolute path the creation rules were matched against. */
  target: string;
  configFlag: string | undefined;
}

/**
 * Where the CLI learns which recipients are cluster-held keys (current and retired): the pins
 * `gitops-seal cluster-key add` records in the `.sops.yaml` governing the file (cli/cluster-key).
 * A seam rather than a plain call so that unit tests can set `of` to a fixed set.
 */
export const clusterPins: { of: (where: PinLookup) => Promise<ReadonlySet<string>> } = {
  of: (w) => clusterHeldFor(w.ctx, w.keys, w.target, w.configFlag),
};

export interface ClaimInput {
  plaintext: string;
  format: DocFormat;
  /** The parsed documents of `plaintext`. */
  docs: readonly unknown[];
  recipients: { age: readonly string[] };
  rule: CryptRuleConfig | undefined;
  cluster: ReadonlySet<string>;
  scope: ScopeWidth;
  /** The file as the user named it (errors). */
  label: string;
}

export interface Claimed {
  plaintext: string;
  rule: CryptRuleConfig | undefined;
  /** The claim added or kept; undefined when no cluster recipient is among the keys. */
  claim?: string;
}

const CLAIM_PATH = ['metadata', 'annotations', CLAIM_ANNOTATION];
const CLAIM_KEY_REGEX = `^${CLAIM_ANNOTATION.replace(/\./g, '\\.')}$`;

/** sops' shouldBeEncrypted for the claim's path (no comments there). */
export function encryptsClaim(rule: CryptRuleConfig | undefined): boolean {
  const some = (test: (k: string) => boolean): boolean => CLAIM_PATH.some(test);
  if (rule?.encryptedRegex) return some((k) => compileGoRegex(rule.encryptedRegex as string).test(k));
  if (rule?.unencryptedRegex) return !some((k) => compileGoRegex(rule.unencryptedRegex as string).test(k));
  if (rule?.encryptedSuffix) return some((k) => k.endsWith(rule.encryptedSuffix as string));
  if (rule?.encryptedCommentRegex) return false;
  if (rule?.unencryptedCommentRegex) return true;
  return !some((k) => k.endsWith(rule?.unencryptedSuffix || '_unencrypted'));
}

/** `encrypted_regex` widened to the claim: `^(data|stringData)$` → `^(data|stringData|gitops-seal.dev/scope)$`. */
export function widenRegex(regex: string): string {
  const group = /^\^\(([^()]*)\)\$$/.exec(regex);
  if (group) return `^(${group[1]}|${CLAIM_ANNOTATION})$`;
  const flags = /^\(\?[imsU]+\)/.exec(regex)?.[0] ?? '';
  return `${flags}(?:${regex.slice(flags.length)})|${CLAIM_KEY_REGEX}`;
}

function claimFor(object: Record<string, unknown>, scope: ScopeWidth, label: string): string {
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const existing = isRecord(meta.annotations) ? meta.annotations[CLAIM_ANNOTATION] : undefined;
  if (existing !== undefined) {
    // The user wrote one: keep it, if the daemon can read it.
    try {
      parseClaim(String(existing));
      return String(existing);
    } catch (err) {
      if (err instanceof ClaimSyntaxError) throw new InputError(`metadata.annotations["${CLAIM_ANNOTATION}"] ${err.message}`, label);
      throw err;
    }
  }
  if (scope === 'cluster') return '*';
  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (ns === '')
    throw new UsageError(
      `is encrypted to the cluster-held key, so it needs a scope claim, and it has no metadata.namespace: set one, or pass --scope cluster to let it apply in any namespace`,
      label,
    );
  return scope === 'namespace' ? ns : `${ns}/${name}`;
}

function withAnnotation(plaintext: string, format: DocFormat, value: string): string {
  if (format === 'json') {
    const obj = JSON.parse(plaintext) as Record<string, unknown>;
    const meta = (obj.metadata ?? {}) as Record<string, unknown>;
    meta.annotations = { ...(isRecord(meta.annotations) ? meta.annotations : {}), [CLAIM_ANNOTATION]: value };
    obj.metadata = meta;
    return `${JSON.stringify(obj, null, 2)}\n`;
  }
  const doc = parseDocument(plaintext);
  // Double-quoted: `*` is an alias and a namespace such as `yes` a boolean to a YAML 1.1 reader.
  const node = doc.createNode(value) as Scalar;
  node.type = Scalar.QUOTE_DOUBLE;
  doc.setIn(CLAIM_PATH, node);
  // No folding: the rest of the document is written back as it was parsed.
  return doc.toString({ lineWidth: 0 });
}

/** Adds (or keeps) the scope claim and widens the rule to encrypt it, when a recipient is cluster-held. */
export function addScopeClaim(input: ClaimInput): Claimed {
  const { label } = input;
  if (!input.recipients.age.some((r) => input.cluster.has(r.trim()))) return { plaintext: input.plaintext, rule: input.rule };
  const docs = input.docs.filter((d) => d !== null);
  const object = docs[0];
  const manifest =
    isRecord(object) && typeof object.kind === 'string' && typeof object.apiVersion === 'string' && isRecord(object.metadata);
  if (docs.length !== 1 || !manifest || /List$/.test(String(object.kind)))
    throw new InputError(
      docs.length > 1
        ? `holds ${docs.length} documents and is encrypted to the cluster-held key: the daemon binds such files one object per file (README "Scope"); put each object in its own file`
        : 'is encrypted to the cluster-held key but is not one Kubernetes object: the daemon refuses cluster-key Helm values, secretGenerator sources and Lists, which no scope claim can bind (README "Scope"); encrypt it to your own key or Vault transit',
      label,
    );
  const claim = claimFor(object, input.scope, label);
  let rule = input.rule;
  if (!encryptsClaim(rule)) {
    if (!rule?.encryptedRegex)
      throw new UsageError(
        `is encrypted to the cluster-held key and its crypt rule would leave the scope claim ${CLAIM_ANNOTATION} in plaintext, where the daemon refuses it: use encrypted_regex, e.g. ^(data|stringData|${CLAIM_ANNOTATION})$`,
        label,
      );
    rule = { ...rule, encryptedRegex: widenRegex(rule.encryptedRegex) };
  }
  return { plaintext: withAnnotation(input.plaintext, input.format, claim), rule, claim };
}

/** `--scope strict|namespace|cluster` (encrypt, create-secret). */
export function addScopeOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--scope <scope>',
      'for a file encrypted to a cluster-held key: where the daemon may apply it (strict: this namespace and name; namespace: any name in this namespace; cluster: anywhere)',
    )
      .choices([...SCOPE_WIDTHS])
      .default('strict'),
  );
}

/** The one call of encrypt/create-secret: the plaintext and rule to encrypt with, claim added when a recipient is cluster-held. */
export async function scopeClaimed(
  input: Omit<ClaimInput, 'cluster' | 'recipients' | 'rule' | 'scope'> & {
    settings: { keys: { age: readonly string[] }; rule: CryptRuleConfig | undefined };
    scope: string | undefined;
    pins: PinLookup;
  },
): Promise<Claimed> {
  if (input.settings.keys.age.length === 0) return { plaintext: input.plaintext, rule: input.settings.rule };
  const cluster = await clusterPins.of(input.pins);
  return addScopeClaim({
    ...input,
    recipients: input.settings.keys,
    rule: input.settings.rule,
    cluster,
    scope: (input.scope ?? 'strict') as ScopeWidth,
  });
}
