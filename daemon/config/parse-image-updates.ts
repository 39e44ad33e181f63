// spec.imageUpdates[]: write image policy results back to Git (see daemon/writeback).
//
//   imageUpdates:
//     - name: apps                      # DNS label, unique
//       source: platform                # a spec.sources[] name: the repository written to
//       path: ./clusters/prod           # directory scanned for markers (default: root)
//       branch: image-updates           # push branch (default: the source's branch); a missing
//                                       # branch starts from the source's branch (PR flow)
//       author: {name: fluxbot, email: bot@example.com}
//       messageTemplate: "Bump {{image}} to {{newTag}}"   # placeholders: daemon/writeback/message.ts
//       signingKey: {file: /etc/gitops-seal/bot_ed25519}  # optional: SSH-signed commits
//
// The field table lives here (not in fields.ts) so that this file owns the whole object; the
// same unknown-field messages as Obj.read are produced.
import { posix } from 'node:path';
import type { ImageUpdateSpec } from '../writeback/automation.js';
import { DEFAULT_MESSAGE_TEMPLATE, PLACEHOLDERS, unknownPlaceholders } from '../writeback/message.js';
import { didYouMean, isMapping, Obj, typeName, type Issues } from './fields.js';
import { DNS_LABEL, DNS_LABEL_HINT, filePath, type ReadCtx } from './parse-refs.js';
import type { SourceSpec } from './types.js';

export const IMAGE_UPDATE_FIELDS = {
  ImageUpdate: ['name', 'source', 'path', 'branch', 'author', 'messageTemplate', 'signingKey'],
  CommitAuthor: ['name', 'email'],
  SigningKey: ['file'],
} as const;
type Def = keyof typeof IMAGE_UPDATE_FIELDS;

const EMAIL = /^[^\s<>@]+@[^\s<>@]+$/;

/** A mapping with its unknown fields reported; undefined (reported) when it is not a mapping. */
function mapping(issues: Issues, path: string, value: unknown, def: Def): Record<string, unknown> | undefined {
  if (!isMapping(value)) {
    issues.add(path, `must be a mapping, not ${typeName(value)}`);
    return undefined;
  }
  const known: readonly string[] = IMAGE_UPDATE_FIELDS[def];
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = didYouMean(key, known);
    issues.add(`${path}.${key}`, guess ? `unknown field; did you mean "${guess}"?` : `unknown field; known fields: ${known.join(', ')}`);
  }
  return value;
}

function str(issues: Issues, path: string, v: unknown, required: boolean): string | undefined {
  if (v === undefined || v === null) {
    if (required) issues.add(path, 'is required');
    return undefined;
  }
  if (typeof v !== 'string' || v === '') {
    issues.add(path, typeof v === 'string' ? 'must not be empty' : `must be a string, not ${typeName(v)}`);
    return undefined;
  }
  return v;
}

/** `git check-ref-format --branch` rules, enough to refuse what a push would refuse. */
export function branchProblem(b: string): string | undefined {
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(b)) return 'must not contain spaces or any of ~^:?*[\\';
  if (b.startsWith('-') || b.startsWith('/') || b.endsWith('/') || b.endsWith('.') || b.endsWith('.lock')) return 'is not a valid branch name';
  if (b.includes('..') || b.includes('//') || b.includes('@{') || b === '@' || b.split('/').some((s) => s.startsWith('.'))) return 'is not a valid branch name';
  if (b.startsWith('refs/')) return 'must be a branch name, without refs/heads/';
  return undefined;
}

function repoPath(issues: Issues, path: string, raw: unknown): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string') {
    issues.add(path, 'must be a string');
    return '';
  }
  const n = posix.normalize(raw.replace(/^\/+/, '') || '.');
  if (n === '..' || n.startsWith('../')) {
    issues.add(path, 'must stay inside the repository');
    return '';
  }
  return n === '.' ? '' : n.replace(/\/+$/, '');
}

