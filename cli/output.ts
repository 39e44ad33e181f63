// Structured output (`-o json|yaml`) for commands whose result is a list of findings, outcomes
// or a status. Text (or a table) stays the default because these commands mostly run in
// terminals and hooks.
import { InvalidArgumentError } from 'commander';
import { stringify } from 'yaml';
import type { Writer } from './context.js';

/**
 * A commander argParser that accepts one of a fixed list of words. It carries the list so that
 * `gitops-seal completion` can offer the values without a second copy to keep in sync.
 */
export interface ChoiceParser<T extends string> {
  (value: string): T;
  readonly choices: readonly T[];
}

export function choiceParser<const T extends string>(choices: readonly T[]): ChoiceParser<T> {
  const expected = choices.length === 2 ? `'${choices[0]}' or '${choices[1]}'` : `one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  const parse = (value: string): T => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`expected ${expected}, got '${value}'`);
  };
  return Object.assign(parse, { choices });
}

/** The choices an argParser built with choiceParser carries (undefined for any other parser). */
export function parserChoices(parser: unknown): readonly string[] | undefined {
  if (typeof parser !== 'function') return undefined;
  const choices = (parser as { choices?: unknown }).choices;
  return Array.isArray(choices) && choices.every((c) => typeof c === 'string') ? (choices as string[]) : undefined;
}

export type OutputFormat = 'text' | 'json';

/** commander argParser for `-o, --output <format>` of the batch commands (text or json). */
export const parseOutputFormat: ChoiceParser<OutputFormat> = choiceParser(['text', 'json']);

/** Reports that also read well as YAML (check, diff). */
export type ReportFormat = 'text' | 'json' | 'yaml';
export const parseReportFormat: ChoiceParser<ReportFormat> = choiceParser(['text', 'json', 'yaml']);

/** One JSON document followed by a newline, so the output can be piped into jq. */
export function writeJson(out: Writer, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One YAML document (no line folding, so long messages stay greppable), for yq and humans. */
export function writeYaml(out: Writer, value: unknown): void {
  out.write(stringify(value, { lineWidth: 0 }));
}

/** Write `value` as JSON or YAML. */
export function writeStructured(out: Writer, format: 'json' | 'yaml', value: unknown): void {
  if (format === 'json') writeJson(out, value);
  else writeYaml(out, value);
}
