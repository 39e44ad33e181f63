// Readers for the deployment files (deploy/, docker-compose.yml, Dockerfile), shared by the
// static tests and the integration test. Docker is not available where the tests run, so these
// files are checked by parsing them the way their consumers do.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../daemon/kube/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEPLOY = join(ROOT, 'deploy');
export const TENANT = join(DEPLOY, 'tenant');

export interface Manifest extends KubeObject {
  /** File it came from, relative to the repository root. */
  file: string;
}

export class ManifestFileError extends Error {
  constructor(file: string, cause: string) {
    super(`${file}: ${cause}`);
    this.name = 'ManifestFileError';
  }
}

/** Every object in one YAML file (multi-document). */
export function readManifests(path: string): Manifest[] {
  const rel = path.slice(ROOT.length + 1);
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  const out: Manifest[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new ManifestFileError(rel, d.errors.map((e) => e.message).join('; '));
    const obj = d.toJS() as KubeObject | null;
    if (obj) out.push({ ...obj, file: rel });
  }
  return out;
}

export interface Kustomization {
  resources: string[];
}

export function readKustomization(dir: string): Kustomization {
  return parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
}

/** The objects `kubectl apply -k dir` applies: the kustomization's resources, in order. */
export function kustomizeObjects(dir: string): Manifest[] {
  return readKustomization(dir).resources.flatMap((r) => readManifests(join(dir, r)));
}

/** YAML files directly in `dir` other than kustomization.yaml. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .sort();
}

/** The object of `kind`/`name` (first match), or an error naming what is missing. */
export function find<T = Manifest>(objs: readonly Manifest[], kind: string, name?: string): T {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new ManifestFileError('deploy', `no ${kind}${name ? ` ${name}` : ''}`);
  return o as T;
}

// --- typed views of the parts the tests look at -------------------------------------------

export interface Probe {
  httpGet?: { path: string; port: string | number };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
}
export interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  configMap?: { name: string };
  secret?: { secretName: string; optional?: boolean };
}
export interface Deployment extends Manifest {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        serviceAccountName: string;
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; seccompProfile?: { type: string } };
        containers: Container[];
        volumes: Volume[];
      };
    };
  };
}
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}
export interface Role extends Manifest {
  rules?: PolicyRule[];
  aggregationRule?: { clusterRoleSelectors: { matchLabels: Record<string, string> }[] };
}
export interface Binding extends Manifest {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}

/** Does any rule of `role` allow `verb` on `group`/`resource` (exact names; no wildcards used)? */
export function allows(role: Role, group: string, resource: string, verb: string): boolean {
  return (role.rules ?? []).some(
    (r) => (r.apiGroups ?? []).includes(group) && (r.resources ?? []).includes(resource) && r.verbs.includes(verb),
  );
}
