// Commit messages from a template. Placeholders (each `{{name}}`, spaces inside the braces allowed):
//   {{automation}}  the imageUpdates[] entry's name
//   {{image}}       image repositories whose markers changed, comma-separated
//   {{oldTag}}      tags replaced, comma-separated (markers that cover a tag: full ref or :tag)
//   {{newTag}}      tags written, comma-separated
//   {{files}}       changed files, comma-separated
//   {{changes}}     one line per change: `- <file>:<line> <old> -> <new>`
// The default is Flux's default commit message.
import type { ChangedFile } from './update.js';

export const DEFAULT_MESSAGE_TEMPLATE = 'Update from image update automation';
export const PLACEHOLDERS = ['automation', 'image', 'oldTag', 'newTag', 'files', 'changes'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PATTERN = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Placeholders in `template` that we do not know (a config error). */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PATTERN)].map((m) => m[1] as string).filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
}

const uniq = (xs: (string | undefined)[]): string => [...new Set(xs.filter((x): x is string => x !== undefined))].join(', ');

export function renderMessage(template: string, automation: string, changed: readonly ChangedFile[]): string {
  const all = changed.flatMap((f) => f.changes.map((c) => ({ file: f.path, ...c })));
  const values: Record<Placeholder, string> = {
    automation,
    image: uniq(all.map((c) => c.image)),
    oldTag: uniq(all.map((c) => c.oldTag)),
    newTag: uniq(all.map((c) => c.newTag)),
    files: changed.map((f) => f.path).join(', '),
    changes: all.map((c) => `- ${c.file}:${c.line} ${c.old} -> ${c.new}`).join('\n'),
  };
  return template.replace(PATTERN, (whole, name: string) => (name in values ? values[name as Placeholder] : whole));
}
