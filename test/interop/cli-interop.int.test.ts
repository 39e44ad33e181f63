// The gitops-seal CLI and sops 3.13.3 working on the same repository: one `.sops.yaml` for
// both, files rotated / re-keyed / edited / created by gitops-seal that sops reads, sops files
// that `gitops-seal check` accepts, and keys/testdata's fixtures (multi-document, comments,
// mac_only_encrypted) written by keys/ and read by sops (moved here from
// keys/sops/interop.test.ts so that a missing sops binary fails instead of skipping).
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, type CryptRule } from '../../keys/index.js';
import { documents, SECRET_REGEX, type Doc } from './fixtures.js';
import {
  baseEnv,
  Canaries,
  leftoverTemps,
  parseDocs,
  strayTempsIn,
  runOurCli,
  runSops,
  tempEntries,
  Transcript,
  type RunResult,
} from './helpers.js';
import { makeWorld, type World } from './parties.js';

const canaries = new Canaries();
const transcript = new Transcript();
const docs = documents(canaries);
const secret = docs.find((d) => d.name === 'secret.yaml') as Doc;
const testdata = fileURLToPath(new URL('../../keys/testdata/', import.meta.url));
let world: World;
let tempsBefore: Map<string, number>;

beforeAll(async () => {
  tempsBefore = await tempEntries();
  world = await makeWorld(inject('stack'), 'cli', transcript);
});
afterAll(async () => {
  await world?.box.cleanup();
});

const env = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv =>
  baseEnv(world.box.path('home'), {
    SOPS_AGE_KEY_FILE: world.keyFile,
    VAULT_ADDR: world.vaultAddr,
    VAULT_TOKEN: world.vaultToken,
    ...extra,
  });

async function ours(args: string[], cwd = world.box.dir, e = env()): Promise<RunResult> {
  const r = await runOurCli(args, e, cwd);
  transcript.add(`cli ${args[0] ?? ''}`, r.err);
  if (r.code !== 0) throw new Error(`gitops-seal ${args[0] ?? ''} exited ${r.code}: ${r.err.trim()}`);
  return r;
}

async function sops(args: string[], cwd = world.box.dir, e = env()): Promise<string> {
  const r = await runSops(world.sopsBin, args, e, cwd);
  transcript.add(`sops ${args[0] ?? ''}`, r.err);
  if (r.code !== 0) throw new Error(`sops ${args.join(' ')} exited ${r.code}: ${r.err.trim()}`);
  return r.out;
}

/** A repo dir with one `.sops.yaml` (age + Vault, Secret rule for secrets/) used by both tools. */
async function repo(name: string, extraAge: string[] = []): Promise<string> {
  const dir = world.box.path(name);
  await mkdir(join(dir, 'secrets'), { recursive: true });
  const age = [world.recipient, ...extraAge].join(',');
  await writeFile(
    join(dir, '.sops.yaml'),
    [
      'creation_rules:',
      '  - path_regex: secrets/.*\\.yaml$',
      `    encrypted_regex: "${SECRET_REGEX}"`,
      `    age: "${age}"`,
      `    hc_vault_transit_uri: "${world.transitUri}"`,
      '  - path_regex: .*',
      `    age: "${age}"`,
      '',
    ].join('\n'),
  );
  return dir;
}

const metaOf = (text: string): Record<string, unknown> => (parseDocs(text, 'yaml')[0] as { sops: Record<string, unknown> }).sops;

describe('one .sops.yaml, two tools', () => {
  it('sops and gitops-seal pick the same creation rule and each decrypts the other', async () => {
    const dir = await repo('shared');
    await writeFile(join(dir, 'secrets', 'a.yaml'), secret.text);
    await writeFile(join(dir, 'secrets', 'b.yaml'), secret.text);
    const bySops = await sops(['encrypt', '--output', 'secrets/a.enc.yaml', 'secrets/a.yaml'], dir);
    expect(bySops).toBe('');
    await ours(['encrypt', 'secrets/b.yaml', '-o', 'secrets/b.enc.yaml'], dir);
    const a = await readFile(join(dir, 'secrets', 'a.enc.yaml'), 'utf8');
    const b = await readFile(join(dir, 'secrets', 'b.enc.yaml'), 'utf8');
    for (const t of [a, b]) {
      const m = metaOf(t);
      expect(m['encrypted_regex']).toBe(SECRET_REGEX);
      expect((m['age'] as { recipient: string }[]).map((x) => x.recipient)).toEqual([world.recipient]);
      expect((m['hc_vault'] as { vault_address: string }[]).map((x) => x.vault_address)).toEqual([world.vaultAddr]);
    }
    const want = parseDocs(secret.text, 'yaml');
    expect(parseDocs(await sops(['decrypt', 'secrets/b.enc.yaml'], dir), 'yaml')).toEqual(want);
    expect(parseDocs((await ours(['decrypt', 'secrets/a.enc.yaml'], dir)).out, 'yaml')).toEqual(want);
  });
});

