// parseConfig / loadConfig: YAML text → validated DaemonConfig, or a ConfigError listing every problem.

import { readFile } from 'node:fs/promises';
import { readImageUpdates } from './parse-image-updates.js';
import { parseImages } from './parse-images.js';
import { dirname, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';
import { expandDocument, type Env } from './expand.js';
import { syntaxIssue } from './syntax.js';
import { Issues, isMapping, Obj } from './fields.js';
import { readDuration, readStringMap, type ReadCtx } from './parse-refs.js';
import { readSource } from './parse-source.js';
import { readSync } from './parse-sync.js';
import { readCommitStatus, readNotifications } from './parse-notify.js';
import { readUi } from './parse-ui.js';
import { API_VERSION, DEFAULT_LISTEN, KIND, type DaemonConfig, type SyncSpec } from './types.js';
import type { ClusterKeySpec } from '../cluster-key/types.js';

export interface ParseConfigOptions {
  /** Directory that relative file paths in the config are relative to; loadConfig uses the file's. */
  baseDir?: string;
  /** Variables for `${NAME}` expansion in values (expand.ts); default process.env. */
  env?: Env;
}

const LISTEN = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

function readListen(o: Obj): string {
  const v = o.str('listen', { pattern: LISTEN, patternHint: 'must be host:port, e.g. "127.0.0.1:9797", ":9797" or "[::1]:9797"' });
  if (v === undefined) return DEFAULT_LISTEN;
  if (Number(LISTEN.exec(v)?.[2]) > 65535) {
    o.issues.add(o.at('listen'), 'port must be at most 65535');
    return DEFAULT_LISTEN;
  }
  return v;
}

/** 30 days, Sealed Secrets' default key renewal period; and how often the leader looks at the Secret. */
const CLUSTER_KEY_DEFAULTS = { rotateEvery: '720h', checkInterval: '1m' } as const;

/** spec.clusterKey: defaults filled in; durations as milliseconds. */
function readClusterKey(spec: Obj): ClusterKeySpec | undefined {
  const o = spec.obj('clusterKey', 'ClusterKey');
  if (!o) return undefined;
  return {
    enabled: o.bool('enabled', false),
    // Not a timer: compared with the newest key's age, so longer than a timer's 240h is fine.
    rotateEveryMs: readDuration(o, 'rotateEvery', CLUSTER_KEY_DEFAULTS.rotateEvery, { allowZero: true, maxMs: MAX_ROTATE_EVERY_MS }),
    checkIntervalMs: readDuration(o, 'checkInterval', CLUSTER_KEY_DEFAULTS.checkInterval),
  };
}

/** 10 years: "never" is written 0. */
const MAX_ROTATE_EVERY_MS = 87_600 * 3_600_000;

/** A sync may decrypt with the cluster key only when the daemon holds one. */
function checkClusterKeyUse(issues: Issues, clusterKey: ClusterKeySpec | undefined, syncs: SyncSpec[], rawSyncs: unknown[]): void {
  if (clusterKey?.enabled) return;
  for (const s of syncs) {
    if (!s.decryption?.clusterKey) continue;
    const i = rawSyncs.findIndex((r) => isMapping(r) && r.name === s.name);
    issues.add(
      `spec.syncs[${i}].decryption.clusterKey`,
      'the daemon holds no cluster key: set spec.clusterKey.enabled: true (or remove clusterKey from this sync)',
    );
  }
}

function readList<T>(ctx: ReadCtx, o: Obj, name: string, read: (ctx: ReadCtx, path: string, v: unknown) => T | undefined): T[] {
  const out: T[] = [];
  (o.list(name) ?? []).forEach((item, i) => {
    const r = read(ctx, `${o.at(name)}[${i}]`, item);
    if (r !== undefined) out.push(r);
  });
  return out;
}

function checkUnique(issues: Issues, items: { name: string }[], path: string): void {
  const seen = new Map<string, number>();
  items.forEach((it, i) => {
    const first = seen.get(it.name);
    if (first !== undefined) issues.add(`${path}[${i}].name`, `duplicate name "${it.name}" (also ${path}[${first}])`);
    else seen.set(it.name, i);
  });
}

/** The names in a raw list (entries that failed validation included: reported once, not again as dangling). */
function rawNames(raw: unknown[]): string[] {
  return raw.map((r) => (isMapping(r) ? r.name : undefined)).filter((n): n is string => typeof n === 'string');
}

function checkSourceRefs(issues: Issues, rawSources: unknown[], syncs: SyncSpec[], rawSyncs: unknown[]): void {
  // Names from the raw list: a source that failed validation is already reported; do not report its
  // syncs as dangling too.
  const names = new Set(rawSources.map((r) => (isMapping(r) ? r.name : undefined)).filter((n): n is string => typeof n === 'string'));
  syncs.forEach((s) => {
    const i = rawSyncs.findIndex((r) => isMapping(r) && r.name === s.name);
    if (!names.has(s.source)) {
      const known = [...names];
      issues.add(`spec.syncs[${i}].source`, `no source named "${s.source}"${known.length ? ` (sources: ${known.join(', ')})` : ''}`);
    }
  });
}

/** Path like `spec.syncs[2].decryption` → ['spec', 'syncs', 2, 'decryption']. */
function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? ''));
  return out;
}

