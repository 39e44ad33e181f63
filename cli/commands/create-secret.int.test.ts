// create-secret builds the same `data` as the real `kubectl create secret generic` (issue 13
// item 15): a --from-file directory, env-file lines (with a bare NAME taken from the
// environment), literals. kubectl runs client-side (--dry-run=client), no apiserver needed.
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sandbox, type Sandbox } from '../../test/support/cli-sandbox.js';

const run = promisify(execFile);

describe('create-secret vs kubectl create secret generic', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox();
    await mkdir(join(sb.dir, 'conf/sub'), { recursive: true });
    await writeFile(join(sb.dir, 'conf/tls.crt'), Buffer.from([0, 1, 2, 255, 10]));
    await writeFile(join(sb.dir, 'conf/.hidden'), 'two\n');
    await writeFile(join(sb.dir, 'conf/sub/nested'), 'x\n');
    await symlink('tls.crt', join(sb.dir, 'conf/link'));
    await writeFile(join(sb.dir, 'app.env'), '\uFEFF# comment\n\nUSER=admin\n  PASS=a=b \nFROM_ENV\nEMPTY=\n');
  });
  afterAll(async () => {
    await sb.cleanup();
  });

  // kubectl refuses --from-env-file together with the other sources, so two cases.
  const cases: Array<[string, string[], string[]]> = [
    ['a directory and literals', ['--from-file', 'conf', '--from-literal', 'token=x=y'], ['.hidden', 'tls.crt', 'token']],
    ['an env file', ['--from-env-file', 'app.env'], ['EMPTY', 'FROM_ENV', 'PASS', 'USER']],
  ];
  for (const [what, sources, keys] of cases) {
    it(`produces the same data for ${what}`, async () => {
      const env = { ...sb.env, FROM_ENV: 'value from the environment' };
      const { stdout } = await run(
        inject('stack').bins.kubectl,
        ['create', 'secret', 'generic', 's', '-n', 'ns', '--dry-run=client', '-o', 'json', ...sources],
        { cwd: sb.dir, env: { ...env, KUBECONFIG: join(sb.dir, 'no-kubeconfig') } },
      );
      const theirs = (JSON.parse(stdout) as { data: Record<string, string> }).data;
      const ours = await sb.run(['create-secret', 's', '-n', 'ns', ...sources, '--age', sb.recipient], env);
      expect(ours.code).toBe(0);
      await sb.write('out.yaml', ours.out);
      const plain = parse((await sb.run(['decrypt', 'out.yaml'])).out) as { data: Record<string, string> };
      expect(plain.data).toEqual(theirs);
      expect(Object.keys(theirs).sort()).toEqual(keys);
    });
  }
});
