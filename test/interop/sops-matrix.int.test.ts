// Issue 3 interop matrix on the real stack: {gitops-seal keys API, gitops-seal CLI, sops 3.13.3}
// × encrypt/decrypt × {age, Vault transit, age+Vault} × {Secret, nested types YAML/JSON,
// comments, multi-document}. Every file written by one side must decrypt with every other side
// (and the same side) to the same parsed data; age+Vault files must open with only the age key
// and with only the Vault token. Ends with the canary and temp-file sweeps.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { documents, SECRET_REGEX, type Doc } from './fixtures.js';
import { Canaries, leftoverTemps, parseDocs, strayTempsIn, tempEntries, Transcript } from './helpers.js';
import { credsFor, decryptAs, encryptAs, makeWorld, type KeyMode, type Reader, type World, type Writer } from './parties.js';

const WRITERS: Writer[] = ['keys-api', 'cli', 'sops'];
const READERS: Reader[] = ['keys-api', 'cli', 'sops'];
const MODES: KeyMode[] = ['age', 'vault', 'age+vault'];

const canaries = new Canaries();
const transcript = new Transcript();
const docs = documents(canaries);
let world: World;
let tempsBefore: Map<string, number>;
/** Encrypted file per writer/mode/doc, filled by the encrypt tests, read by the decrypt tests. */
const written = new Map<string, string>();
const cell = (w: Writer, m: KeyMode, d: Doc): string => `${w}.${m.replace('+', '-')}.${d.name}`;

beforeAll(async () => {
  tempsBefore = await tempEntries();
  world = await makeWorld(inject('stack'), 'matrix', transcript);
});
afterAll(async () => {
  await world?.box.cleanup();
});

function assertEncryptedShape(enc: string, doc: Doc, mode: KeyMode, w: World): void {
  // No plaintext canary in the encrypted file (values and comments are encrypted).
  expect(canaries.foundIn(enc)).toEqual([]);
  for (const line of doc.plainLines) expect(enc).toContain(line);
  if (doc.rule?.encryptedRegex)
    expect(enc).toContain(doc.format === 'json' ? `"encrypted_regex": "${SECRET_REGEX}"` : `encrypted_regex: ${SECRET_REGEX}`);
  if (mode !== 'vault') expect(enc).toContain(w.recipient);
  if (mode !== 'age') expect(enc).toMatch(/vault:v\d+:/);
  else expect(enc).not.toMatch(/hc_vault/);
}

describe.each(WRITERS)('written by %s', (writer) => {
  describe.each(MODES)('for %s', (mode) => {
    describe.each(docs.map((d) => [d.name, d] as const))('%s', (_name, doc) => {
      it('encrypts', async () => {
        const path = await encryptAs(world, writer, mode, doc, cell(writer, mode, doc));
        const enc = await readFile(path, 'utf8');
        assertEncryptedShape(enc, doc, mode, world);
        written.set(cell(writer, mode, doc), path);
      });

      const combos = READERS.flatMap((reader) => credsFor(mode).map((creds) => [reader, creds] as const));
      it.each(combos)('decrypts with %s (%s)', async (reader, creds) => {
        const path = written.get(cell(writer, mode, doc));
        if (path === undefined) throw new Error('the encrypt step of this cell failed');
        const plain = await decryptAs(world, reader, creds, path, doc.format, `${cell(writer, mode, doc)}.${reader}.${creds}`);
        expect(parseDocs(plain, doc.format)).toEqual(parseDocs(doc.text, doc.format));
        for (const c of doc.comments) expect(plain).toContain(c);
      });
    });
  });
});

describe('sweep', () => {
  it('recorded the matrix transcript', () => {
    // sops prints its key attempts; make sure the sweep below actually looked at something.
    expect(canaries.size).toBeGreaterThan(10);
  });

  it('no canary in any captured stderr or error text', () => {
    expect(transcript.leaks(canaries)).toEqual([]);
  });

  it('no gitops-seal temp files or plaintext left in /dev/shm or the OS temp dir', async () => {
    expect(await leftoverTemps(tempsBefore, canaries, [world.box.dir])).toEqual([]);
    // Inside the sandbox: no atomic-write leftovers next to the files the CLI wrote.
    expect(await strayTempsIn(world.box.dir)).toEqual([]);
  });
});
