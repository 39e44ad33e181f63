// Seeded fuzzing of decryptText: random and mutated inputs may only ever produce SopsError
// subclasses (never TypeError/RangeError, never a hang), and never partial output.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { decryptText, encryptText, generateAgeIdentity, SopsError } from '../index.js';

let identity = '';
let yamlFile = '';
let jsonFile = '';

beforeAll(async () => {
  const id = await generateAgeIdentity();
  identity = id.identity;
  const ctx = { ageIdentities: [] };
  yamlFile = await encryptText(
    'a: 1\nb:\n    - x\n    - y: true\n# c\nd_unencrypted: z\n',
    { format: 'yaml', source: 'f.yaml', keys: { age: [id.recipient] } },
    ctx,
  );
  jsonFile = await encryptText(
    '{"a": 1, "b": ["x", {"y": true}]}',
    { format: 'json', source: 'f.json', keys: { age: [id.recipient] } },
    ctx,
  );
});

async function check(text: string, format: 'yaml' | 'json'): Promise<void> {
  try {
    await decryptText(text, { format, source: 'fuzz' }, { ageIdentities: [identity] });
  } catch (err) {
    if (!(err instanceof SopsError)) throw new Error(`non-SopsError thrown: ${String(err)}`);
  }
}

const mutation = (base: () => string) =>
  fc
    .tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 8 }), fc.constantFrom('replace', 'insert', 'delete', 'truncate'))
    .map(([a, b, s, op]) => {
      const src = base();
      const i = a % (src.length + 1);
      const j = Math.min(src.length, i + (b % 16));
      switch (op) {
        case 'replace':
          return src.slice(0, i) + s + src.slice(j);
        case 'insert':
          return src.slice(0, i) + s + src.slice(i);
        case 'delete':
          return src.slice(0, i) + src.slice(j);
        default:
          return src.slice(0, i);
      }
    });

describe('decryptText fuzz', () => {
  it('only throws SopsError on mutated YAML (1000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutation(() => yamlFile),
        (t) => check(t, 'yaml'),
      ),
      { seed: 20261122, numRuns: 1000 },
    );
  }, 120_000);

  it('only throws SopsError on mutated JSON (1000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutation(() => jsonFile),
        (t) => check(t, 'json'),
      ),
      { seed: 42, numRuns: 1000 },
    );
  }, 120_000);

  it('only throws SopsError on random text (1000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), fc.constantFrom<'yaml' | 'json'>('yaml', 'json'), (t, f) => check(t, f)),
      { seed: 7, numRuns: 1000 },
    );
  }, 120_000);

  it('still decrypts the unmutated files', async () => {
    expect(await decryptText(yamlFile, { format: 'yaml', source: 'f' }, { ageIdentities: [identity] })).toContain('d_unencrypted: z');
  });
});
