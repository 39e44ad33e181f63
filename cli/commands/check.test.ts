import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../errors.js';
import { secretYaml, useSandbox } from '../../test/support/cli-sandbox.js';

const CANARY = 'canary-check-55d1';
const CANARY_B64 = Buffer.from(CANARY).toString('base64');

describe('check', () => {
  const sb = useSandbox(async (sb) => {
    await mkdir(join(sb.dir, 'apps/db'), { recursive: true });
    await mkdir(join(sb.dir, 'node_modules/x'), { recursive: true });
    await sb.write('apps/db/secret.yaml', secretYaml('db', { password: CANARY }));
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 'apps/db/secret.yaml'])).code).toBe(0);
    await sb.write('apps/db/deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db}\n');
    await sb.write('node_modules/x/s.yaml', secretYaml('ignored', { a: CANARY }));
    await sb.write('keys.txt.bak', 'not checked');
  });

  it('passes a clean tree', async () => {
    const r = await sb.run(['check']);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.err).toBe('check: 2 files checked, no problems\n');
  });

  it('reports plaintext Secrets (multi-doc too) as path: reason with exit 1, no values', async () => {
    await sb.write('apps/leak.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n${secretYaml('leak', { token: CANARY })}`);
    await sb.write(
      'apps/list.json',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'j' }, stringData: { k: CANARY } }],
      }),
    );
    const r = await sb.run(['check', 'apps']);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(r.out).toBe(
      'apps/leak.yaml: document 2: Secret apps/leak has plaintext data/stringData (not encrypted with sops)\n' +
        'apps/list.json: Secret j has plaintext data/stringData (not encrypted with sops)\n',
    );
    for (const s of [r.out, r.err]) {
      expect(s).not.toContain(CANARY);
      expect(s).not.toContain(CANARY_B64);
    }
    const j = await sb.run(['check', '-o', 'json', 'apps/leak.yaml']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out)).toEqual({
      checked: 1,
      problems: [
        { path: 'apps/leak.yaml', reason: 'document 2: Secret apps/leak has plaintext data/stringData (not encrypted with sops)' },
      ],
    });
  });

  it('fails a tampered file, and a file the keys at hand cannot decrypt unless --no-decrypt', async () => {
    const enc = await sb.read('apps/db/secret.yaml');
    await sb.write('apps/db/secret.yaml', enc.replace('name: db', 'name: evil'));
    const tampered = await sb.run(['check']);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toMatch(/^apps\/db\/secret\.yaml: fails verification: file is tampered or corrupted/);

    await sb.write('apps/db/secret.yaml', enc);
    const noKeys = { PATH: sb.env['PATH'], HOME: sb.env['HOME'] };
    const cannot = await sb.run(['check'], noKeys);
    expect(cannot.code).toBe(1);
    expect(cannot.out).toMatch(/^apps\/db\/secret\.yaml: cannot be decrypted with the keys at hand: no key could decrypt/);
    expect(await sb.run(['check', '--no-decrypt'], noKeys)).toMatchObject({ code: 0, out: '' });
  });

  it('checks explicitly named files only when they are YAML/JSON (pre-commit passes all staged files)', async () => {
    await sb.write('README.md', secretYaml('md', { a: CANARY }));
    expect((await sb.run(['check', 'README.md', 'apps/db/deploy.yaml'])).code).toBe(0);
    const missing = await sb.run(['check', 'nope.yaml']);
    expect(missing.code).toBe(ExitCode.IO);
  });
});
