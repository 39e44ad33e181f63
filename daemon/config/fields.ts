// The known fields of every object in a DaemonConfig, and the one reader that validates a YAML
// mapping against them while collecting issues: every parse-*.ts reads through Obj, so unknown
// fields, missing ones and wrong types read the same everywhere. The same table names the `$defs`
// of daemonconfig.schema.json; schema.test.ts checks that both list exactly the same properties.

import type { ConfigIssue } from './errors.js';

export const FIELDS = {
  DaemonConfig: ['apiVersion', 'kind', 'metadata', 'spec'],
  Metadata: ['name', 'labels', 'annotations'],
  Spec: ['listen', 'sources', 'syncs', 'images', 'imageUpdates', 'clusterKey', 'notifications', 'commitStatus', 'ui'],
  // spec.clusterKey (parse.ts; issue 16): the age identity the daemon holds itself.
  ClusterKey: ['enabled', 'rotateEvery', 'checkInterval'],
  Source: ['name', 'url', 'ref', 'interval', 'jitter', 'credentials', 'webhook', 'verify', 'ssh'],
  // sources[].ssh (parse-source.ts; issue 19): an SSH deploy key and the host keys it trusts.
  SourceSsh: ['privateKeyFrom', 'passphraseFrom', 'knownHostsFrom', 'insecureIgnoreHostKey'],
  GitRef: ['branch', 'tag', 'semver', 'commit'],
  Credentials: ['usernameFrom', 'passwordFrom'],
  // Every reference to a secret is one of these two (daemon/secret-ref.ts). A LocalSecretRef is
  // read from the daemon's own process; a SecretRef may also name a Kubernetes Secret, and is
  // allowed where the reference's consumer has a cluster to read it from (decryption: the sync's
  // cluster; spec.ui and sources[].ssh: the daemon's home cluster).
  LocalSecretRef: ['env', 'file'],
  SecretRef: ['env', 'file', 'secret'],
  Webhook: ['type', 'secretFrom'],
  Verify: ['allowedSignersFile'],
  Sync: [
    'name',
    'source',
    'path',
    'prune',
    'interval',
    'timeout',
    'targetNamespace',
    'allowedNamespaces',
    'kubeconfig',
    'wait',
    'force',
    'maxPruneRatio',
    'allowEmpty',
    'decryption',
    'render',
    'helm',
  ],
  // spec.syncs[].render and .helm (parse-render.ts; issue 15)
  Render: ['timeout', 'maxOutputBytes', 'kustomize'],
  KustomizeRender: ['allowRemoteHosts'],
  Helm: ['chart', 'release', 'valuesFiles', 'values', 'includeCRDs'],
  HelmChart: ['git', 'repository', 'oci'],
  HelmGitChart: ['path'],
  HelmRepositoryChart: ['url', 'chart', 'version', 'credentials', 'caFile'],
  HelmOciChart: ['url', 'version', 'digest', 'credentials', 'insecure', 'caFile'],
  HelmRelease: ['name', 'namespace'],
  Kubeconfig: ['file', 'context'],
  Decryption: ['age', 'vault', 'sealedSecrets', 'clusterKey'],
  Age: ['identitiesFrom'],
  // Migration from Sealed Secrets (issue 16): the controller's private keys.
  SealedSecrets: ['keysFrom'],
  KubeSecretKeyRef: ['namespace', 'name', 'key'],
  Vault: ['address', 'transitMount', 'auth'],
  VaultAuth: ['token', 'kubernetes', 'approle'],
  VaultTokenAuth: ['from'],
  VaultKubernetesAuth: ['role', 'mount', 'tokenFile'],
  VaultAppRoleAuth: ['mount', 'roleIdFrom', 'secretIdFrom'],
  // spec.images[] (parse-images.ts)
  Image: [
    'name',
    'namespace',
    'matchAnyNamespace',
    'image',
    'interval',
    'timeout',
    'credentials',
    'insecure',
    'caFile',
    'exclusionList',
    'policy',
    'filterTags',
    'digestPinning',
  ],
  ImageCredentials: ['dockerConfigJsonFrom', 'usernameFrom', 'passwordFrom'],
  ImagePolicy: ['semver', 'alphabetical', 'numerical'],
  SemverPolicy: ['range'],
  OrderPolicy: ['order'],
  FilterTags: ['pattern', 'extract'],
  // spec.imageUpdates[] (parse-image-updates.ts)
  ImageUpdate: ['name', 'source', 'path', 'branch', 'author', 'messageTemplate', 'signingKey'],
  CommitAuthor: ['name', 'email'],
  SigningKey: ['file'],
  // spec.notifications and spec.commitStatus (parse-notify.ts; issue 19)
  Notifications: ['providers', 'alerts'],
  NotificationProvider: ['name', 'type', 'url', 'urlFrom', 'secretFrom', 'timeout', 'maxAttempts', 'queueSize', 'rateLimit'],
  RateLimit: ['burst', 'per'],
  Alert: ['name', 'providers', 'events', 'syncs', 'imageUpdates', 'drift', 'dedupWindow'],
  DriftAlert: ['moreThan', 'window'],
  CommitStatus: [
    'name',
    'provider',
    'apiUrl',
    'repository',
    'tokenFrom',
    'source',
    'syncs',
    'targetUrl',
    'timeout',
    'maxAttempts',
    'queueSize',
    'rateLimit',
  ],
  // spec.ui (parse-ui.ts; issue 20): the web status page on the status listener.
  Ui: ['enabled', 'tokenFrom', 'tokenReview'],
  UiTokenReview: ['users', 'groups'],
} as const satisfies Record<string, readonly string[]>;

