// A SealedSecret → the Secret the controller would create for it (SealedSecret.Unseal), in memory:
//   metadata  spec.template.metadata (labels, annotations, ...), with the SealedSecret's own
//             namespace and name (the controller sets both, whatever the template says);
//   type, immutable from spec.template;
//   data      every spec.encryptedData value opened under the scope's label, then
//             spec.template.data rendered over them (template.ts; a template key wins).
// Not reproduced: the ownerReference to the SealedSecret object (there is none once the
// controller is gone). A refusal names the object and, per key, the cause — never a value.
import { UnsealError, type UnsealCause } from './errors.js';
import { openHybrid } from './hybrid.js';
import type { SealingKey } from './private-keys.js';
import { scopeLabel, scopeOf, type SealingScope } from './scope.js';
import { renderTemplate } from './template.js';

export const SEALED_SECRET_API_VERSION = 'bitnami.com/v1alpha1';

type Json = Record<string, unknown>;

export interface UnsealedSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  /** namespace: absent only for a cluster-wide SealedSecret without one (it applies anywhere). */
  metadata: Json & { name: string; namespace?: string };
  type?: string;
  immutable?: boolean;
  /** base64, as a Secret carries it. */
  data: Record<string, string>;
}

export interface UnsealOptions {
  /**
   * The namespace the SealedSecret is (to be) applied in, when it is not its metadata.namespace
   * (a sync's targetNamespace; a manifest without one). The label is computed from this one,
   * exactly as the controller uses the namespace the object lives in.
   */
  namespace?: string;
}

export interface Unsealed {
  secret: UnsealedSecret;
  scope: SealingScope;
  /** Fingerprints of the keys that opened it (rotations: several). */
  keys: string[];
}

export function isSealedSecret(o: unknown): boolean {
  const x = o as { apiVersion?: unknown; kind?: unknown } | null;
  return (
    x !== null &&
    typeof x === 'object' &&
    x.kind === 'SealedSecret' &&
    typeof x.apiVersion === 'string' &&
    x.apiVersion.startsWith('bitnami.com/')
  );
}

const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Template metadata fields that describe a stored object, not a desired one. */
const SERVER_FIELDS = ['creationTimestamp', 'resourceVersion', 'uid', 'generation', 'managedFields', 'selfLink', 'ownerReferences'];

/** Opens a SealedSecret with the controller keys, or throws UnsealError naming it and the cause. */
export function unsealSealedSecret(doc: unknown, keys: readonly SealingKey[], opts: UnsealOptions = {}): Unsealed {
  const o = obj(doc) ?? {};
  const meta = obj(o['metadata']) ?? {};
  const name = str(meta['name']);
  const namespace = opts.namespace ?? str(meta['namespace']);
  const what = `SealedSecret ${namespace ?? '(no namespace)'}/${name ?? '(no name)'}`;
  const fail = (reason: UnsealCause, problems: string[]): never => {
    throw new UnsealError(what, reason, problems);
  };
  if (!isSealedSecret(o)) fail('malformed', ['not a SealedSecret (apiVersion bitnami.com/v1alpha1, kind SealedSecret)']);
  if (name === undefined) fail('malformed', ['has no metadata.name']);
  const scope = scopeOf(obj(meta['annotations']));
  // A cluster-wide value opens anywhere (empty label); the others need the namespace they live in.
  if (namespace === undefined && scope !== 'cluster-wide')
    fail('malformed', ['has no metadata.namespace: say which namespace it is unsealed for']);
  const spec = obj(o['spec']) ?? {};
  const template = obj(spec['template']) ?? {};
  if (spec['data'] !== undefined && spec['data'] !== null)
    fail('malformed', ['uses the deprecated spec.data (one blob): the controller refuses it by default; re-seal it with kubeseal']);
  const encrypted = obj(spec['encryptedData']) ?? {};
  const label = scopeLabel(scope, namespace ?? '', name as string);

  const values = new Map<string, Buffer>();
  const used = new Set<string>();
  const problems: string[] = [];
  let reason: UnsealCause = 'malformed';
  for (const key of Object.keys(encrypted).sort()) {
    const b64 = encrypted[key];
    if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
      problems.push(`encryptedData.${key}: not base64`);
      continue;
    }
    const r = openHybrid(keys, Buffer.from(b64, 'base64'), label);
    if (r.ok) {
      values.set(key, r.plaintext);
      used.add(r.fingerprint);
    } else if (r.why === 'tampered') {
      reason = 'tampered';
      problems.push(`encryptedData.${key}: the ciphertext was altered (AES-GCM authentication failed)`);
    } else if (r.why === 'no-key') {
      if (reason !== 'tampered') reason = 'no-key-or-wrong-scope';
      problems.push(
        `encryptedData.${key}: none of the ${keys.length} key(s) opens it for ${describeScope(scope, namespace ?? '', name as string)} — sealed for another namespace or name, another scope, or another controller key`,
      );
    } else problems.push(`encryptedData.${key}: too short to be a sealed value`);
  }
  const data: Record<string, string> = {};
  for (const [k, v] of values) data[k] = v.toString('base64');
  const tdata = obj(template['data']) ?? {};
  for (const key of Object.keys(tdata).sort()) {
    const src = tdata[key];
    if (typeof src !== 'string') {
      problems.push(`template.data.${key}: not a string`);
      continue;
    }
    const r = renderTemplate(src, values);
    if (r.ok) data[key] = r.value.toString('base64');
    else {
      if (reason === 'malformed') reason = 'template';
      problems.push(`template.data.${key}: ${r.why}`);
    }
  }
  for (const v of values.values()) v.fill(0);
  if (problems.length > 0) fail(reason, problems);

  const tmeta = { ...(obj(template['metadata']) ?? {}) };
  for (const f of SERVER_FIELDS) delete tmeta[f];
  delete tmeta['namespace']; // the SealedSecret's own namespace (or none) wins, as in the controller
  const secret: UnsealedSecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...tmeta, name: name as string, ...(namespace !== undefined ? { namespace } : {}) },
    ...(typeof template['type'] === 'string' && template['type'] !== '' ? { type: template['type'] } : {}),
    ...(typeof template['immutable'] === 'boolean' ? { immutable: template['immutable'] } : {}),
    data,
  };
  return { secret, scope, keys: [...used] };
}

function describeScope(scope: SealingScope, namespace: string, name: string): string {
  if (scope === 'cluster-wide') return 'cluster-wide scope';
  if (scope === 'namespace-wide') return `namespace-wide scope in namespace "${namespace}"`;
  return `strict scope as "${namespace}/${name}"`;
}
