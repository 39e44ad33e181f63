// Input text must be UTF-8, as sops (go-yaml, encoding/json) requires. Node's default decoding
// would turn other bytes into U+FFFD without a word, so a Latin-1 "café" or a UTF-16 file saved
// by an editor would be encrypted altered: the secret changed, silently, for good.
import { InputError } from './errors.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Input that is not UTF-8. `lossy` is the text with U+FFFD for bad bytes, for inspection only. */
export class EncodingError extends InputError {
  readonly lossy: string;
  constructor(message: string, file: string, lossy: string) {
    super(message, file);
    this.lossy = lossy;
  }
}

/** `bytes` as text, or an EncodingError naming `file` (never quoting the bytes: they may be secret). */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
    const cause = utf16 ? 'is UTF-16 text' : 'contains bytes that are not UTF-8';
    const lossy = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    throw new EncodingError(`${cause}; only UTF-8 is read (as sops reads it): convert it first, e.g. with iconv -t UTF-8`, file, lossy);
  }
}
