// Bad input through the CLI (in-process, cli/program.ts) on files written by the real sops:
// malformed YAML/JSON, a truncated ENC[] value, the wrong age key, Vault down, a Vault token
// whose policy lacks transit decrypt, a missing transit key. Each must be one stderr line
// `gitops-seal: <file>: <cause>` with the exit code documented in cli/errors.ts, nothing on
// stdout, and no canary anywhere. sops is run on the same inputs to show it refuses them too.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ExitCode } from '../../cli/errors.js';
import { freePort } from '../stack/procs.js';
import { vaultApi } from '../stack/openbao.js';
import { documents, type Doc } from './fixtures.js';
import { baseEnv, Canaries, leftoverTemps, runOurCli, runSops, tempEntries, Transcript, type RunResult } from './helpers.js';
import { encryptAs, makeWorld, type World } from './parties.js';

const canaries = new Canaries();
const transcript = new Transcript();
const all = documents(canaries);
const secret = all.find((d) => d.name === 'secret.yaml') as Doc;
const typesJson = all.find((d) => d.name === 'types.json') as Doc;
let world: World;
let tempsBefore: Map<string, number>;
/** sops-written files by key mode and document. */
const files = new Map<string, string>();
let encryptOnlyToken: string;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

beforeAll(async () => {
  tempsBefore = await tempEntries();
  const stack = inject('stack');
  world = await makeWorld(stack, 'bad-input', transcript);
  for (const mode of ['age', 'vault'] as const) {
    for (const d of [secret, typesJson]) {
      const path = await encryptAs(world, 'sops', mode, d, `sops-${mode}`);
      files.set(`${mode}/${d.name}`, await readFile(path, 'utf8'));
    }
  }
  // A token that may encrypt with the transit key but not decrypt (a CI writer's token).
  const v = stack.vault;
  await vaultApi(v.addr, v.rootToken, 'PUT', 'sys/policies/acl/interop-encrypt-only', {
    policy: `path "${v.transitMount}/encrypt/${v.transitKey}" { capabilities = ["update"] }`,
  });
  const created = await vaultApi(v.addr, v.rootToken, 'POST', 'auth/token/create', {
    policies: ['interop-encrypt-only'],
    no_default_policy: true,
    ttl: '1h',
  });
  encryptOnlyToken = (created['auth'] as { client_token: string }).client_token;
});
afterAll(async () => {
  await world?.box.cleanup();
});

interface Expectation {
  code: number;
  cause: RegExp;
}