/** Line of the field, or of its nearest ancestor present in the file. */
function lineOf(doc: Document, lc: LineCounter, path: string): number | undefined {
  const segs = pathSegments(path);
  for (let n = segs.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segs.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

export function parseConfig(text: string, sourceName: string, opts: ParseConfigOptions = {}): DaemonConfig {
  const lc = new LineCounter();
  // YAML 1.2 core schema: `yes` stays a string here and is reported, rather than silently becoming true.
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new ConfigError(sourceName, [syntaxIssue(doc.errors, lc, text)]);
  const expansionIssues = expandDocument(doc, lc, opts.env ?? process.env);
  if (expansionIssues.length > 0) throw new ConfigError(sourceName, expansionIssues);
  const issues = new Issues();
  const ctx: ReadCtx = { issues, ...(opts.baseDir !== undefined ? { baseDir: opts.baseDir } : {}) };
  let tree: unknown;
  try {
    tree = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // The yaml package reports an alias without anchor (or alias bombs) only here, as a ReferenceError.
    throw new ConfigError(sourceName, [{ path: '', message: `YAML: ${e instanceof Error ? e.message : String(e)}` }]);
  }
  if (tree === null || tree === undefined) {
    throw new ConfigError(sourceName, [
      { path: '', message: `is empty (or only comments): a DaemonConfig needs apiVersion: ${API_VERSION}, kind: ${KIND} and spec` },
    ]);
  }
  const root = Obj.read(issues, '', tree, 'DaemonConfig');
  let config: DaemonConfig | undefined;
  if (root) {
    if (root.raw('apiVersion') !== API_VERSION) issues.add('apiVersion', `must be "${API_VERSION}"`);
    if (root.raw('kind') !== KIND) issues.add('kind', `must be "${KIND}"`);
    const md = root.obj('metadata', 'Metadata');
    const metadata: DaemonConfig['metadata'] = {};
    if (md) {
      const name = md.str('name');
      const labels = readStringMap(md, 'labels');
      const annotations = readStringMap(md, 'annotations');
      Object.assign(metadata, name ? { name } : {}, labels ? { labels } : {}, annotations ? { annotations } : {});
    }
    const spec = root.obj('spec', 'Spec', { required: true });
    if (spec) {
      const sources = readList(ctx, spec, 'sources', readSource);
      const syncs = readList(ctx, spec, 'syncs', readSync);
      checkUnique(issues, sources, 'spec.sources');
      checkUnique(issues, syncs, 'spec.syncs');
      checkSourceRefs(issues, spec.list('sources') ?? [], syncs, spec.list('syncs') ?? []);
      const clusterKey = readClusterKey(spec);
      checkClusterKeyUse(issues, clusterKey, syncs, spec.list('syncs') ?? []);
      const imageUpdates = readImageUpdates(ctx, spec, sources);
      const notifications = readNotifications(ctx, spec, rawNames(spec.list('syncs') ?? []), rawNames(spec.list('imageUpdates') ?? []));
      const commitStatus = readCommitStatus(ctx, spec, syncs, rawNames(spec.list('sources') ?? []));
      const ui = readUi(ctx, spec);
      config = {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata,
        spec: {
          listen: readListen(spec),
          sources,
          syncs,
          images: parseImages(spec.list('images') ?? [], issues, opts.baseDir),
          imageUpdates,
          ...(clusterKey ? { clusterKey } : {}),
          ...(notifications ? { notifications } : {}),
          ...(commitStatus ? { commitStatus } : {}),
          ...(ui ? { ui } : {}),
        },
      };
    }
  }
  if (issues.list.length > 0 || !config) {
    const located: ConfigIssue[] = issues.list.map((i) => {
      const path = i.path.replace(/^\./, '');
      const line = lineOf(doc, lc, path);
      return { ...i, path, ...(line !== undefined ? { line } : {}) };
    });
    // In file order, as a user reads the file (Array.prototype.sort is stable).
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new ConfigError(sourceName, located);
  }
  return config;
}

export async function loadConfig(path: string): Promise<DaemonConfig> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const plain: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory' };
    throw new ConfigError(abs, [{ path: '', message: `cannot read config file: ${code}${plain[code] ? ` (${plain[code]})` : ''}` }]);
  }
  return parseConfig(text, abs, { baseDir: dirname(abs) });
}
