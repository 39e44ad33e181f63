// sops' dotenv format (stores/dotenv): `KEY=value` lines, the metadata flattened into
// `sops_<path>` lines (`sops_age__list_0__map_enc=...`, newlines written as `\n`). The tree is
// one flat mapping of strings, so a dotenv file is decrypted as the equivalent JSON document
// (same keys in the same order, same values, same metadata): the AES-GCM additional data
// (`KEY:`) and the MAC over the values in order are the same, and the JSON path verifies both.
// Comment lines are not part of the MAC in sops and kustomize ignores them; they are dropped.
import { FormatError } from './errors.js';
import { decryptText } from './file.js';
import type { KeyContext } from './keyring.js';

const META_PREFIX = 'sops_';

/** True when the text is a sops-encrypted dotenv file (it carries a `sops_mac` line). */
export function isSopsDotenv(text: string): boolean {
  return /^sops_mac=/m.test(text) && /^sops_lastmodified=/m.test(text);
}

type Meta = { [k: string]: MetaNode };
type MetaNode = string | boolean | Meta | MetaNode[];

/** stores.UnflattenMetadata: `age__list_0__map_enc` → { age: [ { enc } ] }. */
function unflatten(flat: [string, string][], source: string): Meta {
  const root: Meta = {};
  for (const [key, raw] of flat) {
    const parts = key.split(/(__map_|__list_)/);
    const value: MetaNode = key === 'mac_only_encrypted' ? raw === 'true' : raw;
    let node: Meta | MetaNode[] = root;
    let k: string | number = parts[0] as string;
    for (let i = 1; i < parts.length; i += 2) {
      const sep = parts[i];
      const next = parts[i + 1] as string;
      const child: MetaNode | undefined = Array.isArray(node) ? node[k as number] : node[k as string];
      const want: Meta | MetaNode[] = sep === '__list_' ? [] : {};
      const found: MetaNode = child ?? want;
      if (typeof found !== 'object' || Array.isArray(found) !== Array.isArray(want)) throw new FormatError(source, `sops metadata line sops_${key} does not fit the others`);
      const container: Meta | MetaNode[] = found;
      if (Array.isArray(node)) node[k as number] = container;
      else node[k as string] = container;
      node = container;
      if (sep === '__list_') {
        const idx = Number(next);
        if (!Number.isInteger(idx) || idx < 0 || idx > 1000) throw new FormatError(source, `sops metadata line sops_${key}: bad list index`);
        k = idx;
      } else k = next;
    }
    if (Array.isArray(node)) node[k as number] = value;
    else node[k as string] = value;
  }
  return root;
}

/** The encrypted dotenv text as the equivalent sops JSON document (to decrypt with format `json`). */
export function dotenvToSopsJson(text: string, source: string): string {
  const data: [string, string][] = [];
  const meta: [string, string][] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new FormatError(source, `line ${i + 1} is not KEY=value`, `line ${i + 1}`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replace(/\\n/g, '\n');
    if (seen.has(key)) throw new FormatError(source, `key ${key} appears twice`, `line ${i + 1}`);
    seen.add(key);
    if (key.startsWith(META_PREFIX)) meta.push([key.slice(META_PREFIX.length), value]);
    else data.push([key, value]);
  });
  if (meta.length === 0) throw new FormatError(source, 'sops metadata not found: the file is not encrypted with sops');
  // JSON.stringify of an object would move integer-like keys first; build the text in order.
  const body = data.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{${[...body, `"sops":${JSON.stringify(unflatten(meta, source))}`].join(',')}}`;
}

/**
 * Decrypts a sops dotenv file (MAC verified) and returns it as `sops decrypt` prints it:
 * `KEY=value` lines in file order, newlines in values written as `\n`.
 */
export async function decryptDotenvText(text: string, source: string, ctx: KeyContext): Promise<string> {
  const plainJson = await decryptText(dotenvToSopsJson(text, source), { format: 'json', source }, ctx);
  const obj = JSON.parse(plainJson) as Record<string, unknown>;
  // JSON.parse moves integer-like keys first: take the order from the file.
  const order = text.split(/\r?\n/).map((l) => l.slice(0, Math.max(0, l.indexOf('=')))).filter((k) => k !== '' && !k.startsWith('#') && !k.startsWith(META_PREFIX));
  return order.map((k) => `${k}=${String(obj[k]).replace(/\n/g, '\\n')}\n`).join('');
}
