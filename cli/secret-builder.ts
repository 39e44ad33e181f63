// Builds a Kubernetes Secret in memory from kubectl-style sources (--from-literal, --from-file,
// --from-env-file), like `kubectl create secret generic`: every value goes to `data`, base64.
// Error messages name the offending source by position or key, never by value.
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { Document, isScalar, Scalar, visit } from 'yaml';
import { CliError, InputError, UsageError, sanitizeMessage } from './errors.js';
import { decodeUtf8 } from './utf8.js';

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
const MAX_KEY_LENGTH = 253;
// What kubectl accepts as a name in an env file (IsEnvVarName): no leading digit.
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function validateKey(key: string, where: string): void {
  // Length first, and without echoing: a 254-character "key" is more likely pasted data.
  if (key.length > MAX_KEY_LENGTH)
    throw new UsageError(`${where}: a key of ${key.length} characters is too long (at most ${MAX_KEY_LENGTH})`);
  if (!VALID_KEY.test(key) || key === '.' || key === '..') {
    throw new UsageError(`${where}: key '${key}' must consist of alphanumerics, '-', '_' or '.'`);
  }
}

/** Split `KEY=VALUE` at the first '='. The argument itself is never echoed (it may be all secret). */
export function splitLiteral(arg: string, index: number): [string, string] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`--from-literal #${index + 1}: expected KEY=VALUE`);
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

/**
 * Env file lines as kubectl reads them: leading whitespace dropped, `#` comments and blank lines
 * skipped, `KEY=VALUE` split at the first '=', no quoting; a line that is only a NAME takes the
 * value of that environment variable. kubectl uses "" when the variable is unset; we refuse the
 * line instead, since a bare line is as likely a pasted value or a typo, and it would become a
 * key, which sops leaves in plaintext. Lines are named by number, never quoted.
 */
export function parseEnvFile(text: string, file: string, env: NodeJS.ProcessEnv = {}): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (!ENV_VAR_NAME.test(key)) {
      throw new InputError(
        `line ${i + 1}: expected KEY=VALUE with KEY a valid environment variable name ([-._a-zA-Z][-._a-zA-Z0-9]*)`,
        file,
      );
    }
    if (eq >= 0) {
      out.push([key, line.slice(eq + 1)]);
      return;
    }
    const value = env[key];
    if (value === undefined) {
      throw new InputError(
        `line ${i + 1}: expected KEY=VALUE, or a NAME whose value is taken from the environment (no such variable is set)`,
        file,
      );
    }
    out.push([key, value]);
  });
  return out;
}

/** What building a Secret may read besides files: the environment (env files) and stdin (`-`). */
export interface SecretIO {
  env?: NodeJS.ProcessEnv;
  readStdin?: () => Promise<string>;
}

export async function buildSecret(
  spec: SecretSpec,
  sources: SecretSources,
  resolvePath: (p: string) => string,
  io: SecretIO = {},
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
    const [key, path] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [undefined, arg];
    for (const [k, content] of await readFileSource(key, path, resolvePath)) put(k, content, `--from-file ${path}`);
  }
  for (const file of sources.fromEnvFile) {
    let text: string;
    try {
      text = file === '-' && io.readStdin ? await io.readStdin() : decodeUtf8(await fsp.readFile(resolvePath(file)), file);
    } catch (err) {
      throw err instanceof CliError ? err : new InputError(`cannot read: ${sanitizeMessage(err)}`, file);
    }
    for (const [k, v] of parseEnvFile(text, file === '-' ? '(stdin)' : file, io.env)) put(k, v, `--from-env-file ${file}`);
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

/**
 * `--from-file [KEY=]PATH`: a file under KEY (default its name), or, like kubectl, every regular
 * file directly in a directory under its own name (subdirectories and symlinks are skipped;
 * a KEY cannot be given for a directory).
 */
async function readFileSource(key: string | undefined, path: string, resolvePath: (p: string) => string): Promise<Array<[string, Buffer]>> {
  const abs = resolvePath(path);
  try {
    if (!(await fsp.stat(abs)).isDirectory()) return [[key ?? basename(path), await fsp.readFile(abs)]];
    if (key !== undefined) throw new UsageError(`--from-file ${key}=${path}: cannot give a key name for a directory`);
    const out: Array<[string, Buffer]> = [];
    const entries = (await fsp.readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) if (e.isFile()) out.push([e.name, await fsp.readFile(join(abs, e.name))]);
    return out;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new InputError(`cannot read: ${sanitizeMessage(err)}`, path);
  }
}

/**
 * The Secret as YAML that sops' go-yaml reads back with every scalar a string. The `yaml`
 * package quotes only what YAML 1.2 core would retype; go-yaml also reads `0b10`, `1_000` and
 * `2027-01-01` as numbers and a time (and then a key is refused as not a string), and kubectl
 * reads `yes`/`on` as bools. `needsQuotes` is keys/' rule for that (`yamlNeedsQuotes`).
 */
export function secretYaml(secret: Record<string, unknown>, needsQuotes: (s: string) => boolean): string {
  const doc = new Document(secret);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && needsQuotes(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
    Pair(_key, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string' && needsQuotes(pair.key.value)) pair.key.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString();
}
