// Input text is read as go-yaml (sops) reads it: UTF-8, or UTF-16 when it starts with a byte-order
// mark. Node's default decoding would turn other bytes into U+FFFD without a word, so a Latin-1
// "café" would be encrypted altered: the secret changed, silently, for good. sops refuses it.
import { InputError } from './errors.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16le = new TextDecoder('utf-16le', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });

/** Input that is not text sops reads. `lossy` is the text with U+FFFD for bad bytes, for inspection only. */
export class EncodingError extends InputError {
  readonly lossy: string;
  constructor(message: string, file: string, lossy: string) {
    super(message, file);
    this.lossy = lossy;
  }
}

/** `bytes` as text, or an EncodingError naming `file` (never quoting the bytes: they may be secret). */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  // The decoders drop the byte-order mark; the text is UTF-8 from here on, as sops writes it.
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? utf16le : bytes[0] === 0xfe && bytes[1] === 0xff ? utf16be : undefined;
  try {
    return (utf16 ?? strict).decode(bytes);
  } catch {
    const lossy = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const cause = utf16 ? 'is not valid UTF-16 text' : 'contains bytes that are not UTF-8';
    throw new EncodingError(
      `${cause}; only UTF-8 (or UTF-16 with a byte-order mark) is read, as sops reads it: convert it first, e.g. with iconv -t UTF-8`,
      file,
      lossy,
    );
  }
}
