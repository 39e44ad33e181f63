// YAML syntax errors of a DaemonConfig in words a user acts on. The yaml library's messages are
// written for its own API ("Unexpected map-value-ind token in YAML stream", "please use
// YAML.parseAllDocuments()"); its error codes are stable, so each code gets a plain cause and
// the position comes from the error. Only the first error is reported: after a syntax error the
// parser's later complaints are mostly consequences of the first. Nothing of the file's text
// is quoted but a duplicate key's name (a value on that line could be a secret pasted by mistake).
import type { LineCounter, YAMLError } from 'yaml';
import type { ConfigIssue } from './errors.js';

const CAUSES: Record<string, string> = {
  BAD_INDENT: 'wrong indentation, or an unclosed [ ] or { }',
  BLOCK_AS_IMPLICIT_KEY:
    'a mapping where a single value was expected: a value followed by "key: value" on the same line, or a more indented line under a value',
  MULTILINE_IMPLICIT_KEY: 'a key spread over two lines: check the indentation of this line and the one above',
  TAB_AS_INDENT: 'tabs are not allowed for indentation; use spaces',
  DUPLICATE_KEY: 'duplicate key: each key may appear once in a mapping',
  MULTIPLE_DOCS: 'more than one YAML document ("---"): a DaemonConfig file holds exactly one',
  UNEXPECTED_TOKEN: 'unexpected text: check the indentation, a missing "- " or a missing ":"',
  BAD_ALIAS: 'an alias (*name) without a matching anchor (&name)',
  BAD_SCALAR_START: 'a value cannot start with this character unless it is quoted',
  TAG_RESOLVE_FAILED: 'a value does not fit its tag',
  ALIAS_PROPS: 'an alias (*name) cannot have a tag or an anchor',
  BAD_DIRECTIVE: 'an unsupported %YAML or %TAG directive',
};

/** The library's own message, first line, with its trailing position removed and lower-cased. */
function ownWords(message: string): string {
  const line = (message.split('\n', 1)[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
  return line.charAt(0).toLowerCase() + line.slice(1);
}

/** One issue for the first syntax error: line, column and a plain cause. */
export function syntaxIssue(errors: readonly YAMLError[], lc: LineCounter, text: string): ConfigIssue {
  const first = errors[0];
  if (!first) return { path: '', message: 'YAML syntax error' };
  // MISSING_CHAR covers unclosed quotes and sequence items without "- ": the library's words say which.
  let cause = CAUSES[first.code] ?? ownWords(first.message);
  // A key is a field name, not a value: naming it is safe and saves a search.
  const key = /^[\w.-]{1,64}(?=\s*:)/.exec(text.slice(first.pos[0], first.pos[0] + 80))?.[0];
  if (first.code === 'DUPLICATE_KEY' && key) cause = `duplicate key "${key}": each key may appear once in a mapping`;
  const pos = lc.linePos(first.pos[0]);
  return { path: '', line: pos.line, column: pos.col, message: `YAML syntax error: ${cause}` };
}
