// renderKustomize: a sync path holding a kustomization → the objects `kustomize build` makes of
// it, with SOPS-encrypted inputs verified at the source and decrypted in memory only.
//
//   graph (graph.ts)        walk the kustomizations; refuse missing/escaping/remote refs
//   cache (cache.ts)        same inputs as last time → the last result, no render
//   sources (sops-sources)  verify + decrypt SOPS files in memory (MAC on the file as committed)
//   scratch (scratch.ts)    lay out the subtrees, SOPS resources as ciphertext, generator
//                           sources as FIFOs (fifo.ts), in a 0700 memory-backed dir
//   tool (tool.ts)          kustomize build, clean env, timeout, output cap, redacted errors
//   output (decrypt-output) decode; decrypt only ciphertext that came from verified files
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KeyContext } from '../../keys/index.js';
import type { SealedFile } from '../scope-binding/index.js';
import { AggregateDecryptError, DecryptError } from '../decrypt/index.js';
import type { Revision } from '../source/index.js';
import { contentId, renderKey, type RenderCache } from './cache.js';
import { decodeRendered, type RenderedObject } from './decrypt-output.js';
import { RenderError } from './errors.js';
import { FifoFeeder, makeFifos } from './fifo.js';
import { filesToMaterialize, kustomizationIn, walkKustomizations, type KustomizeGraph, type RepoView } from './graph.js';
import { scratchPath, scratchRoot, withScratch, writeScratchFiles } from './scratch.js';
import { openSopsSources, type OpenedSourceCache } from './sops-sources.js';
import { RenderToolError, runTool } from './tool.js';

export const DEFAULT_RENDER_TIMEOUT_MS = 120_000;
/** 64 MiB of YAML is far beyond any sync we have seen (1,000 objects ≈ 0.5 MiB). */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
const READ_CONCURRENCY = 16;

export interface KustomizeRenderInput {
  sync: string;
  /** The sync's path (repo-relative, normalized; `''` = root); holds the kustomization file. */
  path: string;
  revision: Pick<Revision, 'commit' | 'listFiles' | 'readFile' | 'fileIds'>;
  keys: KeyContext;
  /** Absolute path of the kustomize binary (bins.ts finds the daemon's). */
  kustomize: string;
  /** Identity of the binary for the cache key (its version); defaults to the path. */
  kustomizeVersion?: string;
  /** Hosts remote bases may come from (`render.kustomize.allowRemoteHosts`); none by default. */
  allowRemoteHosts?: readonly string[];
  timeoutMs?: number;
  maxOutputBytes?: number;
  /** Parent of the scratch dirs (default: /dev/shm when usable). */
  scratchRoot?: string;
  cache?: RenderCache<KustomizeRenderResult>;
  /** Verified SOPS files of this sync's last render, by blob id (one map per sync). */
  sourceCache?: OpenedSourceCache;
}

export interface KustomizeRenderResult {
  /** The rendered objects in kustomize's output order, decrypted, each with its provenance. */
  objects: RenderedObject[];
  /** The kustomization file at the sync path. */
  kustomization: string;
  /** SOPS files verified and decrypted for this render. */
  decryptedFiles: string[];
  /** Those files' recipients, documents and uses, for scope binding (daemon/scope-binding). */
  sealed: ReadonlyMap<string, SealedFile>;
  /** Files laid out for kustomize: the render's inputs. */
  inputs: string[];
  /** Tool warnings (redacted), remote references used. */
  warnings: string[];
  /** The cache key: equal keys mean equal inputs. */
  key: string;
  /** True when this result came from the cache. */
  cached: boolean;
}

/** True when the sync path is rendered by kustomize (it holds a kustomization file). */
export async function isKustomizeSync(revision: Pick<Revision, 'listFiles'>, path: string): Promise<boolean> {
  const files = await revision.listFiles(path);
  return kustomizationIn(new Set(files), path) !== undefined;
}

