// Byte-level mutations of SOPS files, shared by the tamper suites (keys/CLI level in
// test/interop, daemon level in test/reliability): each flips exactly one authenticated part.
import { flipB64, formatEnc, parseEnc } from './helpers.js';

/** Apply `edit` to the first ENC[] value of `key` (YAML `key: ENC[..]` or JSON `"key": "ENC[..]"`). */
export function editEnc(text: string, key: string, edit: (enc: string) => string): string {
  const re = new RegExp(`^(\\s*"?${key.replace(/[.]/g, '\\.')}"?:\\s*"?)(ENC\\[[^\\]]*\\])`, 'm');
  const m = re.exec(text);
  if (!m) throw new Error(`no encrypted value for ${key}`);
  return text.replace(re, `$1${edit(m[2] as string)}`);
}

/** Flip one byte of an ENC[] value's data, iv or tag. */
export const flipPart =
  (part: 'data' | 'iv' | 'tag') =>
  (enc: string): string => {
    const p = parseEnc(enc);
    return formatEnc({ ...p, [part]: flipB64(p[part], part === 'data' ? 0 : 3) });
  };

/** Flip one byte in the age armored block, wherever the format put its line breaks. */
export function flipAgeStanza(text: string, index: number): string {
  const begin = text.indexOf('-----BEGIN AGE ENCRYPTED FILE-----');
  const end = text.indexOf('-----END AGE ENCRYPTED FILE-----');
  if (begin < 0 || end < begin) throw new Error('no age stanza');
  const start = begin + '-----BEGIN AGE ENCRYPTED FILE-----'.length;
  const middle = text.slice(start, end);
  // Chunks of base64 between line breaks (YAML: newline + indentation; JSON: the \n escape).
  const parts = middle.split(/(\\n|\s+)/);
  const isChunk = (s: string, i: number): boolean => i % 2 === 0 && s !== '';
  const body = parts.filter(isChunk).join('');
  const flipped = flipB64(body, index);
  let pos = 0;
  const rebuilt = parts.map((s, i) => {
    if (!isChunk(s, i)) return s;
    const out = flipped.slice(pos, pos + s.length);
    pos += s.length;
    return out;
  });
  return text.slice(0, start) + rebuilt.join('') + text.slice(end);
}

/** One character of the timestamp (the last seconds digit) changes: 5 -> 4, 0 -> 1, ... */
export function flipLastModified(text: string): string {
  return text.replace(/(lastmodified"?:\s*"?\d{4}-\d\d-\d\dT\d\d:\d\d:\d)(\d)/, (_m, head: string, d: string) => `${head}${Number(d) ^ 1}`);
}
