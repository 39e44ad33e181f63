// The one workload both tools sync in bench/flux.ts (issue 17): 1,000 objects without a namespace
// (each tool's targetNamespace places them), in ~130 files:
//
//   crd.yaml                 1 CRD benchwidgets.bench.gitops-seal.io (namespaced kind BenchWidget)
//   widgets/w-NN.yaml        100 BenchWidget CRs, 50 per file
//   secrets/s-NNN.yaml       100 Secrets, one per file, SOPS-encrypted for age with
//                            encrypted_regex ^(data|stringData)$ (half `data`, half `stringData`)
//   deployments/d-NN.yaml    100 Deployments (replicas 0: the shared cluster runs no pods for us)
//   services/svc-NN.yaml     100 Services (ClusterIP)
//   configmaps/cm-NN.yaml    598 ConfigMaps, 50 per file; seed.yaml: one more (cm-0000)
//
// `seed.yaml` alone is the first commit of every branch (both tools start from an applied
// revision); the rest is the measured commit. Every object carries the label WORKLOAD_LABEL so
// the parity check and the counters find exactly these. Secrets are sealed in-process by keys/
// (the same format as `sops encrypt`; Flux's decryptor reads them with the sops Go library).
import { encryptText } from '../../keys/index.js';

export const WORKLOAD_LABEL = 'bench.gitops-seal.io/workload';
export const CRD_GROUP = 'bench.gitops-seal.io';
export const CRD_NAME = `benchwidgets.${CRD_GROUP}`;

export interface WorkloadCounts {
  configmaps: number;
  secrets: number;
  deployments: number;
  services: number;
  benchwidgets: number;
}

/** What 1,000 objects are made of (the CRD is the thousandth). */
export const COUNTS: WorkloadCounts = { configmaps: 599, secrets: 100, deployments: 100, services: 100, benchwidgets: 100 };

const PER_FILE = 50;
const pad = (i: number, n = 4): string => String(i).padStart(n, '0');
const labels = `  labels:\n    ${WORKLOAD_LABEL}: flux-bench\n`;

export const cmName = (i: number): string => `cm-${pad(i)}`;

function configMap(i: number, rev: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${cmName(i)}\n${labels}data:\n  index: "${i}"\n  rev: ${rev}\n  payload: "${'x'.repeat(200)}"\n`;
}

function deployment(i: number): string {
  const app = `app-${pad(i, 3)}`;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
${labels}spec:
  replicas: 0
  selector:
    matchLabels: {app: ${app}}
  template:
    metadata:
      labels: {app: ${app}}
    spec:
      containers:
        - name: web
          image: registry.invalid/bench/web:1.${i}.0
          ports: [{containerPort: 8080}]
          env: [{name: INDEX, value: "${i}"}]
          resources: {requests: {cpu: 10m, memory: 16Mi}}
`;
}

