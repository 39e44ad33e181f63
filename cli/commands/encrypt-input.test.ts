// Bad input to `encrypt` (issue 13 items 4, 7, 13, 14, 16): refused with a message about this
// file, nothing written, nothing secret echoed.
import { describe, expect, it } from 'vitest';
import { secretYaml, useSandbox } from '../../test/support/cli-sandbox.js';
import { ExitCode } from '../errors.js';

describe('bad input to encrypt and to the commands reading encrypted files', () => {
  const sb = useSandbox();

  it('refuses empty, comment-only and document-marker-only input and never truncates it (-i)', async () => {
    const cases: Array<[string, string]> = [
      ['empty.yaml', ''],
      ['comments.yaml', '# db credentials go here\n# TODO\n'],
      ['markers.yaml', '---\n# nothing\n---\n'],
      ['empty.json', '  \n'],
    ];
    for (const [name, content] of cases) {
      await sb.write(name, content);
      for (const args of [
        ['encrypt', '--age', sb.recipient, name],
        ['encrypt', '-i', '--age', sb.recipient, name],
      ]) {
        const r = await sb.run(args);
        expect(r.code, `${args.join(' ')}`).toBe(ExitCode.IO);
        expect(r.out).toBe('');
        expect(r.err).toMatch(new RegExp(`^gitops-seal: ${name.replace('.', '\\.')}: nothing to encrypt: .*at least one document`));
        expect(await sb.read(name)).toBe(content);
      }
    }
  });

  it('names the supported formats for dotenv, binary and scalar input', async () => {
    await sb.write('app.env', 'DB_PASSWORD=hunter2-canary\nUSER=admin\n');
    const env = await sb.run(['encrypt', '--age', sb.recipient, 'app.env']);
    expect(env.code).toBe(ExitCode.IO);
    expect(env.err).toMatch(
      /^gitops-seal: app\.env: this looks like a dotenv file: gitops-seal reads YAML and JSON files .*dotenv, ini and binary formats are not supported/,
    );
    expect(env.err).not.toContain('hunter2');
    await sb.write('blob.bin', 'PK\u0003\u0004\u0000\u0000secret-bytes');
    const bin = await sb.run(['encrypt', '--age', sb.recipient, 'blob.bin']);
    expect(bin).toMatchObject({ code: ExitCode.IO, out: '' });
    expect(bin.err).toMatch(/^gitops-seal: blob\.bin: this looks like a binary file: /);
    await sb.write('list.yaml', '- a\n- b\n');
    expect((await sb.run(['encrypt', '--age', sb.recipient, 'list.yaml'])).err).toMatch(/list\.yaml: this is not a YAML\/JSON mapping/);
  });

  it('refuses text that is not UTF-8 instead of encrypting it altered (U+FFFD for every bad byte)', async () => {
    const { writeFile } = await import('node:fs/promises');
    const latin1 = Buffer.from('apiVersion: v1\nkind: Secret\nmetadata: {name: l}\nstringData:\n  pw: caf\xe9-canary\n', 'latin1');
    await writeFile(`${sb.dir}/latin1.yaml`, latin1);
    await writeFile(`${sb.dir}/utf16.yaml`, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('pw: x\n', 'utf16le')]));
    await writeFile(`${sb.dir}/app.env`, Buffer.from('PW=caf\xe9\n', 'latin1'));
    await writeFile(`${sb.dir}/cm.yaml`, Buffer.from('kind: ConfigMap\ndata: {a: caf\xe9}\n', 'latin1'));
    const r = await sb.run(['encrypt', '-i', '--age', sb.recipient, 'latin1.yaml']);
    expect(r).toMatchObject({
      code: ExitCode.IO,
      out: '',
      err: 'gitops-seal: latin1.yaml: contains bytes that are not UTF-8; only UTF-8 (or UTF-16 with a byte-order mark) is read, as sops reads it: convert it first, e.g. with iconv -t UTF-8\n',
    });
    expect(Buffer.from(await (await import('node:fs/promises')).readFile(`${sb.dir}/latin1.yaml`)).equals(latin1)).toBe(true);
    // UTF-16 with a byte-order mark is read, as go-yaml (sops) reads it; the result is UTF-8.
    const u16 = await sb.run(['encrypt', '--age', sb.recipient, 'utf16.yaml']);
    expect(u16).toMatchObject({ code: 0, err: '' });
    await sb.write('u16.enc.yaml', u16.out);
    expect((await sb.run(['decrypt', 'u16.enc.yaml'])).out).toBe('pw: x\n');
    await writeFile(`${sb.dir}/odd16.yaml`, Buffer.from([0xff, 0xfe, 0x61, 0x00, 0x00, 0xd8]));
    expect((await sb.run(['encrypt', '--age', sb.recipient, 'odd16.yaml'])).err).toMatch(
      /^gitops-seal: odd16\.yaml: is not valid UTF-16 text; /,
    );
    const cs = await sb.run(['create-secret', 's', '-n', 'ns', '--age', sb.recipient, '--from-env-file', 'app.env']);
    expect(cs).toMatchObject({ code: ExitCode.IO, out: '' });
    expect(cs.err).toMatch(/^gitops-seal: app\.env: contains bytes that are not UTF-8/);
    // check: a problem where a Secret is concerned, not in other files (as before).
    const ck = await sb.run(['check', 'latin1.yaml', 'cm.yaml']);
    expect(ck.code).toBe(ExitCode.PROBLEMS);
    expect(ck.out).toBe(
      'latin1.yaml: contains bytes that are not UTF-8; only UTF-8 (or UTF-16 with a byte-order mark) is read, as sops reads it: convert it first, e.g. with iconv -t UTF-8\nlatin1.yaml: Secret l has plaintext data/stringData (not encrypted with sops)\n',
    );
    expect(ck.err).toBe('check: 2 problems in 1 of 2 files checked\n');
  });

  it('recognises a pasted private key as a recipient (flag or .sops.yaml) and never echoes it', async () => {
    await sb.write('a.yaml', 'password: x\n');
    const flag = await sb.run(['encrypt', '--age', sb.identity, 'a.yaml']);
    expect(flag.code).toBe(ExitCode.KEYS);
    expect(flag.err).toMatch(/^gitops-seal: a\.yaml: age recipient #1 of --age is an age PRIVATE key/);
    const lower = await sb.run(['encrypt', '--age', `${sb.recipient},${sb.identity.toLowerCase()}`, 'a.yaml']);
    expect(lower.err).toMatch(/age recipient #2 of --age is an age PRIVATE key/);

    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${sb.identity}\n`);
    const cfg = await sb.run(['encrypt', 'a.yaml']);
    expect(cfg.code).toBe(ExitCode.KEYS);
    expect(cfg.err).toMatch(/age recipient #1 of creation_rules\[0\] in \.sops\.yaml is an age PRIVATE key/);
    const secretPart = sb.identity.slice('AGE-SECRET-KEY-1'.length, -4);
    for (const r of [flag, lower, cfg]) {
      expect(r.out).toBe('');
      expect(r.err.toUpperCase()).not.toContain(secretPart);
      expect(r.err.split('\n')).toHaveLength(2);
    }
  });

  it('never echoes a bad recipient or a transit URI carrying credentials', async () => {
    await sb.write('a.yaml', 'password: x\n');
    const junk = await sb.run(['encrypt', '--age', 'hunter2-not-a-key', 'a.yaml']);
    expect(junk).toMatchObject({
      code: ExitCode.KEYS,
      err: 'gitops-seal: a.yaml: age recipient #1 of --age is not an age recipient (expected age1… or age1pq1…)\n',
    });
    const cred = await sb.run(['encrypt', '--hc-vault-transit', 'https://root:s3cr3t-token@vault:8200/v1/sops/keys/k', 'a.yaml']);
    expect(cred.code).toBe(ExitCode.KEYS);
    expect(cred.err).toMatch(/hc_vault_transit_uri #1 of --hc-vault-transit carries credentials/);
    expect(cred.err).not.toContain('s3cr3t');
  });

  it('refuses an invalid --encrypted-regex as a usage error (exit 2) and a bad rule regex as a config error', async () => {
    await sb.write('a.yaml', 'password: x\n');
    const r = await sb.run(['encrypt', '--age', sb.recipient, '--encrypted-regex', '^(data', 'a.yaml']);
    expect(r).toMatchObject({
      code: ExitCode.USAGE,
      out: '',
      err: 'gitops-seal: a.yaml: --encrypted-regex is not a valid regular expression\n',
    });
    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${sb.recipient}\n    unencrypted_regex: "[z-a]"\n`);
    const c = await sb.run(['encrypt', 'a.yaml']);
    expect(c).toMatchObject({
      code: ExitCode.CONFIG,
      err: 'gitops-seal: .sops.yaml: creation_rules[0].unencrypted_regex is not a valid regular expression\n',
    });
  });

  it('says which config was read and that no rule matched', async () => {
    await sb.write('.sops.yaml', `creation_rules:\n  - path_regex: ^prod/\n    age: ${sb.recipient}\n`);
    await sb.write('dev.yaml', 'a: b\n');
    const r = await sb.run(['encrypt', 'dev.yaml']);
    expect(r.code).toBe(ExitCode.CONFIG);
    expect(r.err).toBe(
      'gitops-seal: dev.yaml: no creation rule in .sops.yaml matches this file, so it has no recipients: add a rule (path_regex) for it, or pass --age/--hc-vault-transit\n',
    );
  });

  it("reads standard input for '-' with --filename-override, as sops does", async () => {
    const plain = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: dmFsdWU=\n';
    const r = await sb.run(['encrypt', '-', '--filename-override', 's.yaml', '--age', sb.recipient], sb.env, undefined, plain);
    expect(r.code).toBe(0);
    expect(r.out).toContain('encrypted_regex: ^(data|stringData)$');
    await sb.write('s.enc.yaml', r.out);
    const d = await sb.run(['decrypt', '-'], sb.env, undefined, r.out);
    expect(d).toMatchObject({ code: 0, err: '' });
    expect(d.out).toContain('k: dmFsdWU=');
    const noName = await sb.run(['encrypt', '-', '--age', sb.recipient], sb.env, undefined, plain);
    expect(noName).toMatchObject({
      code: ExitCode.USAGE,
      err: "gitops-seal: reading standard input ('-') needs --filename-override PATH (format and .sops.yaml rule)\n",
    });
  });

  it('reads --age-key-file - and check - from standard input', async () => {
    await sb.write('a.yaml', secretYaml('a', { pw: 'x' }));
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 'a.yaml'])).code).toBe(0);
    const noKeys = { PATH: sb.env['PATH'], HOME: sb.env['HOME'] };
    const identity = await sb.read('keys.txt');
    const d = await sb.run(['decrypt', '--age-key-file', '-', 'a.yaml'], noKeys, undefined, identity);
    expect(d).toMatchObject({ code: 0, err: '' });
    expect(d.out).toContain(`pw: ${Buffer.from('x').toString('base64')}`);
    const c = await sb.run(['check', '--no-decrypt', '-'], sb.env, undefined, secretYaml('leak', { pw: 'x' }));
    expect(c).toMatchObject({
      code: ExitCode.PROBLEMS,
      out: '(stdin): Secret apps/leak has plaintext data/stringData (not encrypted with sops)\n',
    });
  });

  it("refuses '-' where a file is written back, and creates no file named '-'", async () => {
    for (const cmd of ['edit', 'rotate', 'updatekeys']) {
      const r = await sb.run([cmd, '-'], sb.env, undefined, 'a: b\n');
      expect(r.code, cmd).toBe(ExitCode.USAGE);
      expect(r.err, cmd).toContain(`${cmd} writes the file back, so it cannot read standard input ('-')`);
    }
    await sb.write('p.yaml', 'a: b\n');
    const o = await sb.run(['encrypt', '--age', sb.recipient, 'p.yaml', '-o', '-']);
    expect(o).toMatchObject({ code: ExitCode.USAGE, out: '' });
    await expect(sb.read('-')).rejects.toThrow();
  });

  it('report malformed YAML as such, not as "not encrypted"', async () => {
    await sb.write('broken.yaml', 'a: [1, 2\nb: c\n');
    for (const cmd of ['decrypt', 'edit', 'rotate', 'updatekeys']) {
      const r = await sb.run([cmd, 'broken.yaml']);
      expect(r.code, cmd).toBe(ExitCode.IO);
      expect(r.err, cmd).toMatch(/gitops-seal: broken\.yaml: invalid YAML: .* at line \d+, column \d+\n/);
    }
  });

  it('is not echoed by --age-key-file or SOPS_AGE_KEY_FILE', async () => {
    await sb.write('a.yaml', 'password: x\n');
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 'a.yaml'])).code).toBe(0);
    const secretPart = sb.identity.slice('AGE-SECRET-KEY-1'.length, -4);
    const flag = await sb.run(['decrypt', '--age-key-file', sb.identity, 'a.yaml']);
    const env = await sb.run(['decrypt', 'a.yaml'], { ...sb.env, SOPS_AGE_KEY_FILE: sb.identity });
    for (const r of [flag, env]) {
      expect(r.code).toBe(ExitCode.KEYS);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/age identity file: the path given is an age PRIVATE key itself/);
      expect(r.err).not.toContain(secretPart);
    }
  });
});
