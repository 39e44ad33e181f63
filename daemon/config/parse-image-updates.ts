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
import { posix } from 'node:path';
import type { ImageUpdateSpec } from '../writeback/types.js';
import { DEFAULT_MESSAGE_TEMPLATE, PLACEHOLDERS, unknownPlaceholders } from '../writeback/message.js';
import { isMapping, Obj } from './fields.js';
import { DNS_LABEL, DNS_LABEL_HINT, filePath, type ReadCtx } from './parse-refs.js';
import type { SourceSpec } from './types.js';

const EMAIL = /^[^\s<>@]+@[^\s<>@]+$/;

/** `git check-ref-format --branch` rules, enough to refuse what a push would refuse. */
export function branchProblem(b: string): string | undefined {
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(b)) return 'must not contain spaces or any of ~^:?*[\\';
  if (b.startsWith('-') || b.startsWith('/') || b.endsWith('/') || b.endsWith('.') || b.endsWith('.lock'))
    return 'is not a valid branch name';
  if (b.includes('..') || b.includes('//') || b.includes('@{') || b === '@' || b.split('/').some((s) => s.startsWith('.')))
    return 'is not a valid branch name';
  if (b.startsWith('refs/')) return 'must be a branch name, without refs/heads/';
  return undefined;
}

function repoPath(o: Obj): string {
  const raw = o.raw('path');
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string') {
    o.issues.add(o.at('path'), 'must be a string');
    return '';
  }
  const n = posix.normalize(raw.replace(/^\/+/, '') || '.');
  if (n === '..' || n.startsWith('../')) {
    o.issues.add(o.at('path'), 'must stay inside the repository');
    return '';
  }
  return n === '.' ? '' : n.replace(/\/+$/, '');
}

function readAuthor(o: Obj): ImageUpdateSpec['author'] | undefined {
  const a = o.obj('author', 'CommitAuthor', { required: true });
  if (!a) return undefined;
  const name = a.str('name', { required: true });
  const email = a.str('email', { required: true });
  if (email !== undefined && !EMAIL.test(email)) a.issues.add(a.at('email'), 'must be an email address like bot@example.com');
  if (name !== undefined && /[<>\n]/.test(name)) a.issues.add(a.at('name'), 'must not contain <, > or newlines');
  return name !== undefined && email !== undefined ? { name, email } : undefined;
}

function readOne(ctx: ReadCtx, path: string, value: unknown, sources: ReadonlyMap<string, SourceSpec | null>): ImageUpdateSpec | undefined {
  const o = Obj.read(ctx.issues, path, value, 'ImageUpdate');
  if (!o) return undefined;
  const name = o.str('name', { required: true });
  if (name !== undefined && !DNS_LABEL.test(name)) o.issues.add(o.at('name'), DNS_LABEL_HINT);
  const source = o.str('source', { required: true });
  const branch = o.str('branch');
  const bp = branch === undefined ? undefined : branchProblem(branch);
  if (bp !== undefined) o.issues.add(o.at('branch'), bp);
  if (source !== undefined) {
    if (!sources.has(source)) {
      const known = [...sources.keys()];
      o.issues.add(o.at('source'), `no source named "${source}"${known.length ? ` (sources: ${known.join(', ')})` : ''}`);
    } else {
      const s = sources.get(source);
      // A source pinned to a tag, semver range or commit has no branch to push to.
      if (s && !('branch' in s.ref) && branch === undefined)
        o.issues.add(o.at('branch'), `is required: source "${source}" does not follow a branch`);
    }
  }
  const author = readAuthor(o);
  const messageTemplate = o.str('messageTemplate') ?? DEFAULT_MESSAGE_TEMPLATE;
  const unknown = unknownPlaceholders(messageTemplate);
  if (unknown.length > 0)
    o.issues.add(
      o.at('messageTemplate'),
      `unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(', ')}; known: ${PLACEHOLDERS.join(', ')}`,
    );
  const k = o.obj('signingKey', 'SigningKey');
  const keyFile = k?.str('file', { required: true });
  const signingKey: ImageUpdateSpec['signingKey'] = keyFile === undefined ? undefined : { file: filePath(ctx, keyFile) };
  if (name === undefined || source === undefined || author === undefined) return undefined;
  return {
    name,
    source,
    path: repoPath(o),
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
