// Issue 13, items 1 and 2, against the real sops 3.13.3: every value type sops writes (str, int,
// float, bool, time, comment; YAML and JSON; encrypted and in clear) round-trips both ways.
// Each writer — sops, the keys API, our CLI — encrypts the same plaintext; each reader decrypts
// every file, and the output is compared byte for byte with what `sops decrypt` prints for the
// file sops wrote (our readers keep `.0` on whole floats, the one documented difference).
// A Kubernetes Secret with an unquoted date (the case) passes `check` and decrypts.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText } from '../../keys/index.js';
import { baseEnv, runOurCli, runSops, Transcript } from './helpers.js';
import { makeWorld, type World } from './parties.js';

const transcript = new Transcript();
const testdata = fileURLToPath(new URL('../../keys/testdata/', import.meta.url));
let world: World;

const YAML_TYPES = readFileSync(`${testdata}plain-types.yaml`, 'utf8');
const JSON_TYPES = `${JSON.stringify(
  {
    str: 'hello',
    date: '2027-01-01',
    yes: 'yes',
    int: 42,
    neg: -7,
    big: 9223372036854775807n,
    float: 3.25,
    small: 1e-7,
    huge: 1.5e300,
    t: true,
    f: false,
    nil: null,
    empty: '',
    html: '<a href="x">&</a>',
    uni: 'grüße ✓ \u2028',
    list: [1, 2.5, 'three', false, null],
    plain_unencrypted: 0.1,
  },
  (_k, v: unknown) => (typeof v === 'bigint' ? `@@${v}@@` : v),
  2,
).replace(/"@@(-?\d+)@@"/g, '$1')}\n`;

const DOCS = [
  { name: 'types.yaml', format: 'yaml' as const, text: YAML_TYPES },
  { name: 'types.json', format: 'json' as const, text: JSON_TYPES },
];
type Party = 'sops' | 'keys-api' | 'cli';
const PARTIES: Party[] = ['sops', 'keys-api', 'cli'];

/** go-yaml writes a whole float as `2`; we keep `2.0` so an edit does not turn it into an int. */
const ourFloats = (sopsOut: string): string => sopsOut.replace(/^(\s+(?:whole|exp): \d+)$/gm, '$1.0');

const env = (): NodeJS.ProcessEnv => baseEnv(world.box.path('home'), { SOPS_AGE_KEY_FILE: world.keyFile });
const written = new Map<string, string>();
/** What `sops decrypt` prints for the file sops wrote, per document. */
const reference = new Map<string, string>();

async function encryptAs(party: Party, doc: (typeof DOCS)[number]): Promise<string> {
  const input = await world.box.write(`plain.${doc.name}`, doc.text);
  const output = world.box.path(`${party}.enc.${doc.name}`);
  if (party === 'keys-api') {
    await world.box.write(
      `${party}.enc.${doc.name}`,
      await encryptText(doc.text, { format: doc.format, source: output, keys: { age: [world.recipient] } }, {}),
    );
    return output;
  }
  const args =
    party === 'sops'
      ? ['encrypt', '--age', world.recipient, '--output', output, input]
      : ['encrypt', input, '--age', world.recipient, '-o', output];
  const r = party === 'sops' ? await runSops(world.sopsBin, args, env(), world.box.dir) : await runOurCli(args, env(), world.box.dir);
  transcript.add(`${party} encrypt ${doc.name}`, r.err);
  if (r.code !== 0) throw new Error(`${party} encrypt exited ${r.code}: ${r.err.trim()}`);
  return output;
}

async function decryptAs(party: Party, path: string, format: 'yaml' | 'json'): Promise<string> {
  if (party === 'keys-api') {
    const { decryptText } = await import('../../keys/index.js');
    return decryptText(await readFile(path, 'utf8'), { format, source: path }, { ageIdentities: world.identities });
  }
  const r =
    party === 'sops'
      ? await runSops(world.sopsBin, ['decrypt', path], env(), world.box.dir)
      : await runOurCli(['decrypt', path], env(), world.box.dir);
  if (r.code !== 0) throw new Error(`${party} decrypt exited ${r.code}: ${r.err.trim()}`);
  return r.out;
}

beforeAll(async () => {
  world = await makeWorld(inject('stack'), 'types', transcript);
  for (const doc of DOCS) {
    const path = await encryptAs('sops', doc);
    written.set(`sops.${doc.name}`, path);
    reference.set(doc.name, await decryptAs('sops', path, doc.format));
  }
});
afterAll(async () => {
  await world?.box.cleanup();
});

describe.each(DOCS.map((d) => [d.name, d] as const))('%s', (_name, doc) => {
  it('sops wrote every type it has (str, int, float, bool, time, comment)', async () => {
    const enc = await readFile(written.get(`sops.${doc.name}`) as string, 'utf8');
    const types = new Set([...enc.matchAll(/type:([a-z]+)\]/g)].map((m) => m[1]));
    expect([...types].sort()).toEqual(
      doc.format === 'yaml' ? ['bool', 'comment', 'float', 'int', 'str', 'time'] : ['bool', 'float', 'int', 'str'],
    );
  });

  describe.each(PARTIES)('written by %s', (writer) => {
    it.each(PARTIES)('decrypted by %s: byte for byte what sops decrypt prints', async (reader) => {
      const key = `${writer}.${doc.name}`;
      if (!written.has(key)) written.set(key, await encryptAs(writer, doc));
      const out = await decryptAs(reader, written.get(key) as string, doc.format);
      const want = reference.get(doc.name) as string;
      expect(out).toBe(reader === 'sops' ? want : ourFloats(want));
    });
  });
});

describe('a Kubernetes Secret with an unquoted date, written by sops', () => {
  it('passes check and decrypts to the time sops wrote', async () => {
    const plain = await world.box.write(
      'expiring.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: expiring\nstringData:\n  expires: 2027-01-01\n  enabled: "yes"\n',
    );
    const out = world.box.path('expiring.enc.yaml');
    const s = await runSops(
      world.sopsBin,
      ['encrypt', '--age', world.recipient, '--encrypted-regex', '^(data|stringData)$', '--output', out, plain],
      env(),
      world.box.dir,
    );
    expect(s.code, s.err).toBe(0);
    expect(await readFile(out, 'utf8')).toMatch(/expires: ENC\[[^\]]*type:time\]/);
    const check = await runOurCli(['check', out], env(), world.box.dir);
    expect(check.code, check.out + check.err).toBe(0);
    const dec = await runOurCli(['decrypt', out], env(), world.box.dir);
    expect(dec.code, dec.err).toBe(0);
    expect(dec.out).toContain('    expires: 2027-01-01T00:00:00Z\n');
    expect(dec.out).toContain('    enabled: "yes"\n');
    expect(dec.out).toBe((await runSops(world.sopsBin, ['decrypt', out], env(), world.box.dir)).out);
  });
});
