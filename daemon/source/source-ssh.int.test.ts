// GitSource over SSH against the real OpenSSH sshd (test/stack/sshd.ts) serving the same bare
// repositories as the git http server: fetch by branch, tag, semver and commit; key types and
// passphrases; host key pinning; auth failures; a server killed mid-fetch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo } from '../../test/stack/gitserver.js';
import { authorizeKey, sshRepoUrl } from '../../test/stack/sshd.js';
import type { SshInfo } from '../../test/stack/types.js';
import { ctx, useGitServer, Work } from '../../test/support/git-source-fixture.js';
import { newSshKey, sshdFor, type TestKey } from '../../test/support/ssh-fixture.js';
import { GitSource } from './git-source.js';
import type { GitRefSpec } from './types.js';
import { join } from 'node:path';

useGitServer();
let sshd: { info: SshInfo; stop(): Promise<void> };
let readKey: TestKey;

beforeAll(async () => {
  sshd = await sshdFor(ctx.info.reposDir);
  readKey = newSshKey('ed25519');
  authorizeKey(sshd.info, readKey.publicKey, 'read');
});
afterAll(async () => {
  await sshd?.stop();
});

function sshSource(repo: string, ref: GitRefSpec, key: TestKey = readKey, name = `ssh-${repo}`): GitSource {
  return new GitSource(
    {
      name,
      url: sshRepoUrl(sshd.info, repo),
      ref,
      ssh: {
        key: async () => ({ privateKey: key.privateKey, ...(key.passphrase !== undefined ? { passphrase: key.passphrase } : {}) }),
        knownHosts: async () => sshd.info.knownHosts,
      },
    },
    join(ctx.tmp, 'cache'),
  );
}

describe('GitSource over SSH', () => {
  let work: Work;
  let first: string;
  beforeAll(async () => {
    await createRepo(ctx.info, 'over-ssh', { 'a.yaml': 'a: 1\n' });
    work = await Work.clone('over-ssh');
    first = await work.git('rev-parse', 'HEAD');
  });

  it('fetches a branch, then an unchanged head costs one advertisement and no pack', async () => {
    const src = sshSource('over-ssh', { branch: 'main' });
    const rev = await src.fetch();
    expect(rev.commit).toBe(first);
    expect(new TextDecoder().decode(await rev.readFile('a.yaml'))).toBe('a: 1\n');
    const before = src.stats;
    await src.fetch();
    expect(src.stats.requests - before.requests).toBe(1);
    expect(src.stats.fetches).toBe(before.fetches);
  });
});
