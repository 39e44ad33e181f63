// `${NAME}` environment expansion in a DaemonConfig, so one file serves several hosts (the demo,
// docker-compose, a CI job) with host-specific values (URLs, paths, intervals) set per host.
//
// Expansion runs on the parsed YAML document, on *values* only (never keys or comments), so a
// variable's value can never change the file's structure and every error keeps its line:
//   ${NAME}           the variable's value; unset is an error naming the variable (and the file)
//   ${NAME:-default}  default when NAME is unset or empty
//   ${NAME-default}   default when NAME is unset
//   $${               a literal "${"
// A default may hold references itself, as in POSIX shells: `${A:-${B:-x}}` (up to 8 deep); it
// ends at the first "}" that closes no inner reference, so a default cannot contain a "}".
// An unquoted (plain) scalar is re-typed after expansion as if the value had been written there:
// true/false, null/~ and numbers become booleans, null and numbers (`insecure: ${X:-true}` is a
// boolean); quote it ("${X}") to keep a string.
//
// Secrets do not belong here: an expanded value is ordinary config text. Credentials keep coming
// from `*From: {env|file}` references, read when used (so rotations need no restart).
import { isPair, isScalar, isSeq, visit, type Document, type LineCounter, type Scalar } from 'yaml';
import type { ConfigIssue } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A `${...}` that cannot be expanded; the message names the variable, never its value. */
export class ExpansionError extends Error {
  override readonly name = 'ExpansionError';
}

/** How deep `${A:-${B:-...}}` may nest: deeper is refused, not recursed into. */
const MAX_DEPTH = 8;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y; // sticky: matched at lastIndex, no copy of the rest
const UNTERMINATED = 'unterminated "${" (write "$${" for a literal "${")';

/** Literal text, or a reference whose default is itself parsed (expanded only when used). */
type Part = string | { name: string; op?: ':-' | '-'; dflt: Part[] };

/**
 * Parse text from `i` into parts. Inside a default (`nested`), the first `}` that closes no
 * inner reference ends it, as in POSIX shells; at top level a `}` is literal.
 */
function parseParts(text: string, i: number, depth: number, nested: boolean): { parts: Part[]; end: number } {
  const parts: Part[] = [];
  let lit = '';
  while (i < text.length) {
    if (nested && text[i] === '}') {
      if (lit) parts.push(lit);
      return { parts, end: i };
    }
    if (text.startsWith('$${', i)) {
      lit += '${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      if (lit) parts.push(lit);
      lit = '';
      const r = parseRef(text, i, depth);
      parts.push(r.ref);
      i = r.end + 1;
    } else {
      lit += text[i];
      i += 1;
    }
  }
  if (nested) throw new ExpansionError(UNTERMINATED);
  if (lit) parts.push(lit);
  return { parts, end: i };
}

/** The reference starting at `at` (its "$"); `end` is the index of its closing "}". */
function parseRef(text: string, at: number, depth: number): { ref: Exclude<Part, string>; end: number } {
  if (depth >= MAX_DEPTH) throw new ExpansionError(`"\${" nested more than ${MAX_DEPTH} deep`);
  const from = at + 2;
  NAME.lastIndex = from;
  const name = NAME.exec(text)?.[0];
  const after = from + (name?.length ?? 0);
  if (name && text[after] === '}') return { ref: { name, dflt: [] }, end: after };
  const op = text.startsWith(':-', after) ? ':-' : text[after] === '-' ? '-' : undefined;
  if (name && op) {
    const d = parseParts(text, after + op.length, depth + 1, true);
    return { ref: { name, op, dflt: d.parts }, end: d.end };
  }
  if (name && after >= text.length) throw new ExpansionError(UNTERMINATED);
  const close = text.indexOf('}', from);
  if (close < 0) throw new ExpansionError(UNTERMINATED);
  const inner = text.slice(from, close);
  throw new ExpansionError(`invalid "\${${inner.slice(0, 40)}}": expected \${NAME}, \${NAME:-default} or \${NAME-default}`);
}

function evaluate(parts: readonly Part[], env: Env): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const value = env[p.name];
    if (p.op === ':-' && (value === undefined || value === '')) out += evaluate(p.dflt, env);
    else if (p.op === '-' && value === undefined) out += evaluate(p.dflt, env);
    else if (value === undefined)
      throw new ExpansionError(`environment variable ${p.name} is not set (use \${${p.name}:-default} for a default)`);
    else out += value;
  }
  return out;
}

/**
 * Expand every `${...}` in one string (see the file comment for the syntax). The whole string
 * is parsed first, so a malformed reference is refused even in a default that is not used;
 * a default is expanded only when it is used (`${SET:-${UNSET}}` is no error).
 */
export function expandString(text: string, env: Env): string {
  return evaluate(parseParts(text, 0, 0, false).parts, env);
}

/** What an unquoted scalar with this text means (YAML 1.2 core schema), or the text itself. */
export function retypePlain(text: string): string | number | boolean | null {
  if (/^(?:~|[Nn]ull|NULL)$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE)$/.test(text)) return true;
  if (/^(?:[Ff]alse|FALSE)$/.test(text)) return false;
  if (/^[-+]?[0-9]+$/.test(text)) return Number.parseInt(text, 10);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return Number.parseFloat(text);
  return text;
}

/** Field path of a visited node, e.g. `spec.sources[0].url`, from the visitor's ancestor list. */
function fieldPath(ancestors: readonly unknown[], node: unknown): string {
  let path = '';
  const chain = [...ancestors, node];
  chain.forEach((a, i) => {
    if (isPair(a) && isScalar(a.key)) path += `${path ? '.' : ''}${String(a.key.value)}`;
    else if (isSeq(a)) path += `[${a.items.indexOf(chain[i + 1] as never)}]`;
  });
  return path;
}

/**
 * Expand `${...}` in every string value of `doc`, in place. Returns one issue per scalar that
 * could not be expanded (empty when all went well).
 */
export function expandDocument(doc: Document, lc: LineCounter, env: Env): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Scalar(key, node: Scalar, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      try {
        const expanded = expandString(node.value, env);
        node.value = node.type === 'PLAIN' ? retypePlain(expanded) : expanded;
      } catch (err) {
        if (!(err instanceof ExpansionError)) throw err;
        issues.push({
          path: fieldPath(ancestors, node),
          message: err.message,
          ...(node.range ? { line: lc.linePos(node.range[0]).line } : {}),
        });
      }
    },
  });
  return issues;
}
