// A Flux-style repository in the shape our users have (issue 15 item 8), generated per test run
// so that namespaces and canaries are unique on the shared cluster:
//
//   clusters/{staging,production}/     kustomizations that pull infrastructure + apps
//   infrastructure/{staging,production}/  the Namespace and a cluster-settings ConfigMap
//   apps/base/                         Deployment, Service, an encrypted Secret (a resource),
//                                      a configMapGenerator (hash suffix), labels w/ selectors
//   apps/components/monitoring/        a Component: a ConfigMap and a JSON6902 patch
//   apps/staging/                      namespace, namePrefix, labels, strategic-merge and
//                                      JSON6902 patch files, images newTag, configMapGenerator
//                                      merge + literals, replacements, secretGenerator from an
//                                      encrypted env file and from an encrypted file
//   apps/production/                   namespace, nameSuffix, annotations, inline patch,
//                                      images newName + digest, secretGenerator (encrypted env)
//   charts/webapp/                     a Helm chart (version from the options)
//   clusters/production/webapp-*.yaml  its values file and SOPS-encrypted values file
//
// Every encrypted file is made by the real `sops` binary of the stack (age), from stdin: the
// plaintext is never written to a file. `plain` holds the plaintext of each encrypted file, for
// tests that build the same tree with `kustomize build` / `helm template` to compare.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { helmSecretValues, webappChart } from './webapp-chart.js';

export { helmSecretValues, webappChart };

const run = promisify(execFile);

export type SopsFormat = 'yaml' | 'dotenv' | 'binary';

export interface FluxRepoOptions {
  /** The stack's sops binary (test/stack/tools.ts findTools().sops). */
  sops: string;
  /** The age recipient every encrypted file is sealed for. */
  recipient: string;
  /** Unique namespaces for the two clusters' apps. */
  namespaces: { staging: string; production: string };
  /** Plaintext secret values; each lands in exactly one encrypted file. */
  canaries: { db: string; api: string; tls: string; prodApi: string; helm: string };
  /** Chart version written to charts/webapp/Chart.yaml (default 1.0.0). */
  chartVersion?: string;
}

export interface FluxRepo {
  /** Every file of the repository, encrypted files as ciphertext. */
  files: Record<string, string>;
  /** The plaintext of each encrypted file (same paths): never commit these. */
  plain: Record<string, string>;
  /** The encrypted files' paths and their sops formats. */
  encrypted: Record<string, SopsFormat>;
}

/** Encrypt `plaintext` with the real sops (stdin → stdout; the name only picks rules and format). */
export async function sopsEncrypt(sops: string, recipient: string, path: string, plaintext: string, format: SopsFormat): Promise<string> {
  const args = ['encrypt', '--age', recipient, '--input-type', format, '--output-type', format, '--filename-override', path];
  if (format === 'yaml' && /\bkind:\s*Secret\b/.test(plaintext)) args.push('--encrypted-regex', '^(data|stringData)$');
  const p = run(sops, args, { env: { PATH: '/usr/bin:/bin' }, maxBuffer: 16 << 20 });
  p.child.stdin?.end(plaintext);
  return (await p).stdout;
}

/**
 * A tampered copy of a sops file: one character of the first encrypted value's ciphertext
 * changes, so its AES-GCM tag (and the MAC) no longer match. Works for every format.
 */
