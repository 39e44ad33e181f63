// References to secret values (`{env: NAME}` or `{file: PATH}`), resolved when they are used rather than
// at load time so that rotated files and tokens are picked up without a restart. Errors name the
// reference, never the value.

import { readFile } from 'node:fs/promises';

export type SecretRef = { env: string } | { file: string };

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
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

/**
 * The value a reference points at. A single trailing line break is removed from file contents
 * (`echo token > file` is the common way to write them); an empty value is an error.
 */
export async function resolveSecretRef(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let value: string;
  if ('env' in ref) {
    const v = env[ref.env];
    if (v === undefined) throw new SecretRefError(`${describeSecretRef(ref)} is not set`, ref);
    value = v;
  } else {
    try {
      value = (await readFile(ref.file, 'utf8')).replace(/\r?\n$/, '');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new SecretRefError(`cannot read ${describeSecretRef(ref)}: ${code}`, ref, { cause: e });
    }
  }
  if (value === '') throw new SecretRefError(`${describeSecretRef(ref)} is empty`, ref);
  return value;
}
