// What a kustomization file points at: every field of kustomize v5 that names a path, a
// directory or a URL. The graph walk (graph.ts) resolves these against the revision to know
// which files a render reads, which are SOPS-encrypted, and which point off the repository.
import { posix } from 'node:path';
import { parse } from 'yaml';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** How kustomize uses a reference, which decides what it may resolve to. */
export type RefKind =
  | 'target' // resources/bases/components: a file, a directory holding a kustomization, or a remote
  | 'file' // patches, crds, configurations, openapi, replacements: a local file
  | 'plugin' // generators/transformers/validators: a file or a kustomization directory (inline configs are skipped)
  | 'generator-source'; // configMapGenerator/secretGenerator files/envs/env: a local file

export interface KustomizationRef {
  kind: RefKind;
  /** Field as written, e.g. `resources`, `patches[2].path`, `secretGenerator[app].envs`. */
  field: string;
  /** The value as written (relative to the kustomization's directory, or a URL). */
  value: string;
  /** For generator sources: which generator, and `files` (content is one value) or `envs` (KEY=value lines). */
  generator?: { kind: 'secretGenerator' | 'configMapGenerator'; name: string; use: 'files' | 'envs' };
}

export interface ParsedKustomization {
  refs: KustomizationRef[];
  /** Problems with the file itself (not YAML, not a mapping, fields kustomize would reject). */
  problems: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A patchesStrategicMerge / plugin entry that is the YAML itself rather than a path. */
function isInline(s: string): boolean {
  return s.includes('\n') || /^\s*[\w.-]+:\s/.test(s) || s.trimStart().startsWith('{');
}

/** `key=path` or `path` of a generator's `files:` entry. */
export function generatorFilePath(entry: string): string {
  const eq = entry.indexOf('=');
  return eq >= 0 ? entry.slice(eq + 1) : entry;
}

export function parseKustomization(text: string, file: string): ParsedKustomization {
  const refs: KustomizationRef[] = [];
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true });
  } catch (err) {
    return { refs, problems: [`${file}: not valid YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`] };
  }
  if (doc === null || doc === undefined) return { refs, problems };
  if (!isObj(doc)) return { refs, problems: [`${file}: a kustomization must be a mapping`] };
  const add = (kind: RefKind, field: string, values: string[]): void => {
    for (const value of values) refs.push({ kind, field, value });
  };
  add('target', 'resources', strings(doc.resources));
  add('target', 'bases', strings(doc.bases));
  add('target', 'components', strings(doc.components));
  add('file', 'crds', strings(doc.crds));
  add('file', 'configurations', strings(doc.configurations));
  if (isObj(doc.openapi) && typeof doc.openapi.path === 'string') add('file', 'openapi.path', [doc.openapi.path]);
  add('file', 'patchesStrategicMerge', strings(doc.patchesStrategicMerge).filter((s) => !isInline(s)));
  for (const field of ['patches', 'patchesJson6902', 'replacements'] as const) {
    const list: unknown[] = Array.isArray(doc[field]) ? (doc[field] as unknown[]) : [];
    list.forEach((p, i) => {
      if (isObj(p) && typeof p.path === 'string') add('file', `${field}[${i}].path`, [p.path]);
    });
  }
  for (const field of ['generators', 'transformers', 'validators'] as const) add('plugin', field, strings(doc[field]).filter((s) => !isInline(s)));
  for (const kind of ['configMapGenerator', 'secretGenerator'] as const) {
    const list: unknown[] = Array.isArray(doc[kind]) ? (doc[kind] as unknown[]) : [];
    list.forEach((g, i) => {
      if (!isObj(g)) return;
      const name = typeof g.name === 'string' ? g.name : String(i);
      const push = (use: 'files' | 'envs', field: string, value: string): void => {
        refs.push({ kind: 'generator-source', field: `${kind}[${name}].${field}`, value, generator: { kind, name, use } });
      };
      for (const f of strings(g.files)) push('files', 'files', generatorFilePath(f));
      for (const e of strings(g.envs)) push('envs', 'envs', e);
      if (typeof g.env === 'string') push('envs', 'env', g.env);
    });
  }
  // kustomize's own helm support needs --enable-helm and downloads charts; a Helm sync renders
  // charts with our own rules instead (issue 15 item 3).
  if (doc.helmCharts !== undefined || doc.helmChartInflationGenerator !== undefined) {
    problems.push(`${file}: helmCharts in a kustomization are not rendered (kustomize's helm support fetches charts and runs helm outside our rules); use a Helm sync for the chart`);
  }
  return { refs, problems };
}

/** The repo-relative path `value` names from the kustomization dir, or undefined when it leaves the repository. */
export function resolveRef(dir: string, value: string): string | undefined {
  // An absolute path would name a file of the daemon's host, not of the repository.
  if (posix.isAbsolute(value)) return undefined;
  const joined = posix.normalize(posix.join(dir === '' ? '.' : dir, value.replace(/\/+$/, '')));
  if (joined === '..' || joined.startsWith('../') || posix.isAbsolute(joined)) return undefined;
  return joined === '.' ? '' : joined;
}