export type ObjectDef = keyof typeof FIELDS;

/** Fields that look like an attempt to put a secret inline, with what to write instead. */
const INLINE_SECRET_HINTS: Partial<Record<ObjectDef, Record<string, string>>> = {
  Credentials: {
    password: 'inline secrets are not allowed: use passwordFrom: {env: NAME} or {file: PATH}',
    username: 'use usernameFrom: {env: NAME} or {file: PATH}',
    token: 'inline secrets are not allowed: use passwordFrom: {env: NAME} or {file: PATH}',
  },
  SourceSsh: {
    privateKey: 'inline secrets are not allowed: use privateKeyFrom: {env: NAME}, {file: PATH} or {secret: {...}}',
    passphrase: 'inline secrets are not allowed: use passphraseFrom: {env: NAME}, {file: PATH} or {secret: {...}}',
    knownHosts: 'use knownHostsFrom: {env: NAME}, {file: PATH} or {secret: {...}} (an OpenSSH known_hosts file)',
  },
  Webhook: { secret: 'inline secrets are not allowed: use secretFrom: {env: NAME} or {file: PATH}' },
  VaultTokenAuth: { token: 'inline secrets are not allowed: use from: {env: NAME} or {file: PATH}' },
  VaultAppRoleAuth: {
    roleId: 'use roleIdFrom: {env: NAME} or {file: PATH}',
    secretId: 'inline secrets are not allowed: use secretIdFrom: {env: NAME} or {file: PATH}',
  },
  ImageCredentials: {
    password: 'inline secrets are not allowed: use passwordFrom: {env: NAME} or {file: PATH}',
    username: 'use usernameFrom: {env: NAME} or {file: PATH}',
    auth: 'inline secrets are not allowed: use dockerConfigJsonFrom: {env: NAME} or {file: PATH}',
    dockerConfigJson: 'inline secrets are not allowed: use dockerConfigJsonFrom: {env: NAME} or {file: PATH}',
  },
  NotificationProvider: {
    secret: 'inline secrets are not allowed: use secretFrom: {env: NAME} or {file: PATH}',
    token: 'inline secrets are not allowed: put the webhook URL in urlFrom: {env: NAME} or {file: PATH}',
  },
  CommitStatus: { token: 'inline secrets are not allowed: use tokenFrom: {env: NAME} or {file: PATH}' },
  Ui: { token: 'inline secrets are not allowed: use tokenFrom: {env: NAME}, {file: PATH} or {secret: {...}}' },
  LocalSecretRef: { value: 'inline secrets are not allowed: use {env: NAME} or {file: PATH}' },
  SecretRef: { value: 'inline secrets are not allowed: use {env: NAME}, {file: PATH} or {secret: {...}}' },
};

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** The known name closest to a misspelt one, if it is close enough to be a likely typo. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === name.toLowerCase() ? 0 : levenshtein(name, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

/** Collects issues for one config file. */
export class Issues {
  readonly list: ConfigIssue[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

/** A mapping being read: typed getters record an issue (and return undefined) on bad input. */
export class Obj {
  private constructor(
    readonly issues: Issues,
    readonly path: string,
    readonly value: Record<string, unknown>,
  ) {}

  /** Reads `value` as an object of kind `def`; unknown fields are reported with a suggestion. */
  static read(issues: Issues, path: string, value: unknown, def: ObjectDef): Obj | undefined {
    if (!isMapping(value)) {
      issues.add(path, `must be a mapping, not ${typeName(value)}`);
      return undefined;
    }
    const known: readonly string[] = FIELDS[def];
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const hint = INLINE_SECRET_HINTS[def]?.[key];
      const guess = didYouMean(key, known);
      const msg = hint ?? (guess ? `unknown field; did you mean "${guess}"?` : `unknown field; known fields: ${known.join(', ')}`);
      issues.add(`${path}.${key}`, msg);
    }
    return new Obj(issues, path, value);
  }

  at(name: string): string {
    return `${this.path}.${name}`;
  }

  has(name: string): boolean {
    return this.value[name] !== undefined && this.value[name] !== null;
  }

  raw(name: string): unknown {
    return this.value[name];
  }

  private missing(name: string): undefined {
    this.issues.add(this.at(name), 'is required');
    return undefined;
  }

  str(name: string, opts: { required?: boolean; pattern?: RegExp; patternHint?: string } = {}): string | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) return opts.required ? this.missing(name) : undefined;
    if (typeof v !== 'string' || v === '') {
      this.issues.add(this.at(name), typeof v === 'string' ? 'must not be empty' : `must be a string, not ${typeName(v)}`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      this.issues.add(this.at(name), opts.patternHint ?? `does not match ${String(opts.pattern)}`);
      return undefined;
    }
    return v;
  }

  bool(name: string, dflt: boolean): boolean {
    const v = this.value[name];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') {
      this.issues.add(this.at(name), `must be true or false, not ${typeName(v)}`);
      return dflt;
    }
    return v;
  }

  num(name: string, dflt: number, min: number, max: number): number {
    const v = this.value[name];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.issues.add(this.at(name), `must be a number from ${min} to ${max}`);
      return dflt;
    }
    return v;
  }

  list(name: string, opts: { required?: boolean } = {}): unknown[] | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) return opts.required ? this.missing(name) : undefined;
    if (!Array.isArray(v)) {
      this.issues.add(this.at(name), `must be a list, not ${typeName(v)}`);
      return undefined;
    }
    return v;
  }

  obj(name: string, def: ObjectDef, opts: { required?: boolean } = {}): Obj | undefined {
    const v = this.value[name];
    if (v === undefined || v === null) return opts.required ? this.missing(name) : undefined;
    return Obj.read(this.issues, this.at(name), v, def);
  }

  /** Exactly one of `names` must be set; returns it. */
  oneOf<N extends string>(names: readonly N[]): N | undefined {
    const set = names.filter((n) => this.has(n));
    if (set.length === 1) return set[0];
    this.issues.add(
      this.path,
      set.length === 0
        ? `must set exactly one of ${names.join(', ')}`
        : `sets ${set.join(' and ')}; exactly one of ${names.join(', ')} is allowed`,
    );
    return undefined;
  }
}
