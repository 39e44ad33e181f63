// Image write-back over SSH against the real OpenSSH sshd (test/stack/sshd.ts): a write key
// pushes the bump commit through git-receive-pack; a read-only deploy key is refused with a
// push-rejected error that names the server's reason, and nothing is lost. The shared stack's
// git server and sshd (useSshStack).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo } from '../../test/stack/gitserver.js';
import { sshRepoUrl } from '../../test/stack/sshd.js';
import { newSshKey, useSshStack, type TestKey } from '../../test/support/ssh-fixture.js';
import { ImageUpdateAutomation } from './automation.js';
import type { ImagePolicyEntry } from './update.js';

const run = promisify(execFile);
const st = useSshStack();
let tmp = '';
let writeKey: TestKey;
let readKey: TestKey;
let n = 0;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'gitops-seal-wb-ssh-'));
  writeKey = newSshKey('ed25519');
  readKey = newSshKey('ecdsa');
  st.authorize(writeKey.publicKey, 'write');
  st.authorize(readKey.publicKey, 'read');
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
});

const APP = 'image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "app"}\n';
const policies: ImagePolicyEntry[] = [
  { name: 'app', namespaces: [], matchAnyNamespace: false, value: { image: 'ghcr.io/acme/app', tag: '1.1.0' } },
];

async function automation(key: TestKey): Promise<{ repo: string; auto: ImageUpdateAutomation }> {
  const repo = st.repo(`wb-ssh-${n++}`);
  await createRepo(st.git, repo, { 'deploy/app.yaml': APP });
  const auto = new ImageUpdateAutomation(
    { name: 'apps', source: 'platform', path: 'deploy', author: { name: 'Image Bot', email: 'bot@example.com' } },
    {
      url: sshRepoUrl(st.ssh, repo),
      branch: 'main',
      ssh: { key: async () => ({ privateKey: key.privateKey }), knownHosts: async () => st.ssh.knownHosts },
    },
    join(tmp, `cache-${repo}`),
    { backoffMs: 10 },
  );
  return { repo, auto };
}

describe('image write-back over SSH', () => {
  it('a write key pushes the bump commit', async () => {
    const { repo, auto } = await automation(writeKey);
    const r = await auto.run(policies);
    expect(r.reason, r.detail).toBe('pushed');
    const bare = join(st.git.reposDir, `${repo}.git`);
    expect((await run('git', ['-C', bare, 'rev-parse', 'main'])).stdout.trim()).toBe(r.commit);
    expect((await run('git', ['-C', bare, 'show', 'main:deploy/app.yaml'])).stdout).toBe(APP.replace('1.0.0', '1.1.0'));
    await run('git', ['-C', bare, 'fsck', '--strict', '--no-progress']);
    // Nothing new to do: no second commit.
    expect((await auto.run(policies)).reason).toBe('no-change');
  });

  it('a read-only deploy key: the push is refused with the server reason, the branch untouched', async () => {
    const { repo, auto } = await automation(readKey);
    const bare = join(st.git.reposDir, `${repo}.git`);
    const before = (await run('git', ['-C', bare, 'rev-parse', 'main'])).stdout.trim();
    const r = await auto.run(policies);
    expect(r.reason).toBe('error');
    expect(r.detail).toMatch(/read-only/);
    expect(r.detail).not.toContain(readKey.privateKey.split('\n')[1]);
    expect((await run('git', ['-C', bare, 'rev-parse', 'main'])).stdout.trim()).toBe(before);
  });
});
