// spec.syncs[]: what to apply where, and how to decrypt it.

import { Obj } from './fields.js';
import {
  DNS_LABEL,
  DNS_LABEL_HINT,
  filePath,
  normalizeRepoPath,
  readDuration,
  readHttpUrl,
  readSecretRef,
  secretRefFrom,
  type ReadCtx,
} from './parse-refs.js';
import type { SecretRef } from '../secret-ref.js';
import type { DecryptionSpec, VaultAuth } from '../decrypt/types.js';
import type { SyncSpec } from './types.js';
import { readHelm, readRender } from './parse-render.js';

export const DEFAULT_SA_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function readRefList(ctx: ReadCtx, o: Obj, field: string, what: string): SecretRef[] | undefined {
  const list = o.list(field, { required: true });
  if (!list) return undefined;
  if (list.length === 0) o.issues.add(o.at(field), `must list at least one ${what}`);
  const ids: SecretRef[] = [];
  list.forEach((item, i) => {
    const r = Obj.read(ctx.issues, `${o.at(field)}[${i}]`, item, 'SecretRef');
    const ref = r ? secretRefFrom(ctx, r) : undefined;
    if (ref) ids.push(ref);
  });
  return ids;
}

function readAge(ctx: ReadCtx, o: Obj): DecryptionSpec['age'] {
  const ids = readRefList(ctx, o, 'identitiesFrom', 'identity');
  return ids ? { identitiesFrom: ids } : undefined;
}

function readVaultAuth(ctx: ReadCtx, o: Obj): VaultAuth | undefined {
  const which = o.oneOf(['token', 'kubernetes', 'approle'] as const);
  if (which === 'token') {
    const t = o.obj('token', 'VaultTokenAuth');
    const from = t ? readSecretRef(ctx, t, 'from', true) : undefined;
    return from ? { token: { from } } : undefined;
  }
  if (which === 'kubernetes') {
    const k = o.obj('kubernetes', 'VaultKubernetesAuth');
    if (!k) return undefined;
    const role = k.str('role', { required: true });
    const mount = k.str('mount') ?? 'kubernetes';
    const tokenFile = filePath(ctx, k.str('tokenFile') ?? DEFAULT_SA_TOKEN_FILE);
    return role ? { kubernetes: { role, mount, tokenFile } } : undefined;
  }
  if (which === 'approle') {
    const a = o.obj('approle', 'VaultAppRoleAuth');
    if (!a) return undefined;
    const mount = a.str('mount') ?? 'approle';
    const roleIdFrom = readSecretRef(ctx, a, 'roleIdFrom', true);
    const secretIdFrom = readSecretRef(ctx, a, 'secretIdFrom', true);
    return roleIdFrom && secretIdFrom ? { approle: { mount, roleIdFrom, secretIdFrom } } : undefined;
  }
  return undefined;
}

function readDecryption(ctx: ReadCtx, o: Obj): DecryptionSpec | undefined {
  const clusterKey = o.bool('clusterKey', false);
  if (!o.has('age') && !o.has('vault') && !o.has('sealedSecrets') && !clusterKey) {
    o.issues.add(o.path, 'must configure age, vault, sealedSecrets or clusterKey: true (any combination)');
    return undefined;
  }
  const out: DecryptionSpec = clusterKey ? { clusterKey: true } : {};
  const age = o.obj('age', 'Age');
  if (age) {
    const a = readAge(ctx, age);
    if (a) out.age = a;
  }
  const vault = o.obj('vault', 'Vault');
  if (vault) {
    const address = readHttpUrl(vault, 'address');
    const transitMount = vault.str('transitMount') ?? 'transit';
    const authObj = vault.obj('auth', 'VaultAuth', { required: true });
    const auth = authObj ? readVaultAuth(ctx, authObj) : undefined;
    if (address && auth) out.vault = { address, transitMount, auth };
  }
  const sealed = o.obj('sealedSecrets', 'SealedSecrets');
  if (sealed) {
    const keysFrom = readRefList(ctx, sealed, 'keysFrom', 'key');
    if (keysFrom) out.sealedSecrets = { keysFrom };
  }
  return out;
}

