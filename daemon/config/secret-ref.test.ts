import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSecretRef, SecretRefError } from './secret-ref.js';

describe('resolveSecretRef', () => {
  it('reads environment variables', async () => {
    await expect(resolveSecretRef({ env: 'TOKEN' }, { TOKEN: 's3cret' })).resolves.toBe('s3cret');
    await expect(resolveSecretRef({ env: 'TOKEN' }, {})).rejects.toThrow('environment variable TOKEN is not set');
    await expect(resolveSecretRef({ env: 'TOKEN' }, { TOKEN: '' })).rejects.toThrow(SecretRefError);
  });

  it('reads files at use time, dropping one trailing newline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ref-'));
    const file = join(dir, 'token');
    await writeFile(file, 'first\n');
    await expect(resolveSecretRef({ file })).resolves.toBe('first');
    await writeFile(file, 'rotated\n\n');
    await expect(resolveSecretRef({ file })).resolves.toBe('rotated\n');
  });

  it('names the reference, never the value, when it fails', async () => {
    const file = join(tmpdir(), 'does-not-exist-gitops-seal');
    const err = await resolveSecretRef({ file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretRefError);
    expect((err as Error).message).toBe(`cannot read file ${file}: ENOENT`);
  });
});