async function readAll(revision: KustomizeRenderInput['revision'], paths: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const p = paths[next++] as string;
      out.set(p, Buffer.from(await revision.readFile(p)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, paths.length) }, worker));
  return out;
}

const PROXY_VARS = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];

function proxyEnv(): Record<string, string> {
  return Object.fromEntries(PROXY_VARS.flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])));
}

/**
 * A Secret a secretGenerator made from SOPS sources is attributed to its first encrypted source
 * (so a refusal names the file the user edits) and marked decrypted. kustomize's output does
 * not say which generator made an object; the generator's name inside the object's name
 * (prefix/suffix and hash added around it) is the match.
 */
function attributeGenerated(objects: RenderedObject[], uses: KustomizeGraph['files'], plaintext: ReadonlyMap<string, Buffer>): void {
  const byGenerator = new Map<string, string>();
  for (const [path, list] of uses) {
    if (!plaintext.has(path)) continue;
    for (const u of list)
      if (u.ref.generator?.kind === 'secretGenerator' && !byGenerator.has(u.ref.generator.name))
        byGenerator.set(u.ref.generator.name, path);
  }
  if (byGenerator.size === 0) return;
  const names = [...byGenerator.keys()].sort((a, b) => b.length - a.length);
  for (const o of objects) {
    if (o.decrypted || o.object.kind !== 'Secret' || o.object.apiVersion !== 'v1') continue;
    const name = o.object.metadata.name ?? '';
    const gen = names.find((g) => name === g || name.startsWith(`${g}-`) || name.endsWith(`-${g}`) || name.includes(`-${g}-`));
    if (gen === undefined) continue;
    o.file = byGenerator.get(gen) as string;
    o.decrypted = true;
  }
}

