// GitSource over SSH against the real OpenSSH sshd (test/stack/sshd.ts) serving the same bare
// repositories as the git http server: fetch by branch, tag, semver and commit; key types and
// passphrases; host key pinning; auth failures; a server killed mid-fetch. The shared stack's
// git server and sshd (useSshStack); the tests that kill sshd start one of their own on the
// same repositories, so the shared one stays up for everyone else.
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo } from '../../test/stack/gitserver.js';
import { authorizeKey, revokeKey, sshRepoUrl, startSshd } from '../../test/stack/sshd.js';
import { caught, ctx, Work } from '../../test/support/git-source-fixture.js';
import { newSshKey, useSshStack, type TestKey } from '../../test/support/ssh-fixture.js';
import { sshFingerprint } from '../git/index.js';
import { GitSource } from './git-source.js';
import type { GitRefSpec } from './types.js';

const st = useSshStack();
const sshd = {
  get info() {
    return st.ssh;
  },
};
const R = { overSsh: st.repo('over-ssh'), aborted: st.repo('aborted'), killed: st.repo('killed') };
let readKey: TestKey;

beforeAll(() => {
  // Work (git-source-fixture) clones from ctx.info.
  ctx.info = st.git;
  ctx.tmp = mkdtempSync(join(tmpdir(), 'gitops-seal-source-ssh-'));
  readKey = newSshKey('ed25519');
  st.authorize(readKey.publicKey, 'read');
});
afterAll(() => {
  if (ctx.tmp !== '') rmSync(ctx.tmp, { recursive: true, force: true });
});

function sshSource(
  repo: string,
  ref: GitRefSpec,
  key: TestKey = readKey,
  name = `ssh-${repo}`,
  knownHosts?: () => string,
  url?: string,
): GitSource {
  return new GitSource(
    {
      name,
      url: url ?? sshRepoUrl(sshd.info, repo),
      ref,
      ssh: {
        key: async () => ({ privateKey: key.privateKey, ...(key.passphrase !== undefined ? { passphrase: key.passphrase } : {}) }),
        knownHosts: async () => (knownHosts ? knownHosts() : sshd.info.knownHosts),
      },
    },
    join(ctx.tmp, 'cache'),
  );
}

