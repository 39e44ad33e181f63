// Kubeconfig loading as the daemon does it (credentials.ts): client-node's semantics, computed in a
// worker for static credentials and token files, in this thread for exec plugins.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { KubeconfigError, loadAuth, loadAuthInThread } from './credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nnot-a-real-ca\n-----END CERTIFICATE-----\n');
function kubeconfig(name: string, users: Record<string, unknown>[], current = 'main'): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': current,
      clusters: [
        { name: 'a', cluster: { server: 'https://a.example:6443', 'certificate-authority-data': CA.toString('base64') } },
        { name: 'b', cluster: { server: 'https://b.example:6443/', 'insecure-skip-tls-verify': true } },
      ],
      contexts: [
        { name: 'main', context: { cluster: 'a', user: 'u0' } },
        { name: 'other', context: { cluster: 'b', user: 'u1' } },
      ],
      users: users.map((user, i) => ({ name: `u${i}`, user })),
    }),
  );
  return file;
}

// Each load starts a worker that imports client-node: seconds on a loaded 2-core machine.
describe('loadAuth', { timeout: 60_000 }, () => {
  it('static credentials: server, CA, bearer token or basic auth of the chosen context', async () => {
    const file = kubeconfig('static', [{ token: 'tok-main' }, { username: 'ann', password: 'pw' }]);
    const main = await loadAuth({ kubeconfig: file });
    expect(main.server).toBe('https://a.example:6443');
    expect(Buffer.from(main.tls.ca as Uint8Array).equals(CA)).toBe(true);
    expect(await main.headers()).toEqual({ authorization: 'Bearer tok-main' });
    const other = await loadAuth({ kubeconfig: file, context: 'other' });
    expect(other.server).toBe('https://b.example:6443');
    expect(other.tls.rejectUnauthorized).toBe(false);
    expect((await other.headers()).authorization).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
    await expect(loadAuth({ kubeconfig: file, context: 'nope' })).rejects.toThrow('kubeconfig has no context "nope"');
    await expect(loadAuthInThread({ kubeconfig: file, context: 'nope' })).rejects.toThrow(
      `kubeconfig ${file}: kubeconfig has no context "nope"`,
    );
    await expect(loadAuth({ kubeconfig: join(dir, 'missing') })).rejects.toThrow(/ENOENT/);
  });

  it('a token file (as the in-cluster ServiceAccount) is re-read after a minute', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'sa-token-1');
    const auth = await loadAuth({ kubeconfig: kubeconfig('file', [{ 'auth-provider': { name: 'tokenFile', config: { tokenFile } } }]) });
    expect(await auth.headers()).toEqual({ authorization: 'Bearer sa-token-1' });
    writeFileSync(tokenFile, 'sa-token-2');
    expect((await auth.headers()).authorization).toBe('Bearer sa-token-1');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    expect((await auth.headers()).authorization).toBe('Bearer sa-token-2');
  });

  it('an exec plugin is run through client-node (its tokens need the library to refresh)', async () => {
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token-42"}}'\n`,
      { mode: 0o755 },
    );
    const auth = await loadAuth({
      kubeconfig: kubeconfig('exec', [
        { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } },
      ]),
    });
    expect(auth.server).toBe('https://a.example:6443');
    expect((await auth.headers()).authorization).toBe('Bearer exec-token-42');
  });

  it('a KUBECONFIG list is merged as client-node merges it, read from the given environment', async () => {
    const first = kubeconfig('list-1', [{ token: 'tok-1' }]);
    const second = join(dir, 'list-2');
    writeFileSync(
      second,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://c.example:6443', 'insecure-skip-tls-verify': true } }],
        contexts: [{ name: 'third', context: { cluster: 'c', user: 'u9' } }],
        users: [{ name: 'u9', user: { token: 'tok-9' } }],
      }),
    );
    const env = { KUBECONFIG: [first, join(dir, 'absent'), second].join(delimiter) };
    for (const load of [loadAuth, loadAuthInThread]) {
      const auth = await load({ env, context: 'third' });
      expect(auth.server).toBe('https://c.example:6443');
      expect(await auth.headers()).toEqual({ authorization: 'Bearer tok-9' });
      expect((await load({ env })).server).toBe('https://a.example:6443');
    }
    await expect(loadAuth({ env: { HOME: join(dir, 'nohome') } })).rejects.toThrow(KubeconfigError);
  });
});