function readNamespaces(o: Obj): string[] | undefined {
  const list = o.list('allowedNamespaces');
  if (!list) return undefined;
  const ok: string[] = [];
  list.forEach((ns, i) => {
    if (typeof ns === 'string' && DNS_LABEL.test(ns)) ok.push(ns);
    else o.issues.add(`${o.at('allowedNamespaces')}[${i}]`, DNS_LABEL_HINT);
  });
  return ok;
}

/**
 * A repository-relative directory; "..", absolute paths and backslashes cannot leave the checkout.
 * Absent means the repository root. A null (`path:` with nothing after it) is refused rather
 * than read as the root: it is a value left out, and the root may hold far more than meant.
 */
function readRepoPath(o: Obj): string {
  const raw = o.raw('path');
  if (raw === undefined) return '';
  if (raw === null) {
    o.issues.add(o.at('path'), 'is empty (null): write path: "." for the repository root, or the directory to apply');
    return '';
  }
  if (typeof raw !== 'string') {
    o.issues.add(o.at('path'), 'must be a string');
    return '';
  }
  const n = normalizeRepoPath(raw);
  if (n === undefined) {
    o.issues.add(o.at('path'), 'must stay inside the repository');
    return '';
  }
  return n;
}

export function readSync(ctx: ReadCtx, path: string, value: unknown): SyncSpec | undefined {
  const o = Obj.read(ctx.issues, path, value, 'Sync');
  if (!o) return undefined;
  const name = o.str('name', { required: true, pattern: DNS_LABEL, patternHint: DNS_LABEL_HINT });
  const source = o.str('source', { required: true });
  const syncPath = readRepoPath(o);
  const targetNamespace = o.str('targetNamespace', { pattern: DNS_LABEL, patternHint: DNS_LABEL_HINT });
  const allowedNamespaces = readNamespaces(o);
  if (targetNamespace && allowedNamespaces && !allowedNamespaces.includes(targetNamespace)) {
    o.issues.add(o.at('targetNamespace'), 'is not in allowedNamespaces');
  }
  let kubeconfig: SyncSpec['kubeconfig'];
  const k = o.obj('kubeconfig', 'Kubeconfig');
  if (k) {
    const file = k.str('file');
    const context = k.str('context');
    kubeconfig = { ...(file ? { file: filePath(ctx, file) } : {}), ...(context ? { context } : {}) };
  }
  const d = o.obj('decryption', 'Decryption');
  const decryption = d ? readDecryption(ctx, d) : undefined;
  const r = o.obj('render', 'Render');
  const render = r ? readRender(r) : undefined;
  // A Helm sync renders a chart, not a directory: a path beside it would be ignored, so refuse it.
  if (o.has('helm') && o.raw('path') !== undefined)
    o.issues.add(o.at('helm'), `sync "${name ?? ''}" sets both path and helm; set exactly one`);
  const h = o.obj('helm', 'Helm');
  const helm = h ? readHelm(ctx, h, { name: name ?? '', targetNamespace, allowedNamespaces }) : undefined;
  const spec: SyncSpec = {
    name: name ?? '',
    source: source ?? '',
    path: syncPath,
    prune: o.bool('prune', true),
    intervalMs: readDuration(o, 'interval', '5m'),
    timeoutMs: readDuration(o, 'timeout', '2m'),
    ...(targetNamespace ? { targetNamespace } : {}),
    ...(allowedNamespaces ? { allowedNamespaces } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    wait: o.bool('wait', false),
    force: o.bool('force', true),
    maxPruneRatio: o.num('maxPruneRatio', 0.5, 0, 1),
    allowEmpty: o.bool('allowEmpty', false),
    ...(decryption ? { decryption } : {}),
    ...(render ? { render } : {}),
    ...(helm ? { helm } : {}),
  };
  return name === undefined || source === undefined ? undefined : spec;
}
