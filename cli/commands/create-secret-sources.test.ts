// create-secret sources as `kubectl create secret generic` reads them (issue 13 item 15); the
// byte-for-byte comparison with a real kubectl is create-secret.int.test.ts.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../../test/support/cli-sandbox.js';
import { ExitCode } from '../errors.js';

describe('create-secret sources', () => {
  const sb = useSandbox();

  const decrypted = async (out: string): Promise<string> => {
    await sb.write('out.yaml', out);
    return (await sb.run(['decrypt', 'out.yaml'])).out;
  };

  it('gives a key over 253 characters its real reason, without echoing it', async () => {
    const key = 'k'.repeat(254);
    const r = await sb.run(['create-secret', 's', '-n', 'ns', '--from-literal', `${key}=v`, '--age', sb.recipient]);
    expect(r).toMatchObject({ code: ExitCode.USAGE, out: '' });
    expect(r.err).toBe('gitops-seal: --from-literal #1: a key of 254 characters is too long (at most 253)\n');
  });

  it('adds each regular file of a --from-file directory under its name (no subdirs, no symlinks)', async () => {
    await mkdir(join(sb.dir, 'conf/sub'), { recursive: true });
    await writeFile(join(sb.dir, 'conf/a.txt'), 'one\n');
    await writeFile(join(sb.dir, 'conf/.hidden'), 'two\n');
    await writeFile(join(sb.dir, 'conf/sub/x'), 'nested\n');
    await symlink('a.txt', join(sb.dir, 'conf/link'));
    const r = await sb.run(['create-secret', 's', '-n', 'ns', '--from-file', 'conf', '--age', sb.recipient]);
    expect(r.code).toBe(0);
    const plain = await decrypted(r.out);
    expect(plain).toContain(`a.txt: ${Buffer.from('one\n').toString('base64')}`);
    expect(plain).toContain(`.hidden: ${Buffer.from('two\n').toString('base64')}`);
    expect(plain).not.toContain('link');
    expect(plain).not.toContain(Buffer.from('nested\n').toString('base64'));
    const keyed = await sb.run(['create-secret', 's', '-n', 'ns', '--from-file', 'k=conf', '--age', sb.recipient]);
    expect(keyed).toMatchObject({ code: ExitCode.USAGE, err: 'gitops-seal: --from-file k=conf: cannot give a key name for a directory\n' });
  });

  it('reads a bare NAME line of an env file from the environment, and refuses it when unset', async () => {
    await sb.write('app.env', 'USER=admin\nDB_PASSWORD\n');
    const r = await sb.run(['create-secret', 's', '-n', 'ns', '--from-env-file', 'app.env', '--age', sb.recipient], {
      ...sb.env,
      DB_PASSWORD: 'from-env-7c1d',
    });
    expect(r.code).toBe(0);
    expect(await decrypted(r.out)).toContain(`DB_PASSWORD: ${Buffer.from('from-env-7c1d').toString('base64')}`);
    const unset = await sb.run(['create-secret', 's', '-n', 'ns', '--from-env-file', 'app.env', '--age', sb.recipient]);
    expect(unset.code).toBe(ExitCode.IO);
    expect(unset.err).toBe(
      'gitops-seal: app.env: line 2: expected KEY=VALUE, or a NAME whose value is taken from the environment (no such variable is set)\n',
    );
    await sb.write('bad.env', '1A=x\n');
    const bad = await sb.run(['create-secret', 's', '-n', 'ns', '--from-env-file', 'bad.env', '--age', sb.recipient]);
    expect(bad.err).toMatch(/^gitops-seal: bad\.env: line 1: expected KEY=VALUE with KEY a valid environment variable name/);
  });

  it('reads --from-env-file - from standard input', async () => {
    const r = await sb.run(
      ['create-secret', 's', '-n', 'ns', '--from-env-file', '-', '--age', sb.recipient],
      sb.env,
      undefined,
      'TOKEN=t0k\n',
    );
    expect(r.code).toBe(0);
    expect(await decrypted(r.out)).toContain(`TOKEN: ${Buffer.from('t0k').toString('base64')}`);
  });
});
