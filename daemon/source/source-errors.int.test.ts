// GitSource failure modes against the real git server: auth, missing repo, refused and hung
// connections (never a credential in any error text), and SSH commit signature verification.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRepo } from '../../test/stack/gitserver.js';
import { GitSource } from './git-source.js';
import { caught, ctx, run, source, useGitServer, Work } from '../../test/support/git-source-fixture.js';

useGitServer();

describe('GitSource errors never leak credentials', () => {
  beforeAll(async () => {
    await createRepo(ctx.info, 'private', { 'a.yaml': 'a: 1\n' });
  });

  it('wrong password → SourceError(auth) naming source, url and ref, without the password', async () => {
    const wrong = 'S3cret-wrong-pass';
    const err = await caught(
      source('private', { branch: 'main' }, { auth: async () => ({ username: ctx.info.username, password: wrong }) }).fetch(),
    );
    expect(err.reason).toBe('auth');
    expect(err.message).toContain('src-private');
    expect(err.message).toContain(`${ctx.info.url}private.git`);
    expect(err.message).toContain('branch main');
    expect(err.message).toMatch(/401/);
    expect(`${err.message} ${err.stack} ${JSON.stringify(err)} ${inspect(err, { depth: 10, showHidden: true })}`).not.toContain(wrong);
    // Credentials in the URL: stripped from every message.
    const inUrl = new URL(`${ctx.info.url}private.git`);
    inUrl.username = 'seal';
    inUrl.password = wrong;
    const err2 = await caught(
      new GitSource({ name: 'u', url: inUrl.toString(), ref: { branch: 'main' } }, join(ctx.tmp, 'cache')).resolve(),
    );
    expect(err2.reason).toBe('auth');
    expect(`${err2.message} ${err2.stack} ${JSON.stringify(err2)} ${inspect(err2, { depth: 10, showHidden: true })}`).not.toContain(wrong);
    // ... and they do work when right.
    inUrl.password = ctx.info.password;
    expect(
      (await new GitSource({ name: 'u2', url: inUrl.toString(), ref: { branch: 'main' } }, join(ctx.tmp, 'cache')).fetch()).commit,
    ).toMatch(/^[0-9a-f]{40}$/);
  });

  it('no credentials → SourceError(auth) saying none are configured', async () => {
    const err = await caught(
      new GitSource({ name: 'anon', url: `${ctx.info.url}private.git`, ref: { branch: 'main' } }, join(ctx.tmp, 'cache')).fetch(),
    );
    expect(err.reason).toBe('auth');
    expect(err.message).toContain('none are configured');
  });

  it('a failing credentials provider → SourceError(auth) before any request', async () => {
    const src = source(
      'private',
      { branch: 'main' },
      {
        auth: async () => {
          throw new Error('vault sealed\nsecret=should-not-appear');
        },
      },
    );
    const err = await caught(src.fetch());
    expect(err.reason).toBe('auth');
    expect(err.message).toContain('credentials provider failed: vault sealed');
    expect(err.message).not.toContain('should-not-appear');
    expect(src.stats.requests).toBe(0);
  });

  it('missing repository → SourceError(not-found)', async () => {
    const err = await caught(source('does-not-exist', { branch: 'main' }).fetch());
    expect(err.reason).toBe('not-found');
    expect(err.message).toMatch(/404/);
  });

  it('connection refused → SourceError(network)', async () => {
    const port = await new Promise<number>((ok) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => ok(p));
      });
    });
    const err = await caught(
      new GitSource({ name: 'down', url: `http://127.0.0.1:${port}/x.git`, ref: { branch: 'main' } }, join(ctx.tmp, 'cache')).fetch(),
    );
    expect(err.reason).toBe('network');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('a server that accepts and never answers → SourceError(network) after the idle timeout', async () => {
    const sockets: Socket[] = [];
    const hang = createServer((s) => void sockets.push(s));
    await new Promise<void>((ok) => hang.listen(0, '127.0.0.1', ok));
    const port = (hang.address() as { port: number }).port;
    try {
      const t0 = performance.now();
      const err = await caught(
        new GitSource({ name: 'hang', url: `http://127.0.0.1:${port}/x.git`, ref: { branch: 'main' } }, join(ctx.tmp, 'cache'), {
          idleTimeoutMs: 500,
        }).resolve(),
      );
      expect(err.reason).toBe('network');
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => hang.close(ok));
    }
  });
});

describe('GitSource with commit signature verification', () => {
  let work: Work;
  let signers: string;
  let key: string;

  beforeAll(async () => {
    await createRepo(ctx.info, 'signed', { 'a.yaml': 'a: 0\n' });
    work = await Work.clone('signed');
    key = join(ctx.tmp, 'id_signer');
    await run('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-f', key]);
    signers = join(ctx.tmp, 'allowed_signers');
    const [type, b64] = readFileSync(`${key}.pub`, 'utf8').split(' ');
    writeFileSync(signers, `dev@example.com ${type} ${b64}\n`);
  });

  it('accepts a commit signed by an allowed signer and rejects an unsigned one', async () => {
    const src = source('signed', { branch: 'main' }, { verify: { allowedSignersFile: signers } });
    await work.git('config', 'gpg.format', 'ssh');
    await work.git('config', 'user.signingkey', key);
    const signed = await work.commit({ 'a.yaml': 'a: 1\n' }, 'signed');
    await work.git('commit', '-q', '-S', '--amend', '--no-edit');
    await work.git('push', '-q', '-f', 'origin', 'HEAD');
    const signedSha = await work.git('rev-parse', 'HEAD');
    expect(signedSha).not.toBe(signed);
    expect((await src.fetch()).commit).toBe(signedSha);
    expect(src.lastVerifiedSignature?.principals).toEqual(['dev@example.com']);

    await work.git('config', 'commit.gpgsign', 'false');
    const unsigned = await work.commit({ 'a.yaml': 'a: 2\n' }, 'unsigned');
    const err = await caught(src.fetch());
    expect(err.reason).toBe('signature');
    expect(err.message).toContain(unsigned);
    expect(err.message).toContain('not signed');
  });
});
