// What a file must be before a command works on it, with messages that say what is wrong with
// *this* file: empty, not YAML/JSON at all, a format we do not read, or simply not encrypted.
import { extname } from 'node:path';
import { InputError } from './errors.js';
import { isRecord, parseDocuments, type DocFormat } from './k8s-secret.js';

const FORMATS = 'gitops-seal reads YAML and JSON files whose documents are mappings';
// sops' other stores; naming them tells a sops user why their file is refused.
const OTHER_SOPS_FORMATS: Record<string, string> = {
  '.env': 'dotenv',
  '.ini': 'ini',
};

function unsupportedFormat(file: string, binary = false): string {
  const other = binary ? 'binary' : OTHER_SOPS_FORMATS[extname(file).toLowerCase()];
  const what = other !== undefined ? `this looks like a ${other} file` : 'this is not a YAML/JSON mapping';
  return `${what}: ${FORMATS} (sops' dotenv, ini and binary formats are not supported)`;
}

/**
 * Refuse plaintext that cannot be encrypted, before any key is used and before anything is
 * written: no document at all (empty, only comments or `---`, which sops refuses too: "File
 * cannot be completely empty, it must contain at least one document"), a parse error, or a
 * top-level value that is not a mapping (dotenv, binary, a bare list or string).
 */
export function assertEncryptable(text: string, format: DocFormat, file: string): unknown[] {
  if (format === 'json' ? text.trim() === '' : !/\S/.test(text.replace(/^\s*#.*$/gm, ''))) {
    throw new InputError(
      'nothing to encrypt: the file is empty or holds only comments (sops refuses it too: a file must contain at least one document); it was left unchanged',
      file,
    );
  }
  // A NUL never occurs in YAML or JSON text; it does in almost every binary file.
  if (text.includes('\u0000')) throw new InputError(unsupportedFormat(file, true), file);
  const { docs, error } = parseDocuments(text, format);
  if (error !== undefined) {
    throw new InputError(OTHER_SOPS_FORMATS[extname(file).toLowerCase()] !== undefined ? unsupportedFormat(file) : error, file);
  }
  // An explicit `---` with nothing after it is a null document: sops keeps it as an empty one.
  const filled = docs.filter((d) => d !== null);
  if (filled.length === 0) {
    throw new InputError(
      'nothing to encrypt: the file holds only empty documents (a file must contain at least one document with data); it was left unchanged',
      file,
    );
  }
  if (!filled.every(isRecord)) throw new InputError(unsupportedFormat(file), file);
  return docs;
}

/**
 * For commands that need an encrypted file: a file that does not parse is reported as such (not
 * as "not encrypted"), and one without sops metadata gets `hint` (what to do instead).
 */
export function assertEncrypted(isEncrypted: boolean, text: string, format: DocFormat, file: string, hint = ''): void {
  if (isEncrypted) return;
  const { error } = parseDocuments(text, format);
  if (error !== undefined) throw new InputError(error, file);
  throw new InputError(`not encrypted (no sops metadata)${hint}`, file);
}