describe('gitops-seal maintains files sops wrote; sops reads the result', () => {
  it('rotate: new data key, every value re-encrypted, sops decrypts', async () => {
    const dir = await repo('rotate');
    await writeFile(join(dir, 'secrets', 's.yaml'), secret.text);
    await sops(['encrypt', '--in-place', 'secrets/s.yaml'], dir);
    const before = await readFile(join(dir, 'secrets', 's.yaml'), 'utf8');
    await ours(['rotate', 'secrets/s.yaml'], dir);
    const after = await readFile(join(dir, 'secrets', 's.yaml'), 'utf8');
    const enc = (t: string): string[] => t.match(/ENC\[[^\]]*\]/g) ?? [];
    expect(enc(after).filter((e) => enc(before).includes(e))).toEqual([]);
    expect(parseDocs(await sops(['decrypt', 'secrets/s.yaml'], dir), 'yaml')).toEqual(parseDocs(secret.text, 'yaml'));
  });

  it('updatekeys: a recipient added to .sops.yaml can decrypt with sops alone', async () => {
    const dir = await repo('updatekeys');
    await writeFile(join(dir, 'secrets', 's.yaml'), secret.text);
    await sops(['encrypt', '--in-place', 'secrets/s.yaml'], dir);
    const newcomer = /# public key: (age1[0-9a-z]+)/.exec(await readFile(world.otherKeyFile, 'utf8'))?.[1] as string;
    await repo('updatekeys', [newcomer]); // rewrites .sops.yaml with the extra recipient
    const r = await ours(['updatekeys', 'secrets/s.yaml'], dir);
    expect(r.out + r.err).toContain(newcomer);
    const onlyNewcomer = env({ SOPS_AGE_KEY_FILE: world.otherKeyFile, VAULT_TOKEN: undefined });
    expect(parseDocs(await sops(['decrypt', 'secrets/s.yaml'], dir, onlyNewcomer), 'yaml')).toEqual(parseDocs(secret.text, 'yaml'));
  });

  it('edit: untouched values keep their sops ciphertext, the change is readable by sops', async () => {
    const dir = await repo('edit');
    await writeFile(join(dir, 'secrets', 's.yaml'), secret.text);
    await sops(['encrypt', '--in-place', 'secrets/s.yaml'], dir);
    const before = await readFile(join(dir, 'secrets', 's.yaml'), 'utf8');
    const newValue = canaries.make('edited-value');
    const editor = join(world.box.dir, 'editor.sh');
    await writeFile(editor, `#!/bin/sh\nsed -i 's/^\\( *\\)api-key: .*/\\1api-key: ${newValue}/' "$1"\n`);
    await chmod(editor, 0o755);
    await ours(['edit', 'secrets/s.yaml'], dir, env({ EDITOR: editor }));
    const after = await readFile(join(dir, 'secrets', 's.yaml'), 'utf8');
    const line = (t: string, k: string): string | undefined => t.split('\n').find((l) => l.trimStart().startsWith(`${k}:`));
    expect(line(after, 'password')).toBe(line(before, 'password'));
    expect(line(after, 'token')).toBe(line(before, 'token'));
    expect(line(after, 'api-key')).not.toBe(line(before, 'api-key'));
    const plain = parseDocs(await sops(['decrypt', 'secrets/s.yaml'], dir), 'yaml')[0] as { stringData: Record<string, string> };
    expect(plain.stringData['api-key']).toBe(newValue);
  });

  it('create-secret: sops decrypts a Secret with base64 data', async () => {
    const dir = await repo('create');
    const value = canaries.make('create-secret');
    await ours(['create-secret', 'db', '-n', 'apps', '--from-literal', `password=${value}`, '-o', 'secrets/db.yaml'], dir);
    const plain = parseDocs(await sops(['decrypt', 'secrets/db.yaml'], dir), 'yaml')[0] as {
      metadata: { name: string };
      data: Record<string, string>;
    };
    expect(plain.metadata.name).toBe('db');
    expect(Buffer.from(plain.data['password'] as string, 'base64').toString()).toBe(value);
  });

  it('check: sops-written files pass (with decryption); a plaintext Secret next to them is reported', async () => {
    const dir = await repo('check');
    // Without the empty value: see the next test.
    await writeFile(join(dir, 'secrets', 'ok.yaml'), secret.text.replace('  empty: ""\n', ''));
    await sops(['encrypt', '--in-place', 'secrets/ok.yaml'], dir);
    const clean = await ours(['check', '.'], dir);
    expect(clean.out).not.toContain('ok.yaml');
    await writeFile(join(dir, 'secrets', 'leak.yaml'), secret.text);
    const r = await runOurCli(['check', '.'], env(), dir);
    transcript.add('cli check', r.err);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/leak\.yaml/);
    expect(r.out).not.toMatch(/ok\.yaml/);
    // check reports the path and the reason, never the values it found.
    expect(canaries.foundIn(r.out + r.err)).toEqual([]);
  });
});

