// `check` reads kustomizations (issue 15 item 7): a plaintext secretGenerator source (env, file,
// in `kustomization.yaml` or an extension-less `Kustomization`) and plaintext `literals` are
// reported like a plaintext Secret; encrypted dotenv/binary sources are verified with the keys at
// hand; an encrypted source feeding a configMapGenerator is reported (the daemon refuses it).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encryptText } from '../../keys/index.js';
import { useSandbox } from '../../test/support/cli-sandbox.js';
import { sopsJsonToDotenv } from '../../test/support/sops-dotenv.js';
import { ExitCode } from '../errors.js';

const CANARY = 'canary-kgen-7c1e';

const BASE = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deploy.yaml]
secretGenerator:
  - name: db
    envs: [db.env]
  - name: api
    envs: [api.enc.env]
    files: [tls.crt=tls.enc.pem]
configMapGenerator:
  - name: settings
    envs: [settings.env]
`;

describe('check: secretGenerator sources', () => {
  const sb = useSandbox(async (sb) => {
    await mkdir(join(sb.dir, 'apps/base'), { recursive: true });
    const enc = (source: string, json: string): Promise<string> =>
      encryptText(json, { format: 'json', source, keys: { age: [sb.recipient] } }, {});
    await sb.write('apps/base/kustomization.yaml', BASE);
    await sb.write('apps/base/deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n');
    await sb.write('apps/base/settings.env', 'LEVEL=info\n');
    await sb.write('apps/base/api.enc.env', sopsJsonToDotenv(await enc('api.enc.env', JSON.stringify({ API_TOKEN: CANARY }))));
    // sops' binary store: the file's bytes under "data".
    await sb.write('apps/base/tls.enc.pem', await enc('tls.enc.pem', JSON.stringify({ data: `-----BEGIN KEY-----\n${CANARY}\n` })));
  });

  it('reports a plaintext env source like a plaintext Secret, and verifies the encrypted ones', async () => {
    await sb.write('apps/base/db.env', `DB_PASSWORD=${CANARY}\n`);
    const r = await sb.run(['check']);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(r.out).toBe(
      'apps/base/db.env: plaintext source of secretGenerator "db" in apps/base/kustomization.yaml (not encrypted with sops)\n',
    );
    // The kustomization and the deployment, plus db.env, api.enc.env, tls.enc.pem and settings.env.
    expect(r.err).toBe('check: 1 problem in 1 of 6 files checked\n');
    expect(r.out + r.err).not.toContain(CANARY);

    await sb.write('apps/base/db.env', '');
    const clean = await sb.run(['check', '-o', 'json']);
    expect(JSON.parse(clean.out)).toEqual({ checked: 6, problems: [] });
    expect(clean.code).toBe(0);
  });

  it('fails a tampered encrypted dotenv source and one the keys at hand cannot open, unless --no-decrypt', async () => {
    await sb.write('apps/base/db.env', '');
    const env = await sb.read('apps/base/api.enc.env');
    // Swap the value for another file's ciphertext: well-formed, but the MAC no longer matches.
    const other = sopsJsonToDotenv(
      await encryptText(JSON.stringify({ API_TOKEN: 'forged' }), { format: 'json', source: 'x.env', keys: { age: [sb.recipient] } }, {}),
    );
    const forged = /^API_TOKEN=.*$/m.exec(other)?.[0] ?? '';
    await sb.write('apps/base/api.enc.env', env.replace(/^API_TOKEN=.*$/m, forged));
    const r = await sb.run(['check', 'apps']);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(r.out).toMatch(/^apps\/base\/api\.enc\.env: fails verification: /);
    expect(r.out.split('\n').filter(Boolean)).toHaveLength(1);

    const noKeys = await sb.run(['check', 'apps'], { ...sb.env, SOPS_AGE_KEY_FILE: join(sb.dir, 'none.txt') });
    expect(noKeys.out).toContain('apps/base/api.enc.env: cannot be decrypted with the keys at hand');
    expect(noKeys.out).toContain('apps/base/tls.enc.pem: cannot be decrypted with the keys at hand');
    expect(await sb.run(['check', '--no-decrypt', 'apps'])).toMatchObject({ code: 0, out: '' });
  });

  it('reports literals, sources of an extension-less Kustomization, and an encrypted configMapGenerator source', async () => {
    await sb.write('apps/base/db.env', '');
    await mkdir(join(sb.dir, 'apps/other'), { recursive: true });
    await sb.write(
      'apps/other/Kustomization',
      'secretGenerator:\n  - name: creds\n    files: [creds.yaml]\n  - name: lit\n    literals: [user=admin, "password=' +
        CANARY +
        '"]\nconfigMapGenerator:\n  - name: leak\n    files: [../base/tls.enc.pem]\n',
    );
    await sb.write('apps/other/creds.yaml', `password: ${CANARY}\n`);
    const r = await sb.run(['check', '--no-decrypt', '-o', 'json']);
    expect(r.code).toBe(ExitCode.PROBLEMS);
    expect(JSON.parse(r.out)).toEqual({
      checked: 8,
      problems: [
        {
          path: 'apps/base/tls.enc.pem',
          reason:
            'encrypted source of configMapGenerator "leak" in apps/other/Kustomization: the daemon refuses it (its plaintext would land in a ConfigMap); use a secretGenerator',
        },
        {
          path: 'apps/other/Kustomization',
          reason: 'secretGenerator "lit" has plaintext literals (not encrypted with sops): user, password',
        },
        {
          path: 'apps/other/creds.yaml',
          reason: 'plaintext source of secretGenerator "creds" in apps/other/Kustomization (not encrypted with sops)',
        },
      ],
    });
    expect(r.out).not.toContain(CANARY);
  });

  it('says which sources it skipped: not found, or excluded', async () => {
    const r = await sb.run(['check', '--exclude', 'apps/base/api.enc.env']);
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      'check: skipped apps/base/api.enc.env: excluded by \'apps/base/api.enc.env\' (a source of secretGenerator "api" in apps/base/kustomization.yaml)\n' +
        'check: skipped apps/base/db.env: not found (a source of secretGenerator "db" in apps/base/kustomization.yaml)\n' +
        'check: 4 files checked, no problems\n',
    );
  });
});