describe('GitSource over SSH', () => {
  let work: Work;
  let first: string;
  let tagged: string;
  beforeAll(async () => {
    await createRepo(ctx.info, R.overSsh, { 'a.yaml': 'a: 1\n' });
    work = await Work.clone(R.overSsh);
    first = await work.git('rev-parse', 'HEAD');
    tagged = await work.commit({ 'a.yaml': 'a: 2\n' }, 'release');
    await work.git('tag', '-a', 'v1.4.0', '-m', 'v1.4.0');
    await work.git('push', '-q', 'origin', 'v1.4.0');
  });

  it('fetches a branch; an unchanged head costs one advertisement and no pack; a new commit only its objects', async () => {
    const src = sshSource(R.overSsh, { branch: 'main' });
    const rev = await src.fetch();
    expect(rev.commit).toBe(tagged);
    expect(rev.ref).toBe('refs/heads/main');
    expect(new TextDecoder().decode(await rev.readFile('a.yaml'))).toBe('a: 2\n');
    const before = src.stats;
    await src.fetch();
    expect(src.stats.requests - before.requests).toBe(1);
    expect(src.stats.fetches).toBe(before.fetches);
    const next = await work.commit({ 'b.yaml': 'b: 1\n' }, 'more');
    const rev2 = await src.fetch();
    expect(rev2.commit).toBe(next);
    expect(await src.changedFiles(tagged, next, '')).toEqual(['b.yaml']);
  });

  const pins: [string, () => GitRefSpec, () => string][] = [
    ['tag', () => ({ tag: 'v1.4.0' }), () => tagged],
    ['semver', () => ({ semver: '^1.0.0' }), () => tagged],
    // git over SSH refuses a want of an unadvertised sha by default: the every-branch fallback finds it.
    ['commit', () => ({ commit: first }), () => first],
  ];
  for (const [kind, ref, want] of pins) {
    it(`fetches by ${kind}`, async () => {
      const rev = await sshSource(R.overSsh, ref(), readKey, `ssh-pin-${kind}`).fetch();
      expect(rev.commit).toBe(want());
    });
  }

  for (const [type, passphrase, format] of [
    ['ecdsa', undefined, undefined],
    ['rsa', undefined, undefined],
    ['ed25519', 'correct horse battery', undefined],
    ['rsa', 'another passphrase', undefined],
    // `ssh-keygen -m PEM` (BEGIN RSA PRIVATE KEY, encrypted) and `-m PKCS8` (BEGIN PRIVATE KEY).
    ['rsa', 'pem pass phrase', 'PEM'],
    ['ecdsa', undefined, 'PKCS8'],
    ['rsa', undefined, 'PKCS8'],
  ] as const) {
    it(`authenticates with a${passphrase ? ' passphrase-protected' : 'n'} ${type} key${format ? ` (${format})` : ''}`, async () => {
      const key = newSshKey(type, passphrase, format);
      st.authorize(key.publicKey, 'read');
      const rev = await sshSource(
        R.overSsh,
        { branch: 'main' },
        key,
        `ssh-key-${type}-${passphrase ? 'p' : 'n'}-${format ?? 'openssh'}`,
      ).fetch();
      expect(rev.commit).toMatch(/^[0-9a-f]{40}$/);
    });
  }

  it('a wrong passphrase → auth error saying so, without the passphrase or key', async () => {
    const key = newSshKey('ed25519', 'the-right-one');
    const err = await caught(sshSource(R.overSsh, { branch: 'main' }, { ...key, passphrase: 'the-wrong-one' }, 'ssh-wrong-pass').fetch());
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(/passphrase/);
    expect(err.message).not.toContain('the-wrong-one');
    expect(err.message).not.toContain(key.privateKey.split('\n')[1]);
  });

  it('a hashed known_hosts entry (|1|salt|hash, [host]:port) is accepted', async () => {
    const salt = randomBytes(20);
    const hashed = sshd.info.knownHosts
      .trim()
      .split('\n')
      .map((l) => {
        const [host, type, b64] = l.split(' ');
        const h = createHmac('sha1', salt)
          .update(host as string)
          .digest('base64');
        return `|1|${salt.toString('base64')}|${h} ${type} ${b64}`;
      })
      .join('\n');
    const rev = await sshSource(R.overSsh, { branch: 'main' }, readKey, 'ssh-hashed', () => hashed).fetch();
    expect(rev.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a changed host key is refused, naming the host and the fingerprint seen', async () => {
    const other = newSshKey('ed25519').publicKey.split(' ');
    const wrong = `[127.0.0.1]:${sshd.info.port} ${other[0]} ${other[1]}\n`;
    const src = sshSource(R.overSsh, { branch: 'main' }, readKey, 'ssh-changed', () => wrong);
    const err = await caught(src.fetch());
    expect(err.reason).toBe('auth');
    expect(err.message).toContain(`[127.0.0.1]:${sshd.info.port}`);
    expect(err.message).toMatch(/host key verification failed.*ssh-ed25519 key SHA256:[A-Za-z0-9+/]{43}.*does not match/);
    // The fingerprint named is the server's real one.
    const real = sshd.info.knownHosts
      .split('\n')
      .find((l) => l.includes('ssh-ed25519'))
      ?.split(' ')[2] as string;
    expect(err.message).toContain(sshFingerprint(Buffer.from(real, 'base64')));
  });

  it('an unknown host is refused too (no entry for the host at all)', async () => {
    const err = await caught(
      sshSource(
        R.overSsh,
        { branch: 'main' },
        readKey,
        'ssh-unknown',
        () => 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n',
      ).fetch(),
    );
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(/no known_hosts entry for this host; the server presented \S+ key SHA256:/);
  });

  it('a removed authorized key → clear auth error', async () => {
    const key = newSshKey('ed25519');
    st.authorize(key.publicKey, 'read');
    const src = sshSource(R.overSsh, { branch: 'main' }, key, 'ssh-revoked');
    await src.fetch();
    revokeKey(sshd.info, key.publicKey);
    await work.commit({ 'c.yaml': 'c: 1\n' }, 'after revoke');
    // A new connection (the source keeps one for 5 s after a poll, as an open session would be).
    const err = await caught(sshSource(R.overSsh, { branch: 'main' }, key, 'ssh-revoked-2').fetch());
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(/refused the key for user/);
  });

  it('a missing repository → not-found', async () => {
    const err = await caught(sshSource('no-such-repo', { branch: 'main' }, readKey, 'ssh-missing').fetch());
    expect(err.reason).toBe('not-found');
  });
});

/**
 * Mid-pack by construction, not by racing the pack: upload-pack runs pack-objects through a hook
 * that sends the first 256 KiB of the pack and then holds the stream open until the test kills
 * something. (Racing a kill against a 3 MB pack lost on CI: the whole pack fitted in the pipe,
 * socket and channel buffers before a 1 ms poll saw 64 KiB arrive, and the fetch succeeded.) A
 * hook given in the environment counts as command-line config, which upload-pack honours for
 * packObjectsHook; `release()` makes later fetches plain.
 */
function stallingPack(): { env: Record<string, string>; sleeper: RegExp; release(): void; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-stall-'));
  const hook = join(dir, 'stall-pack.sh');
  writeFileSync(hook, `#!/bin/sh\n"$@" > "${dir}/pack"\nhead -c 262144 "${dir}/pack"\nexec sleep 3617\n`, { mode: 0o755 });
  return {
    env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'uploadpack.packObjectsHook', GIT_CONFIG_VALUE_0: hook },
    sleeper: /^sleep 3617/,
    release: () => writeFileSync(hook, '#!/bin/sh\nexec "$@"\n', { mode: 0o755 }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe('sshd killed mid-fetch', () => {
  it("the server's pack-objects killed mid-pack: upload-pack's abort is network, and the next poll succeeds", async () => {
    await createRepo(ctx.info, R.aborted, { 'a.yaml': 'a: 1\n' });
    const work = await Work.clone(R.aborted);
    await work.commit({ 'big.bin': randomBytes(3 << 20).toString('base64') }, 'big');
    const stall = stallingPack();
    const own = await startSshd(ctx.info.reposDir, { env: stall.env });
    try {
      const key = newSshKey('ed25519');
      authorizeKey(own.info, key.publicKey, 'read');
      const src = sshSource(R.aborted, { branch: 'main' }, key, 'ssh-aborted', () => own.info.knownHosts, sshRepoUrl(own.info, R.aborted));
      let killed = 0;
      const timer = setInterval(() => {
        if (src.stats.bytesReceived > 64 << 10 && killed === 0) killed = own.killServing(stall.sleeper);
      }, 5);
      const err = await caught(src.fetch()).finally(() => clearInterval(timer));
      expect(killed).toBe(1);
      expect(err.reason).toBe('network');
      expect(err.message).toMatch(/aborting due to possible repository corruption/);
      expect(existsSync(join(src.gitdir, 'refs', 'gitops-seal', 'last'))).toBe(false);
      stall.release();
      const rev = await src.fetch();
      expect(rev.commit).toBe(await work.git('rev-parse', 'HEAD'));
    } finally {
      await own.stop();
      stall.remove();
    }
  });

  it('fails as network with nothing half-applied, and the next poll succeeds', async () => {
    await createRepo(ctx.info, R.killed, { 'a.yaml': 'a: 1\n' });
    const work = await Work.clone(R.killed);
    await work.commit({ 'big.bin': randomBytes(3 << 20).toString('base64') }, 'big');
    const stall = stallingPack();
    const own = await startSshd(ctx.info.reposDir, { env: stall.env });
    const key = newSshKey('ed25519');
    authorizeKey(own.info, key.publicKey, 'read');
    const src = sshSource(R.killed, { branch: 'main' }, key, 'ssh-killed', () => own.info.knownHosts, sshRepoUrl(own.info, R.killed));
    let killed = false;
    const timer = setInterval(() => {
      if (src.stats.bytesReceived > 64 << 10 && !killed) {
        killed = true;
        void own.crash();
      }
    }, 5);
    const err = await caught(src.fetch()).finally(() => clearInterval(timer));
    expect(killed).toBe(true);
    expect(err.reason).toBe('network');
    const packDir = join(src.gitdir, 'objects', 'pack');
    const files = existsSync(packDir) ? readdirSync(packDir) : [];
    // A pack is only ever visible with its index; none was written.
    expect(files.filter((f) => f.endsWith('.idx'))).toEqual([]);
    expect(existsSync(join(src.gitdir, 'refs', 'gitops-seal', 'last'))).toBe(false);
    // sshd back on the same port, packing plainly: the retry fetches the whole revision.
    stall.release();
    const again = await startSshd(ctx.info.reposDir, { port: own.info.port, dir: own.info.dir });
    try {
      const rev = await src.fetch();
      expect(rev.commit).toBe(await work.git('rev-parse', 'HEAD'));
      expect((await rev.readFile('big.bin')).length).toBeGreaterThan(3 << 20);
    } finally {
      await again.stop();
      rmSync(own.info.dir, { recursive: true, force: true });
      stall.remove();
    }
  });
});
