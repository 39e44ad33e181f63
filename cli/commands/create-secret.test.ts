import { readdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ExitCode } from '../errors.js';
import { useSandbox } from '../../test/support/cli-sandbox.js';

const CANARY = 'canary-create-secret-e3f0';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('create-secret', () => {
  const sb = useSandbox();

  it('writes an encrypted Secret whose plaintext never reaches disk or output', async () => {
    await sb.write('.sops.yaml', `creation_rules:\n  - path_regex: secrets/\n    age: ${sb.recipient}\n`);
    await sb.write('cert.pem', `-----BEGIN ${CANARY}-----\n`);
    await sb.write('app.env', `API_KEY=${CANARY}-env\n`);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(`${sb.dir}/secrets`);
    const before = await readdir(sb.dir);
    const r = await sb.run([
      'create-secret',
      'web',
      '-n',
      'apps',
      '--from-literal',
      `password=${CANARY}`,
      '--from-file',
      'tls.crt=cert.pem',
      '--from-env-file',
      'app.env',
      '-o',
      'secrets/web.yaml',
    ]);
    expect(r).toMatchObject({ code: 0, out: '', err: '' });
    expect(await readdir(sb.dir)).toEqual(before);
    expect(await readdir(`${sb.dir}/secrets`)).toEqual(['web.yaml']);
    const enc = await sb.read('secrets/web.yaml');
    for (const v of [CANARY, b64(CANARY), b64(`${CANARY}-env`)]) expect(enc).not.toContain(v);
    expect(enc).toContain('encrypted_regex: ^(data|stringData)$');

    const dec = await sb.run(['decrypt', 'secrets/web.yaml']);
    expect(dec.code).toBe(0);
    expect(parse(dec.out)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web', namespace: 'apps' },
      type: 'Opaque',
      data: { password: b64(CANARY), 'tls.crt': b64(`-----BEGIN ${CANARY}-----\n`), API_KEY: b64(`${CANARY}-env`) },
    });
  });

  it('prints to stdout with --age and supports JSON output files', async () => {
    const r = await sb.run(['create-secret', 'x', '-n', 'ns', '--from-literal', `k=${CANARY}`, '--age', sb.recipient]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/k: ENC\[AES256_GCM/);
    const j = await sb.run([
      'create-secret',
      'x',
      '-n',
      'ns',
      '--from-literal',
      `k=${CANARY}`,
      '--age',
      sb.recipient,
      '--type',
      'kubernetes.io/basic-auth',
      '-o',
      'x.json',
    ]);
    expect(j.code).toBe(0);
    const doc = JSON.parse(await sb.read('x.json')) as { type: string; data: { k: string } };
    expect(doc.type).toBe('kubernetes.io/basic-auth');
    expect(doc.data.k).toMatch(/^ENC\[/);
  });

  it('attributes an invalid transit URI to the output file with exit 4', async () => {
    const r = await sb.run([
      'create-secret',
      'x',
      '-n',
      'ns',
      '--from-literal',
      `k=${CANARY}`,
      '--hc-vault-transit',
      'not a uri',
      '-o',
      'x.yaml',
    ]);
    expect(r.code).toBe(ExitCode.KEYS);
    // The URI is not echoed: what is pasted there may carry a token (issue 13 item 7).
    expect(r.err).toBe(
      'gitops-seal: x.yaml: hc_vault_transit_uri #1 of --hc-vault-transit is not a URI (expected https://vault.example.com:8200/v1/transit/keys/keyName)\n',
    );
    expect(await readdir(sb.dir)).not.toContain('x.yaml');
  });

  it('quotes keys and values that go-yaml (sops) or a YAML 1.1 reader would read as another type', async () => {
    // The yaml package leaves `0b10`, `1_000` and `2027-01-01` plain (YAML 1.2 core strings);
    // go-yaml reads them as an int and a time, so the key was refused and a value retyped.
    const keys = ['0b10', '0o17', '1_000', '2027-01-01', '08', 'yes', 'on', 'n', '1e3', 'null', 'plain'];
    const binary = Buffer.from('0b10', 'base64'); // bytes whose base64 text is `0b10`
    await writeFile(`${sb.dir}/bin`, binary);
    const r = await sb.run([
      'create-secret',
      'q',
      '-n',
      'ns',
      '--age',
      sb.recipient,
      '-o',
      'q.yaml',
      '--from-file',
      'v=bin',
      ...keys.flatMap((k) => ['--from-literal', `${k}=${k}`]),
    ]);
    expect(r).toMatchObject({ code: 0, err: '' });
    const enc = await sb.read('q.yaml');
    for (const k of keys.slice(0, -1)) expect(enc).toContain(`\n    "${k}": ENC[`);
    expect(enc).toContain('\n    plain: ENC[');
    expect(enc).not.toMatch(/type:(int|float|time|bool)/);
    const dec = await sb.run(['decrypt', 'q.yaml']);
    expect(dec.code).toBe(0);
    expect(dec.out).toContain('\n    v: "0b10"\n');
    expect((parse(dec.out) as { data: Record<string, string> }).data).toEqual({
      v: '0b10',
      ...Object.fromEntries(keys.map((k) => [k, b64(k)])),
    });
  });

  it('never echoes a malformed literal', async () => {
    const r = await sb.run(['create-secret', 'x', '-n', 'ns', '--from-literal', CANARY, '--age', sb.recipient]);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toBe('gitops-seal: --from-literal #1: expected KEY=VALUE\n');
  });
});