function service(i: number): string {
  const app = `app-${pad(i, 3)}`;
  return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\n${labels}spec:\n  selector: {app: ${app}}\n  ports:\n    - {name: http, port: 80, targetPort: 8080}\n`;
}

function widget(i: number): string {
  return `apiVersion: ${CRD_GROUP}/v1\nkind: BenchWidget\nmetadata:\n  name: widget-${pad(i, 3)}\n${labels}spec:\n  size: ${i}\n  color: ${i % 2 ? 'blue' : 'green'}\n`;
}

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${CRD_NAME}
${labels}spec:
  group: ${CRD_GROUP}
  scope: Namespaced
  names: {plural: benchwidgets, singular: benchwidget, kind: BenchWidget, listKind: BenchWidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
                color: {type: string}
`;

/** A Secret's plaintext: a value per object; `data` (base64) for even i, `stringData` for odd. */
function secretPlain(i: number): string {
  const value = `bench-secret-${pad(i, 3)}-value`;
  const body = i % 2 ? `stringData:\n  password: ${value}\n` : `data:\n  password: ${Buffer.from(value).toString('base64')}\n`;
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-${pad(i, 3)}\n${labels}type: Opaque\n${body}`;
}

function chunks<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

export const SEED_FILE = 'seed.yaml';
export const seedFiles = (): Record<string, string> => ({ [SEED_FILE]: configMap(0, 'r1') });

/** The ConfigMap the one-file change edits, the one the drift step patches, the tampered commit's. */
export const CHANGED_CM = 500;
export const DRIFT_CM = 100;
export const TAMPER_CM = 200;
export const TAMPERED_SECRET = 7;

/** The file holding ConfigMap i (i ≥ 1). */
const cmFile = (i: number): string => `configmaps/cm-${pad(Math.floor((i - 1) / PER_FILE), 2)}.yaml`;

export interface Workload {
  /** Every file of the measured commit (the seed file included), Secrets as ciphertext. */
  files: Record<string, string>;
  /** The one-file change: the file that holds CHANGED_CM, with its `rev` set to `r2`. */
  change: Record<string, string>;
  /** A commit that sets TAMPER_CM's rev to r3 and carries a SOPS Secret whose ciphertext was altered. */
  tampered: Record<string, string>;
}

/** The workload's files; the Secrets are sealed for `recipient` (age). */
export async function workload(recipient: string): Promise<Workload> {
  const files: Record<string, string> = { ...seedFiles(), 'crd.yaml': CRD };
  const cmFiles = new Map<string, number[]>();
  for (const i of range(1, COUNTS.configmaps)) cmFiles.set(cmFile(i), [...(cmFiles.get(cmFile(i)) ?? []), i]);
  const cmText = (ids: number[], rev: (i: number) => string): string => ids.map((i) => configMap(i, rev(i))).join('---\n');
  for (const [f, ids] of cmFiles) files[f] = cmText(ids, () => 'r1');
  chunks(range(0, COUNTS.deployments), 10).forEach(
    (ids, k) => (files[`deployments/d-${pad(k, 2)}.yaml`] = ids.map(deployment).join('---\n')),
  );
  chunks(range(0, COUNTS.services), 10).forEach((ids, k) => (files[`services/svc-${pad(k, 2)}.yaml`] = ids.map(service).join('---\n')));
  chunks(range(0, COUNTS.benchwidgets), PER_FILE).forEach(
    (ids, k) => (files[`widgets/w-${pad(k, 2)}.yaml`] = ids.map(widget).join('---\n')),
  );
  const seal = (path: string, text: string): Promise<string> =>
    encryptText(text, { format: 'yaml', source: path, keys: { age: [recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } }, {});
  const secretPath = (i: number): string => `secrets/s-${pad(i, 3)}.yaml`;
  for (const i of range(0, COUNTS.secrets)) files[secretPath(i)] = await seal(secretPath(i), secretPlain(i));

  const changedFile = cmFile(CHANGED_CM);
  const change = { [changedFile]: cmText(cmFiles.get(changedFile) ?? [], (i) => (i === CHANGED_CM ? 'r2' : 'r1')) };
  const tamperFile = cmFile(TAMPER_CM);
  const tamperedSecret = files[secretPath(TAMPERED_SECRET)] ?? '';
  const tampered = {
    [tamperFile]: cmText(cmFiles.get(tamperFile) ?? [], (i) => (i === TAMPER_CM ? 'r3' : 'r1')),
    [secretPath(TAMPERED_SECRET)]: tamperCiphertext(tamperedSecret),
  };
  return { files, change, tampered };
}

/** Flips one base64 character of the first `ENC[AES256_GCM,data:…]` value: the MAC no longer matches. */
export function tamperCiphertext(text: string): string {
  const m = /ENC\[AES256_GCM,data:([A-Za-z0-9+/=]+),/.exec(text);
  if (!m?.[1]) throw new Error('tamperCiphertext: no ENC[AES256_GCM,data:…] value in the file');
  const at = (m.index ?? 0) + 'ENC[AES256_GCM,data:'.length;
  const c = text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + c + text.slice(at + 1);
}

/** The value a ConfigMap of the workload holds under `rev` after the given steps. */
export const revOf = (i: number, step: 'initial' | 'change' | 'tampered'): string =>
  step === 'change' && i === CHANGED_CM ? 'r2' : step === 'tampered' && i === TAMPER_CM ? 'r3' : 'r1';
