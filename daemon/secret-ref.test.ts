import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSecretRef, resolveSecretRef, SecretRefError } from './secret-ref.js';

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

describe('resolveSecretRef: {secret: {namespace, name, key}}', () => {
  const ref = { secret: { namespace: 'gitops-seal', name: 'vault', key: 'token' } };
  // A stand-in for the sync's KubeClient: the only call the resolver makes.
  const cluster = (secrets: Record<string, Record<string, string>>) => ({
    paths: [] as string[],
    async getOptional<T>(path: string): Promise<T | undefined> {
      this.paths.push(path);
      const data = secrets[path];
      return (data === undefined ? undefined : { data }) as T | undefined;
    },
  });
  const path = '/api/v1/namespaces/gitops-seal/secrets/vault';
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('reads the key of the Secret in the cluster it is given, dropping one trailing newline', async () => {
    const kube = cluster({ [path]: { token: b64('hvs.token\n') } });
    await expect(resolveSecretRef(ref, {}, kube)).resolves.toBe('hvs.token');
    expect(kube.paths).toEqual([path]);
  });

  it('names the Secret and the key, never a value, when it cannot', async () => {
    await expect(resolveSecretRef(ref, {}, cluster({}))).rejects.toThrow(
      'cannot read key token of Secret gitops-seal/vault: Secret not found',
    );
    await expect(resolveSecretRef(ref, {}, cluster({ [path]: { other: b64('x') } }))).rejects.toThrow(
      'cannot read key token of Secret gitops-seal/vault: key not found in Secret',
    );
    await expect(resolveSecretRef(ref, {}, cluster({ [path]: { token: '' } }))).rejects.toThrow(
      'key token of Secret gitops-seal/vault is empty',
    );
    const noCluster = await resolveSecretRef(ref, {}).catch((e: unknown) => e);
    expect(noCluster).toBeInstanceOf(SecretRefError);
    expect((noCluster as Error).message).toBe('key token of Secret gitops-seal/vault: no cluster to read the Secret from here');
  });

  it('describes every form', () => {
    expect(describeSecretRef({ env: 'T' })).toBe('environment variable T');
    expect(describeSecretRef({ file: '/t' })).toBe('file /t');
    expect(describeSecretRef(ref)).toBe('key token of Secret gitops-seal/vault');
  });
});
