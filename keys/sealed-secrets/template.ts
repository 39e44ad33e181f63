// spec.template.data: the controller renders each entry as a Go text/template (with sprig) over
// the decrypted values, e.g. `url: "postgres://app:{{ .password }}@db:5432/app"`. This reader
// evaluates the subset that needs no Go runtime — literal text, `{{ .key }}` and
// `{{ index . "key" }}` (with `{{-`/`-}}` trimming) — and refuses anything else by key, so a
// conversion never silently differs from what the controller would have produced.

export type TemplateResult = { ok: true; value: Buffer } | { ok: false; why: string };

const ACTION = /\{\{(-\s)?\s*([\s\S]*?)\s*(\s-)?\}\}/g;
const FIELD = /^\.([A-Za-z_][A-Za-z0-9_]*)$/;
const INDEX = /^index\s+\.\s+"((?:[^"\\]|\\.)*)"$/;

/** Renders one template entry over `values` (key → decrypted bytes, read as UTF-8 like Go's string()). */
export function renderTemplate(source: string, values: ReadonlyMap<string, Buffer>): TemplateResult {
  const parts: Buffer[] = [];
  let last = 0;
  let trimNext = false;
  for (const m of source.matchAll(ACTION)) {
    let text = source.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    parts.push(Buffer.from(text, 'utf8'));
    const expr = m[2] ?? '';
    const key = FIELD.exec(expr)?.[1] ?? unquote(INDEX.exec(expr)?.[1]);
    if (key === undefined)
      return { ok: false, why: 'uses template functions gitops-seal cannot evaluate (only {{ .key }} and {{ index . "key" }})' };
    const v = values.get(key);
    // Go renders a missing map key as "<no value>"; the controller would write that into the Secret.
    parts.push(v ?? Buffer.from('<no value>', 'utf8'));
    last = (m.index ?? 0) + m[0].length;
    trimNext = m[3] !== undefined;
  }
  let rest = source.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  if (rest.includes('{{')) return { ok: false, why: 'has an unterminated template action' };
  parts.push(Buffer.from(rest, 'utf8'));
  return { ok: true, value: Buffer.concat(parts) };
}

function unquote(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return undefined;
  }
}
