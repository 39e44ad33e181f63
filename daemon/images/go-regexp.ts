// The two pieces of Go's regexp package that Flux tag filtering depends on, for JavaScript:
// compiling an RE2 pattern as written in Flux configs (`(?P<ts>...)`, leading `(?i)` flags) and
// Regexp.Expand's template language (`$name`, `${name}`, `$1`, `$$`).

import { PolicyError } from './errors.js';

/**
 * Compile a Go (RE2) pattern. Handles the syntax Flux users write that JavaScript spells
 * differently: `(?P<name>` groups, leading flag groups `(?i)`/`(?s)`/`(?m)`, and `\A`/`\z`.
 * Matching is unanchored, like Go's FindStringSubmatchIndex.
 */
export function compileGoRegexp(pattern: string): RegExp {
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    const f = lead[1] ?? '';
    if (f.includes('U')) throw new PolicyError(`regular expression "${pattern}": the (?U) flag is not supported`);
    flags = [...new Set(f)].join('');
    src = src.slice(lead[0].length);
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new PolicyError(
      `invalid regular expression "${pattern}": ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`,
      { cause: e },
    );
  }
}

/**
 * Go's Regexp.ExpandString: `$name`/`${name}` is the named or numbered group (empty when absent
 * or unmatched), `$$` is a literal `$`, a malformed `$` reference is copied as is.
 */
export function expandGoTemplate(template: string, match: RegExpExecArray): string {
  const named = new Map(Object.entries(match.groups ?? {}));
  let out = '';
  let t = template;
  for (;;) {
    const i = t.indexOf('$');
    if (i < 0) break;
    out += t.slice(0, i);
    t = t.slice(i + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ref = extractName(t);
    if (!ref) {
      out += '$';
      continue;
    }
    t = ref.rest;
    if (/^\d+$/.test(ref.name)) {
      const n = Number(ref.name);
      // Go parses the number into an int; an absurdly long one is treated as out of range.
      if (Number.isSafeInteger(n) && n < match.length) out += match[n] ?? '';
    } else {
      out += named.get(ref.name) ?? '';
    }
  }
  return out + t;
}

function extractName(t: string): { name: string; rest: string } | undefined {
  const brace = t.startsWith('{');
  const s = brace ? t.slice(1) : t;
  const m = /^[A-Za-z0-9_]+/.exec(s);
  if (!m) return undefined;
  const name = m[0];
  let rest = s.slice(name.length);
  if (brace) {
    if (!rest.startsWith('}')) return undefined;
    rest = rest.slice(1);
  }
  return { name, rest };
}