describe('check on empty strings', () => {
  // sops (and keys/, like sops) never encrypts an empty string: `empty: ""` stays plaintext in a
  // correctly encrypted Secret, so check must not report it as an unencrypted value.
  it('a sops-written Secret with an empty stringData value passes check', async () => {
    const dir = await repo('check-empty');
    await writeFile(join(dir, 'secrets', 'ok.yaml'), secret.text);
    await sops(['encrypt', '--in-place', 'secrets/ok.yaml'], dir);
    expect(await readFile(join(dir, 'secrets', 'ok.yaml'), 'utf8')).toContain('empty: ""');
    const r = await runOurCli(['check', '.'], env(), dir);
    transcript.add('cli check', r.err);
    expect(r.out + r.err).not.toContain('unencrypted values');
    expect(r.code).toBe(0);
  });
});

describe('keys/testdata fixtures written by keys/, read by sops', () => {
  const cases: { file: string; format: 'yaml' | 'json'; rule?: CryptRule; macOnlyEncrypted?: boolean }[] = [
    { file: 'plain.yaml', format: 'yaml' },
    { file: 'plain.json', format: 'json' },
    { file: 'plain.yaml', format: 'yaml', rule: { encryptedRegex: SECRET_REGEX }, macOnlyEncrypted: true },
    { file: 'plain.yaml', format: 'yaml', rule: { unencryptedSuffix: '_unencrypted' } },
  ];
  it.each(cases.map((c) => [`${c.file} ${JSON.stringify(c.rule ?? {})}${c.macOnlyEncrypted ? ' mac_only_encrypted' : ''}`, c] as const))(
    '%s',
    async (_n, c) => {
      const plain = await readFile(join(testdata, c.file), 'utf8');
      const enc = await encryptText(
        plain,
        {
          format: c.format,
          source: c.file,
          keys: { age: [world.recipient], hcVaultTransit: [world.transitUri] },
          ...(c.rule ? { rule: c.rule } : {}),
          macOnlyEncrypted: c.macOnlyEncrypted === true,
        },
        { vault: { token: world.vaultToken } },
      );
      const path = await world.box.write(`td-${cases.indexOf(c)}.${c.format}`, enc);
      for (const e of [env({ VAULT_TOKEN: undefined }), env({ SOPS_AGE_KEY_FILE: world.otherKeyFile })]) {
        const out = await sops(['decrypt', path], world.box.dir, e);
        expect(parseDocs(out, c.format)).toEqual(parseDocs(plain, c.format));
        if (c.format === 'yaml') expect(out).toContain('# top comment');
      }
    },
  );
});

describe('sweep', () => {
  it('no canary in any captured stderr or error text', () => {
    expect(transcript.leaks(canaries)).toEqual([]);
  });

  it('no gitops-seal temp files (edit temp, atomic-write temp) or plaintext left behind', async () => {
    expect(await leftoverTemps(tempsBefore, canaries, [world.box.dir])).toEqual([]);
    expect(await strayTempsIn(world.box.dir)).toEqual([]);
  });
});
