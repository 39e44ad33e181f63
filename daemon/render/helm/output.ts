// helm template's stdout → objects with the template file they came from. helm prints every
// document as `---\n# Source: <chart>/<path>\n<yaml>`; documents are grouped back into one
// pseudo-file per template and read with the same reader as plain YAML (kubectl semantics,
// duplicate keys refused), so a rendered object is held to the rules of a committed one.

import { ManifestError, readManifests, type ManifestObject, type ManifestProblem } from '../../manifests/index.js';

const SOURCE = /^# Source: (.+)$/m;
const SEPARATOR = /^---[ \t]*$/m;

/**
 * Splits helm's output into per-template texts (in first-seen order). `mapPath` turns helm's
 * `<chart>/templates/x.yaml` into the path errors and provenance use.
 */
export function splitBySource(stdout: string, mapPath: (source: string) => string = (s) => s): { path: string; text: string }[] {
  const byPath = new Map<string, string[]>();
  for (const chunk of stdout.split(SEPARATOR)) {
    if (chunk.trim() === '') continue;
    const source = SOURCE.exec(chunk)?.[1]?.trim();
    const path = source !== undefined ? mapPath(source) : '(helm output without # Source)';
    const list = byPath.get(path) ?? [];
    list.push(chunk.replace(/^\n/, ''));
    byPath.set(path, list);
  }
  return [...byPath].map(([path, docs]) => ({ path, text: docs.join('---\n') }));
}

/** The objects of helm's output; ManifestError lists every problem, naming the template. */
export function parseRendered(stdout: string, mapPath?: (source: string) => string): ManifestObject[] {
  const files = splitBySource(stdout, mapPath);
  const { objects } = readManifests(files);
  // A sops block in rendered output cannot be verified against any committed file: refuse it.
  const problems: ManifestProblem[] = objects
    .filter((o) => o.encrypted)
    .map((o) => ({
      file: o.file,
      index: o.index,
      line: o.line,
      message: 'rendered document carries a sops block; encrypted values belong in SOPS values files, which are decrypted before helm runs',
    }));
  if (problems.length > 0) throw new ManifestError(problems);
  return objects;
}
