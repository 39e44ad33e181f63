// Builds a Kubernetes Secret in memory from kubectl-style sources (--from-literal, --from-file,
// --from-env-file), like `kubectl create secret generic`: every value goes to `data`, base64.
// Error messages name the offending source by position or key, never by value.
import { promises as fsp } from 'node:fs';
import { basename } from 'node:path';
import { InputError, UsageError, sanitizeMessage } from './errors.js';

export interface SecretSources {
  fromLiteral: string[];
  fromFile: string[];
  fromEnvFile: string[];
}

export interface SecretSpec {
  name: string;
  namespace: string;
  type: string;
}

// The key syntax the apiserver accepts for Secret/ConfigMap data (IsConfigMapKey).
const VALID_KEY = /^[-._a-zA-Z0-9]+$/;

export function validateKey(key: string, where: string): void {
  if (!VALID_KEY.test(key) || key === '.' || key === '..' || key.length > 253) {
    throw new UsageError(`${where}: key '${key}' must consist of alphanumerics, '-', '_' or '.'`);
  }
}

/** Split `KEY=VALUE` at the first '='. The argument itself is never echoed (it may be all secret). */
export function splitLiteral(arg: string, index: number): [string, string] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`--from-literal #${index + 1}: expected KEY=VALUE`);
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

/** Env file lines as kubectl reads them: `KEY=VALUE`, `#` comments, blank lines; no quoting. */
export function parseEnvFile(text: string, file: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new InputError(`line ${i + 1}: expected KEY=VALUE`, file);
    out.push([line.slice(0, eq), line.slice(eq + 1)]);
  });
  return out;
}

export async function buildSecret(
  spec: SecretSpec,
  sources: SecretSources,
  resolvePath: (p: string) => string,
): Promise<Record<string, unknown>> {
  const data = new Map<string, string>();
  const put = (key: string, value: Uint8Array | string, where: string): void => {
    validateKey(key, where);
    if (data.has(key)) throw new UsageError(`${where}: key '${key}' given more than once`);
    data.set(key, Buffer.from(value).toString('base64'));
  };

  sources.fromLiteral.forEach((arg, i) => {
    const [k, v] = splitLiteral(arg, i);
    put(k, v, `--from-literal #${i + 1}`);
  });
  for (const arg of sources.fromFile) {
    const eq = arg.indexOf('=');
    const [key, path] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [basename(arg), arg];
    let content: Buffer;
    try {
      content = await fsp.readFile(resolvePath(path));
    } catch (err) {
      throw new InputError(`cannot read: ${sanitizeMessage(err)}`, path);
    }
    put(key, content, `--from-file ${path}`);
  }
  for (const file of sources.fromEnvFile) {
    let text: string;
    try {
      text = await fsp.readFile(resolvePath(file), 'utf8');
    } catch (err) {
      throw new InputError(`cannot read: ${sanitizeMessage(err)}`, file);
    }
    for (const [k, v] of parseEnvFile(text, file)) put(k, v, `--from-env-file ${file}`);
  }
  if (data.size === 0) throw new UsageError('no data: give at least one --from-literal, --from-file or --from-env-file');

  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: spec.name, namespace: spec.namespace },
    type: spec.type,
    data: Object.fromEntries(data),
  };
}
