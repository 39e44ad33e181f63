// Item 3 of issue 13: values up to and well beyond the Kubernetes Secret limit (~1 MiB per
// object) must round-trip through every path that writes a file — encrypt, decrypt, the edit
// path (reencrypt with new plaintext), updatekeys and rotate — in YAML and JSON. Before the
// fix, an 8 MiB value encrypted fine and then every read failed with "Maximum call stack size
// exceeded" (a backtracking base64 regex), so we wrote files we could not read back.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';

import { decryptText, encryptText, generateAgeIdentity, reencryptText } from '../index.js';
import { parseEnc } from './cipher.js';

let id: { identity: string; recipient: string };
let other: { identity: string; recipient: string };
beforeAll(async () => {
  id = await generateAgeIdentity();
  other = await generateAgeIdentity();
});

const MiB = 1 << 20;
/** A base64 value of `bytes` decoded bytes, as a Secret's `data` holds. */
const b64 = (bytes: number): string => randomBytes(bytes).toString('base64');

const SIZES = [1 * MiB - 4096, 1 * MiB, 4 * MiB, 8 * MiB];

describe.each(['yaml', 'json'] as const)('large values (%s)', (format) => {
  it.each(SIZES)(
    'a %d-byte value round-trips through encrypt, decrypt, edit, updatekeys and rotate',
    async (size) => {
      const value = b64(Math.floor((size * 3) / 4));
      const plain =
        format === 'yaml'
          ? `kind: Secret\ndata:\n    blob: ${value}\n    small: eA==\n`
          : `{\n\t"kind": "Secret",\n\t"data": {\n\t\t"blob": "${value}",\n\t\t"small": "eA=="\n\t}\n}\n`;
      const source = `big.${format}`;
      const ctx = { ageIdentities: [id.identity] };
      const enc = await encryptText(plain, { format, source, keys: { age: [id.recipient] }, rule: { encryptedRegex: '^data$' } }, ctx);
      expect(enc).not.toContain(value.slice(0, 64));

      expect(await decryptText(enc, { format, source }, ctx)).toContain(value);

      const edited = await reencryptText(enc, { format, source, newPlaintext: plain.replace('eA==', 'eQ==') }, ctx);
      const afterEdit = await decryptText(edited, { format, source }, ctx);
      expect(afterEdit).toContain(value);
      expect(afterEdit).toContain('eQ==');

      const updated = await reencryptText(edited, { format, source, keys: { age: [id.recipient, other.recipient] } }, ctx);
      expect(await decryptText(updated, { format, source }, { ageIdentities: [other.identity] })).toContain(value);

      const rotated = await reencryptText(updated, { format, source, rotate: true }, ctx);
      expect(await decryptText(rotated, { format, source }, ctx)).toContain(value);
    },
    120_000,
  );
});

it('parses an ENC[] value of 8 MiB of ciphertext without deep recursion', () => {
  const data = b64(8 * MiB);
  const p = parseEnc(`ENC[AES256_GCM,data:${data},iv:${b64(32)},tag:${b64(16)},type:str]`);
  expect(p.data.length).toBe(8 * MiB);
});