function readOne(ctx: ReadCtx, path: string, value: unknown, sources: ReadonlyMap<string, SourceSpec | null>): ImageUpdateSpec | undefined {
  const issues = ctx.issues;
  const o = mapping(issues, path, value, 'ImageUpdate');
  if (!o) return undefined;
  const name = str(issues, `${path}.name`, o.name, true);
  if (name !== undefined && !DNS_LABEL.test(name)) issues.add(`${path}.name`, DNS_LABEL_HINT);
  const source = str(issues, `${path}.source`, o.source, true);
  const branch = str(issues, `${path}.branch`, o.branch, false);
  const bp = branch === undefined ? undefined : branchProblem(branch);
  if (bp !== undefined) issues.add(`${path}.branch`, bp);
  if (source !== undefined) {
    if (!sources.has(source)) {
      const known = [...sources.keys()];
      issues.add(`${path}.source`, `no source named "${source}"${known.length ? ` (sources: ${known.join(', ')})` : ''}`);
    } else {
      const s = sources.get(source);
      // A source pinned to a tag, semver range or commit has no branch to push to.
      if (s && !('branch' in s.ref) && branch === undefined) issues.add(`${path}.branch`, `is required: source "${source}" does not follow a branch`);
    }
  }
  let author: ImageUpdateSpec['author'] | undefined;
  const a = o.author === undefined || o.author === null ? (issues.add(`${path}.author`, 'is required'), undefined) : mapping(issues, `${path}.author`, o.author, 'CommitAuthor');
  if (a) {
    const an = str(issues, `${path}.author.name`, a.name, true);
    const ae = str(issues, `${path}.author.email`, a.email, true);
    if (ae !== undefined && !EMAIL.test(ae)) issues.add(`${path}.author.email`, 'must be an email address like bot@example.com');
    if (an !== undefined && /[<>\n]/.test(an)) issues.add(`${path}.author.name`, 'must not contain <, > or newlines');
    if (an !== undefined && ae !== undefined) author = { name: an, email: ae };
  }
  const messageTemplate = str(issues, `${path}.messageTemplate`, o.messageTemplate, false) ?? DEFAULT_MESSAGE_TEMPLATE;
  const unknown = unknownPlaceholders(messageTemplate);
  if (unknown.length > 0) issues.add(`${path}.messageTemplate`, `unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(', ')}; known: ${PLACEHOLDERS.join(', ')}`);
  let signingKey: ImageUpdateSpec['signingKey'];
  if (o.signingKey !== undefined && o.signingKey !== null) {
    const k = mapping(issues, `${path}.signingKey`, o.signingKey, 'SigningKey');
    const file = k ? str(issues, `${path}.signingKey.file`, k.file, true) : undefined;
    if (file !== undefined) signingKey = { file: filePath(ctx, file) };
  }
  if (name === undefined || source === undefined || author === undefined) return undefined;
  return {
    name,
    source,
    path: repoPath(issues, `${path}.path`, o.path),
    ...(branch !== undefined ? { branch } : {}),
    author,
    messageTemplate,
    ...(signingKey ? { signingKey } : {}),
  };
}

/**
 * Validate `spec.imageUpdates` (names unique, sources exist). `sources` are the validated ones;
 * names of sources that failed validation count as existing (already reported once).
 */
export function readImageUpdates(ctx: ReadCtx, spec: Obj, sources: readonly SourceSpec[]): ImageUpdateSpec[] {
  const byName = new Map<string, SourceSpec | null>();
  for (const r of spec.list('sources') ?? []) if (isMapping(r) && typeof r.name === 'string') byName.set(r.name, null);
  for (const s of sources) byName.set(s.name, s);
  const out: ImageUpdateSpec[] = [];
  const seen = new Map<string, number>();
  (spec.list('imageUpdates') ?? []).forEach((item, i) => {
    const path = `${spec.at('imageUpdates')}[${i}]`;
    const u = readOne(ctx, path, item, byName);
    if (!u) return;
    const first = seen.get(u.name);
    if (first !== undefined) ctx.issues.add(`${path}.name`, `duplicate name "${u.name}" (also spec.imageUpdates[${first}])`);
    else seen.set(u.name, i);
    out.push(u);
  });
  return out;
}
