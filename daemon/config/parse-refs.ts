// Readers for the small shared shapes: secret references, names, URLs, durations, paths.
// Secret references are read here and only here, for every field that holds one.

import { isAbsolute, posix, resolve } from 'node:path';
import { DurationError, formatDuration, MAX_DURATION_MS, parseDuration } from './duration.js';
import { Obj, type Issues } from './fields.js';
import type { LocalSecretRef, SecretRef } from '../secret-ref.js';

export interface ReadCtx {
  issues: Issues;
  /** Directory relative file paths are resolved against (the config file's), if any. */
  baseDir?: string;
}

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const DNS_LABEL_HINT = 'must be a DNS label: lowercase letters, digits and "-", at most 63 characters';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A repository-relative path, normalized ("" is the root); undefined when it would leave the
 * checkout. Leading slashes are dropped: "/deploy" names the repository's deploy directory.
 */
export function normalizeRepoPath(raw: string): string | undefined {
  // "./" and "deploy/" name the same directories as "." and "deploy".
  const n = posix.normalize(raw.replace(/^\/+/, '') || '.').replace(/(.)\/+$/, '$1');
  if (n === '..' || n.startsWith('../')) return undefined;
  return n === '.' ? '' : n;
}

export function filePath(ctx: ReadCtx, p: string): string {
  return ctx.baseDir !== undefined && !isAbsolute(p) ? resolve(ctx.baseDir, p) : p;
}

function localForm(ctx: ReadCtx, o: Obj, which: 'env' | 'file'): LocalSecretRef | undefined {
  if (which === 'env') {
    const env = o.str('env', { pattern: ENV_NAME, patternHint: 'must be an environment variable name' });
    return env === undefined ? undefined : { env };
  }
  const file = o.str('file');
  return file === undefined ? undefined : { file: filePath(ctx, file) };
}

function kubeSecretForm(o: Obj): SecretRef | undefined {
  const s = o.obj('secret', 'KubeSecretKeyRef');
  if (!s) return undefined;
  const namespace = s.str('namespace', { required: true, pattern: DNS_LABEL, patternHint: DNS_LABEL_HINT });
  const name = s.str('name', { required: true });
  const key = s.str('key', { required: true });
  return namespace && name && key ? { secret: { namespace, name, key } } : undefined;
}

/** `{env: NAME}` or `{file: PATH}`, exactly one: where no cluster is at hand to read a Secret. */
export function readLocalSecretRef(ctx: ReadCtx, parent: Obj, name: string, required: boolean): LocalSecretRef | undefined {
  const o = parent.obj(name, 'LocalSecretRef', { required });
  const which = o?.oneOf(['env', 'file'] as const);
  return o && which ? localForm(ctx, o, which) : undefined;
}

/** `{env: NAME}`, `{file: PATH}` or `{secret: {namespace, name, key}}`, exactly one; `o` is read as a SecretRef. */
export function secretRefFrom(ctx: ReadCtx, o: Obj): SecretRef | undefined {
  const which = o.oneOf(['env', 'file', 'secret'] as const);
  if (which === 'secret') return kubeSecretForm(o);
  return which ? localForm(ctx, o, which) : undefined;
}

/** A SecretRef field (the Kubernetes Secret form allowed). */
export function readSecretRef(ctx: ReadCtx, parent: Obj, name: string, required: boolean): SecretRef | undefined {
  const o = parent.obj(name, 'SecretRef', { required });
  return o ? secretRefFrom(ctx, o) : undefined;
}

/**
 * A Go duration, > 0 and at most 240h (a timer's limit) unless `opts` says otherwise: `allowZero`
 * for "never", `maxMs` for a duration no timer waits for (the cluster key's rotation age).
 */
export function readDuration(o: Obj, name: string, dflt: string, opts: { allowZero?: boolean; maxMs?: number } = {}): number {
  const max = opts.maxMs ?? MAX_DURATION_MS;
  const v = o.raw(name) ?? dflt;
  if (typeof v !== 'string') {
    o.issues.add(o.at(name), `must be a duration string like "30s", "5m" or "1h30m", not ${typeof v}`);
    return parseDuration(dflt);
  }
  try {
    const ms = parseDuration(v);
    if (ms < 0 || (ms === 0 && !opts.allowZero) || ms > max) {
      o.issues.add(
        o.at(name),
        ms > max ? `must be at most ${formatDuration(max)}` : opts.allowZero ? 'must not be negative' : 'must be greater than zero',
      );
      return parseDuration(dflt);
    }
    return ms;
  } catch (e) {
    if (e instanceof DurationError) {
      o.issues.add(o.at(name), e.message);
      return parseDuration(dflt);
    }
    throw e;
  }
}

/** An http(s) URL. Userinfo is refused without echoing the URL: it would contain the password. */
export function readHttpUrl(o: Obj, name: string): string | undefined {
  const v = o.str(name, { required: true });
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    o.issues.add(o.at(name), 'is not a valid URL');
    return undefined;
  }
  if (u.username !== '' || u.password !== '') {
    o.issues.add(o.at(name), 'must not contain credentials; use credentials.usernameFrom/passwordFrom');
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    o.issues.add(o.at(name), `scheme ${u.protocol.replace(/:$/, '')} is not supported; use http or https`);
    return undefined;
  }
  return v;
}

export function readStringMap(o: Obj, name: string): Record<string, string> | undefined {
  const v = o.raw(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    o.issues.add(o.at(name), 'must be a mapping of strings to strings');
    return undefined;
  }
  return v as Record<string, string>;
}