export async function renderKustomize(input: KustomizeRenderInput): Promise<KustomizeRenderResult> {
  const { sync, revision } = input;
  const fail = (stage: ConstructorParameters<typeof RenderError>[1], problems: string[], cause?: unknown): never => {
    throw new RenderError(sync, stage, problems, cause === undefined ? undefined : { cause });
  };
  const ids = (await revision.fileIds?.('')) ?? new Map((await revision.listFiles('')).map((p) => [p, ''] as const));
  const allFiles = new Set(ids.keys());
  const decoder = new TextDecoder('utf-8');
  const repo: RepoView = { files: allFiles, read: async (p) => decoder.decode(await revision.readFile(p)) };
  if (kustomizationIn(allFiles, input.path) === undefined)
    fail('graph', [`${input.path || '/'}: no kustomization.yaml, kustomization.yml or Kustomization in this revision`]);
  const graph = await walkKustomizations(repo, input.path, input.allowRemoteHosts ?? []);
  if (graph.problems.length > 0) fail('graph', graph.problems);
  const inputs = filesToMaterialize(allFiles, graph);

  // Blob ids name the content, so a cache hit reads nothing; a source without ids is hashed.
  const withoutId = inputs.filter((p) => !ids.get(p));
  const early = await readAll(revision, withoutId);
  const key = renderKey({
    tool: 'kustomize',
    toolIdentity: `${input.kustomize}@${input.kustomizeVersion ?? ''}`,
    path: input.path,
    settings: [`allowRemoteHosts=${[...(input.allowRemoteHosts ?? [])].sort().join(',')}`],
    files: inputs.map((p) => [p, ids.get(p) || contentId(early.get(p) ?? Buffer.alloc(0))] as const),
  });
  // A remote base can change without a commit here: never served from the cache.
  const cacheable = graph.remotes.length === 0;
  const hit = cacheable ? input.cache?.get(sync, key) : undefined;
  if (hit) return { ...hit, cached: true };
  const rest = await readAll(
    revision,
    inputs.filter((p) => !early.has(p)),
  );
  const bytes = new Map([...early, ...rest]);

  const texts = new Map([...graph.files.keys()].map((p) => [p, decoder.decode(bytes.get(p) ?? Buffer.alloc(0))] as const));
  const sources = await openSopsSources(texts, graph.files, input.keys, input.sourceCache ? { ids, cache: input.sourceCache } : undefined);
  if (sources.problems.length > 0)
    fail(
      'decrypt',
      sources.problems.map((p) => `${p.file}: ${p.message}`),
      // Typed per file, so the engine's refusal keeps each file's reason (tamper metrics).
      new AggregateDecryptError(
        sources.problems.map((p) => new DecryptError(p.file, p.message, p.reason === 'not-supported' ? 'other' : p.reason)),
      ),
    );

  const root = input.scratchRoot ?? scratchRoot();
  const result = await withScratch(async (dir) => {
    const fifos: { path: string; content: Buffer }[] = [];
    try {
      const regular = new Map<string, Uint8Array>();
      for (const p of inputs) {
        const plain = sources.generatorPlaintext.get(p);
        if (plain !== undefined) fifos.push({ path: scratchPath(dir, p), content: plain });
        else regular.set(p, bytes.get(p) ?? Buffer.alloc(0));
      }
      await writeScratchFiles(dir, regular);
      for (const d of new Set(fifos.map((f) => dirname(f.path)))) await mkdir(d, { recursive: true, mode: 0o700 });
      await makeFifos(fifos.map((f) => f.path));
    } catch (err) {
      // ENOSPC on a small /dev/shm is the likely case: say where, and how to move it.
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      const hint =
        (err as NodeJS.ErrnoException).code === 'ENOSPC' ? '; set GITOPS_SEAL_RENDER_DIR to a larger memory-backed directory' : '';
      fail('tool', [`${graph.root}: cannot lay out ${inputs.length} files for kustomize in ${root} (${why})${hint}`], err);
    }
    const feeder = new FifoFeeder(fifos);
    feeder.start();
    let out;
    try {
      out = await runTool({
        sync,
        subject: graph.root,
        tool: 'kustomize',
        bin: input.kustomize,
        // Defaults kept on purpose: no exec/alpha plugins, no helm, files restricted to the
        // kustomization root (LoadRestrictionsRootOnly).
        args: ['build', input.path === '' ? '.' : input.path],
        cwd: dir,
        scratch: dir,
        // Only a render that fetches an allow-listed remote gets the daemon's proxy settings.
        env: graph.remotes.length > 0 ? proxyEnv() : {},
        timeoutMs: input.timeoutMs ?? DEFAULT_RENDER_TIMEOUT_MS,
        maxOutputBytes: input.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        secrets: () => sources.secrets,
        onSpawn: (pid) => feeder.setReader(pid),
      });
    } catch (err) {
      if (err instanceof RenderToolError)
        fail(
          'tool',
          [
            err.toolMessage
              ? `${graph.root}: kustomize build failed (${err.reason}): ${err.toolMessage}`
              : `${graph.root}: kustomize build failed (${err.reason})`,
          ],
          err,
        );
      throw err;
    } finally {
      await feeder.stop();
    }
    if (feeder.error) fail('tool', [`${graph.root}: ${feeder.error.message}`]);
    return out;
  }, root);

  const decoded = decodeRendered(result.stdout.toString('utf8'), graph.root, sources.ciphertexts);
  if (decoded.problems.length > 0) fail('output', decoded.problems);
  attributeGenerated(decoded.objects, graph.files, sources.generatorPlaintext);
  const warnings = [
    ...(result.stderr ? [`${graph.root}: kustomize: ${result.stderr}`] : []),
    ...graph.remotes.map((r) => `${r.kustomization}: ${r.field} "${r.value}" fetched from allow-listed host ${r.host}`),
  ];
  const rendered: KustomizeRenderResult = {
    objects: decoded.objects,
    kustomization: graph.root,
    decryptedFiles: sources.decryptedFiles,
    sealed: sources.sealed,
    inputs,
    warnings,
    key,
    cached: false,
  };
  if (cacheable) input.cache?.set(sync, key, rendered);
  return rendered;
}
