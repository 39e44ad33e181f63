// Tamper detection on files written by the real sops 3.13.3: flipping one byte of any
// authenticated part (a value's data/iv/tag, the MAC, lastmodified, the age stanza, a plaintext
// field the MAC covers) must make gitops-seal refuse the file — keys API and CLI — with
// "tampered or corrupted" naming the file, and produce no partial output.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decryptText, TamperedError } from '../../keys/index.js';
import { documents, type Doc } from './fixtures.js';
import { Canaries, leftoverTemps, runOurCli, tempEntries, Transcript, baseEnv } from './helpers.js';
import { editEnc, flipAgeStanza, flipLastModified, flipPart } from './mutations.js';
import { encryptAs, makeWorld, type World } from './parties.js';

const canaries = new Canaries();
const transcript = new Transcript();
const all = documents(canaries);
const secret = all.find((d) => d.name === 'secret.yaml') as Doc;
const typesJson = all.find((d) => d.name === 'types.json') as Doc;
let world: World;
let tempsBefore: Map<string, number>;
const sopsFiles = new Map<string, string>();

beforeAll(async () => {
  tempsBefore = await tempEntries();
  world = await makeWorld(inject('stack'), 'tamper', transcript);
  for (const d of [secret, typesJson]) {
    const path = await encryptAs(world, 'sops', 'age+vault', d, 'sops');
    sopsFiles.set(d.name, await readFile(path, 'utf8'));
  }
});
afterAll(async () => {
  await world?.box.cleanup();
});

interface Case {
  name: string;
  doc: () => Doc;
  tamper: (text: string) => string;
}

const CASES: Case[] = [
  ...(['data', 'iv', 'tag'] as const).flatMap((part): Case[] => [
    { name: `YAML Secret: data.password ${part}`, doc: () => secret, tamper: (t) => editEnc(t, 'password', flipPart(part)) },
    { name: `JSON: string ${part}`, doc: () => typesJson, tamper: (t) => editEnc(t, 'string', flipPart(part)) },
    { name: `YAML Secret: mac ${part}`, doc: () => secret, tamper: (t) => editEnc(t, 'mac', flipPart(part)) },
    { name: `JSON: mac ${part}`, doc: () => typesJson, tamper: (t) => editEnc(t, 'mac', flipPart(part)) },
  ]),
  { name: 'YAML Secret: lastmodified', doc: () => secret, tamper: flipLastModified },
  { name: 'JSON: lastmodified', doc: () => typesJson, tamper: flipLastModified },
  { name: 'YAML Secret: age stanza header byte', doc: () => secret, tamper: (t) => flipAgeStanza(t, 40) },
  { name: 'YAML Secret: age stanza wrapped-key byte', doc: () => secret, tamper: (t) => flipAgeStanza(t, 90) },
  { name: 'YAML Secret: age stanza payload byte', doc: () => secret, tamper: (t) => flipAgeStanza(t, -3) },
  { name: 'JSON: age stanza payload byte', doc: () => typesJson, tamper: (t) => flipAgeStanza(t, -3) },
  {
    name: 'YAML Secret: unencrypted metadata.name (covered by the MAC)',
    doc: () => secret,
    tamper: (t) => t.replace('name: db-credentials', 'name: db-credentialr'),
  },
  {
    name: 'YAML Secret: unencrypted type (covered by the MAC)',
    doc: () => secret,
    tamper: (t) => t.replace('type: Opaque', 'type: Opaqud'),
  },
  {
    name: 'JSON: unencrypted empty string turned into a value',
    doc: () => typesJson,
    tamper: (t) => t.replace('"empty": ""', '"empty": "x"'),
  },
  {
    name: 'JSON: plaintext int where sops wrote ENC[]',
    doc: () => typesJson,
    tamper: (t) => t.replace(/"zero": "ENC\[[^\]]*\]"/, '"zero": 1'),
  },
  // Issue 13: a removed MAC and a changed type tag (outside GCM's authentication, as in sops)
  // were reported as a format problem (exit 6) instead of tampering (exit 3).
  { name: 'YAML Secret: mac removed', doc: () => secret, tamper: (t) => t.replace(/^\s+mac: .*\n/m, '') },
  { name: 'JSON: mac removed', doc: () => typesJson, tamper: (t) => t.replace(/^\s+"mac": .*\n/m, '') },
  {
    name: 'YAML Secret: password type tag str -> int',
    doc: () => secret,
    tamper: (t) => editEnc(t, 'password', (e) => e.replace('type:str]', 'type:int]')),
  },
  {
    name: 'JSON: int type tag -> bool',
    doc: () => typesJson,
    tamper: (t) => editEnc(t, 'int', (e) => e.replace('type:int]', 'type:bool]')),
  },
  {
    name: 'JSON: string type tag -> unknown',
    doc: () => typesJson,
    tamper: (t) => editEnc(t, 'string', (e) => e.replace('type:str]', 'type:blob]')),
  },
];

