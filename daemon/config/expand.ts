// `${NAME}` environment expansion in a DaemonConfig, so one file serves several hosts (the demo,
// docker-compose, a CI job) with host-specific values (URLs, paths, intervals) set per host.
//
// Expansion runs on the parsed YAML document, on *values* only (never keys or comments), so a
// variable's value can never change the file's structure and every error keeps its line:
//   ${NAME}           the variable's value; unset is an error naming the variable (and the file)
//   ${NAME:-default}  default when NAME is unset or empty
//   ${NAME-default}   default when NAME is unset
//   $${               a literal "${"
// An unquoted (plain) scalar is re-typed after expansion as if the value had been written there:
// true/false, null/~ and numbers become booleans, null and numbers (`insecure: ${X:-true}` is a
// boolean); quote it ("${X}") to keep a string. Defaults are literal text (no nested `${}`).
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

const REF = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-)([\s\S]*))?$/;

/** Expand every `${...}` in one string (see the file comment for the syntax). */
export function expandString(text: string, env: Env): string {
  let out = '';
  let i = 0;
  for (;;) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) return out + text.slice(i);
    out += text.slice(i, dollar);
    if (text.startsWith('$${', dollar)) {
      out += '${';
      i = dollar + 3;
      continue;
    }
    if (text[dollar + 1] !== '{') {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close < 0) throw new ExpansionError(`unterminated "\${" (write "$\${" for a literal "\${")`);
    const inner = text.slice(dollar + 2, close);
    const m = REF.exec(inner);
    if (!m?.[1]) {
      throw new ExpansionError(`invalid "\${${inner.slice(0, 40)}}": expected \${NAME}, \${NAME:-default} or \${NAME-default}`);
    }
    const [, name, op, dflt] = m;
    const value = env[name];
    if (op === ':-' && (value === undefined || value === '')) out += dflt ?? '';
    else if (op === '-' && value === undefined) out += dflt ?? '';
    else if (value === undefined) throw new ExpansionError(`environment variable ${name} is not set (use \${${name}:-default} for a default)`);
    else out += value;
    i = close + 1;
  }
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