export function tamper(encrypted: string): string {
  const out = encrypted.replace(/(ENC\[AES256_GCM,data:)(.)/, (_m, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`);
  if (out === encrypted) throw new Error('tamper: no encrypted value found');
  return out;
}

/**
 * A copy whose MAC no longer matches while every value still decrypts (one digit of the
 * lastmodified timestamp changes, in the yaml, JSON/binary or dotenv form): the refusal then
 * happens with the plaintext already in memory — the hardest case for "nothing leaks".
 */
export function tamperMac(encrypted: string): string {
  const out = encrypted.replace(
    /(lastmodified"?\s*[:=]\s*"?\d{4}-\d\d-\d\dT\d\d:\d\d:\d)(\d)/,
    (_m, head: string, d: string) => `${head}${Number(d) ^ 1}`,
  );
  if (out === encrypted) throw new Error('tamperMac: no lastmodified found');
  return out;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function dbSecret(password: string): string {
  return `apiVersion: v1
kind: Secret
metadata:
  name: db
  labels:
    tier: data
type: Opaque
stringData:
  DB_PASSWORD: ${password}
data:
  DB_USER: ${b64('podinfo')}
`;
}

const apiEnv = (token: string, user: string): string => `API_TOKEN=${token}\nAPI_USER=${user}\n`;
const tlsKey = (body: string): string => `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;

function infrastructure(ns: string, cluster: string): Record<string, string> {
  return {
    [`infrastructure/${cluster}/kustomization.yaml`]: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  - settings.yaml
`,
    [`infrastructure/${cluster}/namespace.yaml`]: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
    [`infrastructure/${cluster}/settings.yaml`]: `apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: ${ns}
data:
  cluster: ${cluster}
`,
    [`clusters/${cluster}/kustomization.yaml`]: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../infrastructure/${cluster}
  - ../../apps/${cluster}
`,
  };
}

const BASE: Record<string, string> = {
  'apps/base/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
  # SOPS-encrypted (encrypted_regex ^(data|stringData)$): transformed by the overlays like any resource.
  - db-secret.enc.yaml
configMapGenerator:
  - name: podinfo-config
    files:
      - app.properties
labels:
  - pairs:
      app.kubernetes.io/name: podinfo
    includeSelectors: true
`,
  'apps/base/app.properties': 'log.level=info\ncache.size=64\n',
  'apps/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: 1
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.5.0
          ports:
            - containerPort: 9898
              name: http
          env:
            - name: PODINFO_UI_COLOR
              value: "#34577c"
            - name: PODINFO_LEVEL
              value: info
          envFrom:
            - secretRef:
                name: db
          volumeMounts:
            - name: config
              mountPath: /etc/podinfo
      volumes:
        - name: config
          configMap:
            name: podinfo-config
`,
  'apps/base/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: podinfo
spec:
  selector:
    app: podinfo
  ports:
    - name: http
      port: 9898
      targetPort: http
`,
  'apps/components/monitoring/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - alerts.yaml
patches:
  - target:
      kind: Deployment
    patch: |-
      - op: add
        path: /spec/template/metadata/annotations
        value:
          prometheus.io/scrape: "true"
          prometheus.io/port: "9898"
`,
  'apps/components/monitoring/alerts.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo-alerts
data:
  rules.yaml: |
    groups:
      - name: podinfo
        rules:
          - alert: PodinfoDown
            expr: up{job="podinfo"} == 0
`,
};

function staging(ns: string): Record<string, string> {
  return {
    'apps/staging/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${ns}
namePrefix: staging-
resources:
  - ../base
components:
  - ../components/monitoring
labels:
  - pairs:
      env: staging
patches:
  - path: replicas-patch.yaml
  - path: level-patch.json
    target:
      group: apps
      version: v1
      kind: Deployment
      name: podinfo
images:
  - name: ghcr.io/stefanprodan/podinfo
    newTag: 6.5.4
configMapGenerator:
  - name: podinfo-config
    behavior: merge
    literals:
      - log.level=debug
  - name: environment
    literals:
      - name=staging
      - region=eu-west-1
secretGenerator:
  # Both sources are SOPS-encrypted (dotenv and binary): decrypted in memory, never a file.
  - name: api-creds
    envs:
      - api.enc.env
  - name: tls
    files:
      - tls.key=tls.enc.key
replacements:
  - source:
      kind: ConfigMap
      name: environment
      fieldPath: data.region
    targets:
      - select:
          kind: Deployment
        fieldPaths:
          - spec.template.spec.containers.[name=podinfo].env.[name=PODINFO_LEVEL].value
`,
    'apps/staging/replicas-patch.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: podinfo
          envFrom:
            - secretRef:
                name: db
            - secretRef:
                name: api-creds
          volumeMounts:
            - name: tls
              mountPath: /tls
      volumes:
        - name: tls
          secret:
            secretName: tls
`,
    'apps/staging/level-patch.json': `[
  { "op": "replace", "path": "/spec/template/spec/containers/0/env/0/value", "value": "#ff8800" }
]
`,
  };
}

function production(ns: string): Record<string, string> {
  return {
    'apps/production/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${ns}
nameSuffix: -prod
resources:
  - ../base
components:
  - ../components/monitoring
commonAnnotations:
  team: platform
secretGenerator:
  - name: api-creds
    envs:
      - api.enc.env
patches:
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: podinfo
      spec:
        replicas: 3
        template:
          spec:
            containers:
              - name: podinfo
                resources:
                  limits:
                    memory: 256Mi
images:
  - name: ghcr.io/stefanprodan/podinfo
    newName: registry.example.com/mirror/podinfo
    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`,
  };
}

export const HELM_VALUES = 'clusters/production/webapp-values.yaml';
export const HELM_SECRET_VALUES = 'clusters/production/webapp-secrets.sops.yaml';

/** The whole repository, encrypted with the real sops. */
export async function fluxRepo(opts: FluxRepoOptions): Promise<FluxRepo> {
  const { namespaces: ns, canaries: c } = opts;
  const plain: Record<string, string> = {
    'apps/base/db-secret.enc.yaml': dbSecret(c.db),
    'apps/staging/api.enc.env': apiEnv(c.api, 'svc-staging'),
    'apps/staging/tls.enc.key': tlsKey(c.tls),
    'apps/production/api.enc.env': apiEnv(c.prodApi, 'svc-production'),
    [HELM_SECRET_VALUES]: helmSecretValues(c.helm),
  };
  const encrypted: Record<string, SopsFormat> = {
    'apps/base/db-secret.enc.yaml': 'yaml',
    'apps/staging/api.enc.env': 'dotenv',
    'apps/staging/tls.enc.key': 'binary',
    'apps/production/api.enc.env': 'dotenv',
    [HELM_SECRET_VALUES]: 'yaml',
  };
  const files: Record<string, string> = {
    'README.md': '# platform\nFlux-style layout: clusters/, infrastructure/, apps/base + overlays, charts/.\n',
    ...infrastructure(ns.staging, 'staging'),
    ...infrastructure(ns.production, 'production'),
    ...BASE,
    ...staging(ns.staging),
    ...production(ns.production),
    ...webappChart(opts.chartVersion ?? '1.0.0'),
    [HELM_VALUES]: 'replicaCount: 2\ngreeting: hello from production\n',
  };
  for (const [path, format] of Object.entries(encrypted)) {
    files[path] = await sopsEncrypt(opts.sops, opts.recipient, path, plain[path] as string, format);
  }
  return { files, plain, encrypted };
}