describe('gitops-seal refuses one flipped byte in a sops-written file', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const doc = c.doc();
    const original = sopsFiles.get(doc.name) as string;
    const tampered = c.tamper(original);
    expect(tampered).not.toBe(original);
    const file = await world.box.write(`t-${CASES.indexOf(c)}.${doc.name}`, tampered);

    // keys API: a TamperedError naming the file, no result.
    const err = await decryptText(
      tampered,
      { format: doc.format, source: file },
      { ageIdentities: world.identities, vault: { token: world.vaultToken } },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TamperedError);
    const msg = (err as Error).message;
    transcript.add(`api ${c.name}`, msg);
    expect(msg).toContain(file);
    expect(msg).toContain('tampered or corrupted');

    // CLI: exit 3, one line on stderr, nothing on stdout, no -o file created.
    const out = world.box.path(`t-${CASES.indexOf(c)}.out`);
    const env = baseEnv(world.box.path('home'), { SOPS_AGE_KEY_FILE: world.keyFile, VAULT_TOKEN: world.vaultToken });
    for (const args of [
      ['decrypt', file],
      ['decrypt', file, '-o', out],
    ]) {
      const r = await runOurCli(args, env, world.box.dir);
      transcript.add(`cli ${c.name}`, r.err);
      expect(r.code).toBe(3);
      expect(r.out).toBe('');
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`^gitops-seal: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: file is tampered or corrupted: `));
      expect(existsSync(out)).toBe(false);
    }
  });

  it('the untouched sops files still decrypt (the cases above fail only because of the flip)', async () => {
    for (const doc of [secret, typesJson]) {
      const plain = await decryptText(
        sopsFiles.get(doc.name) as string,
        { format: doc.format, source: doc.name },
        { ageIdentities: world.identities },
      );
      expect(plain.length).toBeGreaterThan(0);
    }
  });
});

describe('check on a changed type tag or a removed MAC', () => {
  it.each([
    ['type tag', (t: string) => editEnc(t, 'password', (e) => e.replace('type:str]', 'type:int]'))],
    ['mac removed', (t: string) => t.replace(/^\s+mac: .*\n/m, '')],
  ] as const)('%s: reported as failing verification, not as a key problem', async (name, tamper) => {
    const file = await world.box.write(`check-${name.replace(/ /g, '-')}.yaml`, tamper(sopsFiles.get(secret.name) as string));
    const env = baseEnv(world.box.path('home'), { SOPS_AGE_KEY_FILE: world.keyFile, VAULT_TOKEN: world.vaultToken });
    const r = await runOurCli(['check', file], env, world.box.dir);
    transcript.add(`cli check ${name}`, r.out + r.err);
    expect(r.code).toBe(1);
    // check's own structure pass reports a missing MAC first ("no valid mac"); either way not a key problem.
    expect(r.out).toMatch(/tampered or corrupted|no valid mac/);
    expect(r.out).not.toContain('cannot be decrypted with the keys at hand');
  });
});

describe('sweep', () => {
  it('no canary in any error text', () => {
    expect(transcript.texts.length).toBeGreaterThan(CASES.length);
    expect(transcript.leaks(canaries)).toEqual([]);
  });

  it('no gitops-seal temp files or plaintext left behind', async () => {
    expect(await leftoverTemps(tempsBefore, canaries, [world.box.dir])).toEqual([]);
  });
});
