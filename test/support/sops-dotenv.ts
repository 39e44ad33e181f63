// A sops dotenv file (stores/dotenv) made from a sops JSON document of flat string values: the
// same tree, so the same AES-GCM additional data and MAC (keys/sops/dotenv.ts decrypts dotenv as
// this JSON). For unit tests that need an encrypted `.env` without the sops binary; the real
// sops' dotenv output is covered by daemon/render/kustomize.int.test.ts.
type Meta = string | number | boolean | null | Meta[] | { [k: string]: Meta };

/** stores.FlattenMetadata: { age: [ { enc } ] } → `age__list_0__map_enc`. */
function flatten(prefix: string, v: Meta, out: [string, string][]): void {
  if (Array.isArray(v)) v.forEach((x, i) => flatten(`${prefix}__list_${i}`, x, out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) flatten(`${prefix}__map_${k}`, x, out);
  else out.push([prefix, String(v)]);
}

export function sopsJsonToDotenv(json: string): string {
  const doc = JSON.parse(json) as Record<string, Meta>;
  const lines: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    if (k === 'sops') continue;
    lines.push(`${k}=${String(v).replace(/\n/g, '\\n')}`);
  }
  const meta: [string, string][] = [];
  for (const [k, v] of Object.entries(doc.sops as Record<string, Meta>)) flatten(k, v, meta);
  for (const [k, v] of meta) lines.push(`sops_${k}=${v.replace(/\n/g, '\\n')}`);
  return `${lines.join('\n')}\n`;
}
