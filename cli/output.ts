// Structured output (`-o json`) for commands whose result is a list of findings or outcomes.
// Text stays the default because these commands mostly run in terminals and hooks.
import { InvalidArgumentError } from 'commander';
import type { Writer } from './context.js';

export type OutputFormat = 'text' | 'json';

/** commander argParser for `-o, --output <format>`. */
export function parseOutputFormat(value: string): OutputFormat {
  if (value === 'text' || value === 'json') return value;
  throw new InvalidArgumentError(`expected 'text' or 'json', got '${value}'`);
}

/** One JSON document followed by a newline, so the output can be piped into jq. */
export function writeJson(out: Writer, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}
