// References to secret values, resolved when they are used rather than at load time so that
// rotated files, tokens and Secrets are picked up without a restart. Errors name the reference,
// never the value. A leaf: no project imports, so every folder (config, images, engine, git,
// notifications) may use it without tying itself to another.
//
// Three forms, the same everywhere a config refers to a secret:
//   {env: NAME}                          a variable of the daemon's environment
//   {file: PATH}                         a file (one trailing line break dropped)
//   {secret: {namespace, name, key}}     a key of a Kubernetes Secret (one trailing line break
//                                        dropped, as for a file: `--from-file` keeps it)
// A Secret is read in the cluster of the reference's consumer (for decryption: the sync's), so
// the resolver is handed that cluster's client; config/fields.ts says where the form is allowed.

import { readFile } from 'node:fs/promises';

export interface KubeSecretKeyRef {
  namespace: string;
  name: string;
  key: string;
}

/** A reference read from the daemon's own process: its environment or its filesystem. */
export type LocalSecretRef = { env: string } | { file: string };
export type SecretRef = LocalSecretRef | { secret: KubeSecretKeyRef };

/** Reads Kubernetes objects; a KubeClient is one. Undefined when the object does not exist. */
export interface SecretGetter {
  getOptional<T>(path: string): Promise<T | undefined>;
}

export class SecretRefError extends Error {
  override readonly name = 'SecretRefError';
  constructor(
    message: string,
    readonly ref: SecretRef,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function describeSecretRef(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  return `key ${ref.secret.key} of Secret ${ref.secret.namespace}/${ref.secret.name}`;
}

async function readSecretKey(ref: { secret: KubeSecretKeyRef }, kube: SecretGetter | undefined): Promise<string> {
  const { namespace, name, key } = ref.secret;
  if (!kube) throw new SecretRefError(`${describeSecretRef(ref)}: no cluster to read the Secret from here`, ref);
  const s = await kube.getOptional<{ data?: Record<string, string> }>(
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
  );
  const b64 = s?.data?.[key];
  if (b64 === undefined)
    throw new SecretRefError(`cannot read ${describeSecretRef(ref)}: ${s ? 'key not found in Secret' : 'Secret not found'}`, ref);
  return Buffer.from(b64, 'base64').toString('utf8');
}

/**
 * The value a reference points at. A single trailing line break is removed from file and Secret
 * contents (`echo token > file` is the common way to write them); an empty value is an error.
 * `kube` reads `{secret: ...}` references; errors of the cluster itself pass through as they are.
 */
export async function resolveSecretRef(ref: SecretRef, env: NodeJS.ProcessEnv = process.env, kube?: SecretGetter): Promise<string> {
  let value: string;
  if ('env' in ref) {
    const v = env[ref.env];
    if (v === undefined) throw new SecretRefError(`${describeSecretRef(ref)} is not set`, ref);
    value = v;
  } else if ('file' in ref) {
    try {
      value = (await readFile(ref.file, 'utf8')).replace(/\r?\n$/, '');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new SecretRefError(`cannot read ${describeSecretRef(ref)}: ${code}`, ref, { cause: e });
    }
  } else {
    value = (await readSecretKey(ref, kube)).replace(/\r?\n$/, '');
  }
  if (value === '') throw new SecretRefError(`${describeSecretRef(ref)} is empty`, ref);
  return value;
}