/** Run our CLI decrypt (and sops decrypt) on `text` written to `name`; check the one-line error. */
async function expectRefused(name: string, text: string, env: NodeJS.ProcessEnv, want: Expectation): Promise<RunResult> {
  const file = await world.box.write(name, text);
  const r = await runOurCli(['decrypt', file], env, world.box.dir);
  transcript.add(`cli ${name}`, r.err);
  expect(r.code, r.err).toBe(want.code);
  expect(r.out).toBe('');
  const lines = r.err.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^gitops-seal: ${escape(file)}: `));
  expect(lines[0]).toMatch(want.cause);
  expect(canaries.foundIn(r.err)).toEqual([]);
  const s = await runSops(world.sopsBin, ['decrypt', file], env, world.box.dir);
  transcript.add(`sops ${name}`, s.err);
  expect(s.code, 'sops accepted the same input').not.toBe(0);
  return r;
}

const envWith = (extra: Record<string, string | undefined>): NodeJS.ProcessEnv =>
  baseEnv(world.box.path('home'), { VAULT_ADDR: world.vaultAddr, ...extra });
const ageEnv = (): NodeJS.ProcessEnv => envWith({ SOPS_AGE_KEY_FILE: world.keyFile });
const vaultEnv = (token: string): NodeJS.ProcessEnv => envWith({ SOPS_AGE_KEY_FILE: world.otherKeyFile, VAULT_TOKEN: token });

describe('gitops-seal decrypt: bad input', () => {
  it('malformed YAML (with a canary on the broken line) -> exit 6, position only', async () => {
    const leak = canaries.make('malformed-yaml');
    const text = (files.get('age/secret.yaml') as string).replace('type: Opaque', `type: [Opaque, ${leak}\n\t- broken: {`);
    await expectRefused('malformed.yaml', text, ageEnv(), { code: ExitCode.IO, cause: /invalid YAML|YAML|at line/i });
  });

  it('malformed JSON (with a canary near the error) -> exit 6', async () => {
    const leak = canaries.make('malformed-json');
    const original = files.get('age/types.json') as string;
    const text = original.replace('{', `{ "${leak}": tru,`);
    expect(text).not.toBe(original);
    await expectRefused('malformed.json', text, ageEnv(), { code: ExitCode.IO, cause: /JSON/i });
  });

  it('truncated ENC[] value -> exit 6, malformed encrypted value at its key path', async () => {
    const text = (files.get('age/secret.yaml') as string).replace(/(password: ENC\[AES256_GCM,data:[^,]*,iv:[^,]{10})[^\]]*\]/, '$1');
    expect(text).toMatch(/password: ENC\[AES256_GCM,data:[^,]*,iv:[^,\]\n]{10}\n/);
    const r = await expectRefused('truncated.yaml', text, ageEnv(), {
      code: ExitCode.IO,
      cause: /malformed encrypted value|tampered or corrupted/,
    });
    expect(r.err).toContain('data.password');
  });

  it('file truncated in the middle of the sops metadata -> exit 6', async () => {
    const full = files.get('age/secret.yaml') as string;
    await expectRefused('cut.yaml', full.slice(0, full.indexOf('lastmodified')), ageEnv(), {
      code: ExitCode.IO,
      cause: /sops|metadata|mac|lastmodified/i,
    });
  });

  it('wrong age key -> exit 4 naming the recipient', async () => {
    await expectRefused('wrong-key.yaml', files.get('age/secret.yaml') as string, envWith({ SOPS_AGE_KEY_FILE: world.otherKeyFile }), {
      code: ExitCode.KEYS,
      cause: new RegExp(`no key could decrypt the data key: age ${world.recipient}`),
    });
  });

  it('Vault down (nothing listens on the address) -> exit 4, unreachable', async () => {
    const port = await freePort();
    const text = (files.get('vault/secret.yaml') as string).replace(world.vaultAddr, `http://127.0.0.1:${port}`);
    expect(text).toContain(`127.0.0.1:${port}`);
    await expectRefused('vault-down.yaml', text, vaultEnv(world.vaultToken), {
      code: ExitCode.KEYS,
      cause: /unreachable \(ECONNREFUSED\)/,
    });
  });

  it('Vault token whose policy lacks transit decrypt -> exit 4, permission denied', async () => {
    await expectRefused('denied.json', files.get('vault/types.json') as string, vaultEnv(encryptOnlyToken), {
      code: ExitCode.KEYS,
      cause: /permission denied/,
    });
  });

  it('missing transit key -> exit 4, key not found', async () => {
    const text = (files.get('vault/secret.yaml') as string).replace(/key_name: \S+/, 'key_name: no-such-key');
    await expectRefused('missing-key.yaml', text, vaultEnv(world.vaultToken), {
      code: ExitCode.KEYS,
      cause: /no-such-key.*(not found|no existing key)/,
    });
  });

  it('no Vault token at all -> exit 4, says how to provide one', async () => {
    await expectRefused('no-token.yaml', files.get('vault/secret.yaml') as string, envWith({ SOPS_AGE_KEY_FILE: world.otherKeyFile }), {
      code: ExitCode.KEYS,
      cause: /VAULT_TOKEN/,
    });
  });
});

describe('gitops-seal encrypt: Vault failures leave nothing behind', () => {
  it('Vault down -> exit 4, no output file', async () => {
    const port = await freePort();
    const input = await world.box.write('enc-down.yaml', secret.text);
    const out = world.box.path('enc-down.out.yaml');
    const r = await runOurCli(
      ['encrypt', input, '--hc-vault-transit', `http://127.0.0.1:${port}/v1/sops/keys/k`, '-o', out],
      vaultEnv(world.vaultToken),
      world.box.dir,
    );
    transcript.add('cli encrypt vault down', r.err);
    expect(r.code).toBe(ExitCode.KEYS);
    expect(r.err).toMatch(new RegExp(`^gitops-seal: ${escape(input)}: .*unreachable`));
    expect(r.out).toBe('');
    await expect(readFile(out, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('token without encrypt permission -> exit 4, permission denied', async () => {
    const v = inject('stack').vault;
    await vaultApi(v.addr, v.rootToken, 'PUT', 'sys/policies/acl/interop-nothing', {
      policy: 'path "sys/nothing" { capabilities = ["read"] }',
    });
    const created = await vaultApi(v.addr, v.rootToken, 'POST', 'auth/token/create', {
      policies: ['interop-nothing'],
      no_default_policy: true,
      ttl: '1h',
    });
    const token = (created['auth'] as { client_token: string }).client_token;
    const input = await world.box.write('enc-denied.json', typesJson.text);
    const r = await runOurCli(['encrypt', input, '--hc-vault-transit', world.transitUri], vaultEnv(token), world.box.dir);
    transcript.add('cli encrypt denied', r.err);
    expect(r.code).toBe(ExitCode.KEYS);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/permission denied/);
    expect(r.out).toBe('');
  });
});

describe('sweep', () => {
  it('no canary in any captured stderr or error text', () => {
    expect(transcript.texts.length).toBeGreaterThan(5);
    expect(transcript.leaks(canaries)).toEqual([]);
  });

  it('no gitops-seal temp files or plaintext left behind', async () => {
    expect(await leftoverTemps(tempsBefore, canaries, [world.box.dir])).toEqual([]);
  });
});
