// `check` on kustomizations (issue 15 item 7). A secretGenerator copies its `files:`/`envs:`/`env:`
// sources into a Secret, so a plaintext source is a plaintext Secret committed: reported like
// one, naming the generator and the kustomization that read it. Its `literals:` are plaintext in
// the kustomization itself. An encrypted source that the walk does not check itself (dotenv and
// binary files are not YAML/JSON) is handed back for verification like any encrypted file.
// What a kustomization names and what counts as encrypted come from the render module, so
// `check` and the daemon's render agree (daemon/render/README.md, "Secrets in a Kustomize tree").
import { basename, dirname, isAbsolute, posix } from 'node:path';
import { parse } from 'yaml';
import type { CliContext } from '../context.js';
import { readText } from '../io.js';
import type { PathFilter } from '../path-filter.js';
import { EncodingError } from '../utf8.js';
import type { Skipped } from '../walk.js';

/** A kustomization file the walk found, with its text. */
export interface KustomizationFile {
  path: string;
  text: string;
}

/** An encrypted generator source to verify with the keys at hand. */
export interface SourceToVerify {
  path: string;
  text: string;
  format: 'yaml' | 'json' | 'dotenv' | 'binary';
}

export interface GeneratorCheck {
  problems: { path: string; reason: string }[];
  skipped: Skipped[];
  verify: SourceToVerify[];
  /** Sources read here that the walk did not check (they count as checked files). */
  checked: number;
}

/** Cheap pre-filter so the render module is loaded only when a kustomization is among the files. */
export function mayBeKustomization(path: string): boolean {
  return basename(path).toLowerCase().startsWith('kustomization');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `secretGenerator` entries with `literals:`, by generator name, with the literal keys (never values). */
function plaintextLiterals(text: string): [string, string[]][] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return []; // not YAML: kustomize refuses it; not a secret problem
  }
  if (!isObj(doc) || !Array.isArray(doc.secretGenerator)) return [];
  return doc.secretGenerator.flatMap((g: unknown, i: number): [string, string[]][] => {
    if (!isObj(g) || !Array.isArray(g.literals) || g.literals.length === 0) return [];
    const keys = g.literals.map((l) => (typeof l === 'string' ? l.slice(0, Math.max(0, l.indexOf('='))) || '?' : '?'));
    return [[typeof g.name === 'string' ? g.name : String(i), keys]];
  });
}

/**
 * The secretGenerator problems of `kustomizations`. `walked` holds the files the walk checks
 * anyway (an encrypted YAML/JSON source among them is verified there, not twice).
 */
export async function checkGeneratorSources(
  ctx: CliContext,
  kustomizations: KustomizationFile[],
  walked: ReadonlySet<string>,
  exclude: PathFilter | undefined,
): Promise<GeneratorCheck> {
  const render = await import('../../daemon/render/index.js');
  const out: GeneratorCheck = { problems: [], skipped: [], verify: [], checked: 0 };
  const seen = new Set<string>();
  const read = new Set<string>();
  for (const k of kustomizations) {
    if (!(render.KUSTOMIZATION_FILES as readonly string[]).includes(basename(k.path))) continue;
    for (const [name, keys] of plaintextLiterals(k.text))
      out.problems.push({
        path: k.path,
        reason: `secretGenerator "${name}" has plaintext literals (not encrypted with sops): ${keys.join(', ')}`,
      });
    for (const ref of render.parseKustomization(k.text, k.path).refs) {
      if (ref.generator === undefined || isAbsolute(ref.value) || /^[a-z][\w+.-]*:\/\//i.test(ref.value)) continue;
      const { kind, name } = ref.generator;
      const path = posix.normalize(posix.join(dirname(k.path), ref.value));
      const by = `${kind} "${name}" in ${k.path}`;
      if (seen.has(`${path}\0${kind}`)) continue;
      seen.add(`${path}\0${kind}`);
      const pattern = exclude?.match(ctx.resolvePath(path), false);
      if (pattern !== undefined) {
        out.skipped.push({ path, reason: `excluded by '${pattern}' (a source of ${by})` });
        continue;
      }
      let text: string;
      try {
        text = await readText(ctx, path);
      } catch (err) {
        // Not UTF-8 (a DER key, a keystore): as binary it can only be a plaintext source.
        if (err instanceof EncodingError) text = err.lossy;
        else {
          out.skipped.push({ path, reason: `not found (a source of ${by})` });
          continue;
        }
      }
      if (!walked.has(path) && !read.has(path)) out.checked++;
      read.add(path);
      const encrypted = render.isEncryptedSource(path, text);
      const format = render.sopsFormatOf(path);
      if (kind === 'configMapGenerator') {
        if (encrypted)
          out.problems.push({
            path,
            reason: `encrypted source of ${by}: the daemon refuses it (its plaintext would land in a ConfigMap); use a secretGenerator`,
          });
        continue;
      }
      if (!encrypted) {
        if (text.trim() !== '') out.problems.push({ path, reason: `plaintext source of ${by} (not encrypted with sops)` });
      } else if (format === 'ini') {
        out.problems.push({ path, reason: `source of ${by}: sops ini files are not supported (use dotenv, yaml, json or binary)` });
      } else if (!walked.has(path)) out.verify.push({ path, text, format });
    }
  }
  return out;
}
