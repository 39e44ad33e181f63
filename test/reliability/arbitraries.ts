// Shared pieces of the reliability fuzz suite: the run settings (seed and run count from the
// environment, printed so any failure can be replayed), a per-case time bound, typed-error
// checks, and fast-check generators of hostile text that several targets reuse.
//
//   FUZZ_SEED=<int>   replay a run (default: the fixed seed below, printed by every target)
//   FUZZ_RUNS=<int>   cases per target (default 1,000; `npm run soak` sets 10,000)
import fc from 'fast-check';
import { expect } from 'vitest';

const DEFAULT_SEED = 20261202;
const DEFAULT_RUNS = 1000;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
}

export const FUZZ_SEED = intFromEnv('FUZZ_SEED', DEFAULT_SEED);
export const FUZZ_RUNS = intFromEnv('FUZZ_RUNS', DEFAULT_RUNS);

/**
 * fast-check parameters for one target, printed once so the lead can copy the replay command.
 * `scale` shrinks the run count for targets whose cases are expensive (an HTTP round trip each).
 */
export function fuzzParams<T>(target: string, scale = 1): fc.Parameters<T> {
  const numRuns = Math.max(1, Math.round(FUZZ_RUNS * scale));
  console.log(`[fuzz] ${target}: seed=${FUZZ_SEED} runs=${numRuns} (replay: FUZZ_SEED=${FUZZ_SEED} FUZZ_RUNS=${FUZZ_RUNS})`);
  return { seed: FUZZ_SEED, numRuns, endOnFailure: true };
}

/** Vitest timeout of a target: room for `msPerCase` per run on a busy machine, never under a minute. */
export function fuzzTimeout(msPerCase: number, scale = 1): number {
  return Math.max(60_000, Math.round(FUZZ_RUNS * scale * msPerCase * 4));
}

/**
 * The per-case time bound. Generous because the machine is shared (2 cores, other suites
 * running): a case that takes this long is a hang or a super-linear blow-up, not noise.
 */
export const CASE_MS = intFromEnv('FUZZ_CASE_MS', 5_000);

/** A case over the time bound: reported as itself, never mistaken for the module's error. */
export class CaseTimeout extends Error {
  override readonly name = 'CaseTimeout';
}

/** Runs a synchronous case and fails if it takes longer than the bound. */
export function timed<T>(what: string, fn: () => T, boundMs = CASE_MS): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - t0;
    if (ms > boundMs) throw new CaseTimeout(`${what}: one case took ${ms.toFixed(0)} ms (bound ${boundMs} ms)`);
  }
}

/** Runs an async case; rejects if it does not settle within the bound (a hang). */
export async function timedAsync<T>(what: string, fn: () => Promise<T>, boundMs = CASE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CaseTimeout(`${what}: one case did not settle within ${boundMs} ms`)), boundMs);
  });
  try {
    return await Promise.race([fn(), hang]);
  } finally {
    clearTimeout(timer);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Asserts that `err` is one of the module's typed errors and that its message names the input
 * (file, URL, field…). Anything else — TypeError, RangeError, a plain Error — is rethrown so
 * fast-check reports it with the seed and the shrunk input.
 */
export function expectTyped(err: unknown, classes: readonly ErrorClass[], names: string): Error {
  if (err instanceof CaseTimeout) throw err;
  if (!classes.some((c) => err instanceof c)) {
    const e = err instanceof Error ? err : new Error(String(err));
    throw new Error(`untyped error ${e.name}: ${e.message}\n${e.stack ?? ''}`);
  }
  const e = err as Error;
  expect(e.message, `${e.name} must name ${names}`).toContain(names);
  return e;
}

/** Characters that matter to YAML's grammar, weighted towards structure. */
const YAML_TOKENS = [
  ':',
  ': ',
  '-',
  '- ',
  ' ',
  '  ',
  '\n',
  '\n  ',
  '\n- ',
  '---',
  '\n---\n',
  '...',
  '{',
  '}',
  '[',
  ']',
  ',',
  '?',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '!!str ',
  '!!int ',
  '!!map ',
  '!!binary ',
  '!foo ',
  '<<: ',
  '"',
  "'",
  '#',
  '|',
  '>',
  '|-',
  '%YAML 1.1\n',
  '\t',
  '\r\n',
  '\\',
  '\uFEFF',
  'apiVersion',
  'kind',
  'metadata',
  'name',
  'namespace',
  'items',
  'List',
  'v1',
  'ConfigMap',
  'sops',
  'yes',
  'no',
  'on',
  '~',
  'null',
  '0x1F',
  '0o17',
  '017',
  '1_000',
  '1e400',
  '.inf',
  '.nan',
  '9007199254740993',
  '2001-12-14t21:59:43.10-05:00',
  '=',
  'a',
  'b',
  'é',
  '😀',
];

/** Random text built from YAML's structural tokens: reaches deep parser states quickly. */
export const yamlishText: fc.Arbitrary<string> = fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 60 }).map((t) => t.join(''));

/** JSON-ish streams: valid values, concatenations, and broken ones. */
export const jsonishText: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.array(fc.json({ maxDepth: 3 }), { maxLength: 4 }).map((vs) => vs.join('\n')),
  fc
    .array(
      fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', '-', 'e', '9007199254740993', '1e999', 'true', 'null', ' ', '\n', '\\', 'a'),
      { maxLength: 40 },
    )
    .map((t) => `{${t.join('')}`),
);

export type Mutation = { at: number; len: number; insert: string; op: 'replace' | 'insert' | 'delete' | 'truncate' | 'duplicate' };

/** A mutation of a base text (position and length taken modulo its size when applied). */
export const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  len: fc.nat({ max: 24 }),
  insert: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...YAML_TOKENS)),
  op: fc.constantFrom('replace', 'insert', 'delete', 'truncate', 'duplicate'),
});

export function applyMutation(src: string, m: Mutation): string {
  const i = m.at % (src.length + 1);
  const j = Math.min(src.length, i + m.len);
  switch (m.op) {
    case 'replace':
      return src.slice(0, i) + m.insert + src.slice(j);
    case 'insert':
      return src.slice(0, i) + m.insert + src.slice(i);
    case 'delete':
      return src.slice(0, i) + src.slice(j);
    case 'truncate':
      return src.slice(0, i);
    case 'duplicate':
      return src.slice(0, j) + src.slice(i, j) + src.slice(j);
  }
}

/** One to three mutations applied in turn to a base text. */
export function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([src, ms]) => ms.reduce(applyMutation, src));
}

/** DNS-1123 label, as Kubernetes names and namespaces need. */
export const dnsLabel: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), maxLength: 20 }),
  )
  .map(([a, b]) => `${a}${b}`.replace(/-+$/, ''));

/** Strings a value might hold, including the ones YAML 1.1 would read as something else unquoted. */
export const trickyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    'yes',
    'No',
    'ON',
    'off',
    'y',
    'n',
    '~',
    'null',
    'true',
    '0x1F',
    '0o17',
    '017',
    '1_000',
    '1e3',
    '.5',
    '.inf',
    '-.INF',
    '.NaN',
    '2001-12-14',
    '<<',
    '=',
    '',
    ' ',
    '#x',
    '- a',
    'a: b',
    '{x}',
    '[y]',
    '"q"',
    "'s'",
    '|',
    '>',
    '&a',
    '*a',
    '!t',
    '%p',
    '@',
    '`',
    'ENC[x]' /* sops-shaped values without a sops block are refused: daemon/manifests/read.test.ts */,
    '\u0085',
    '\u2028',
    'é',
    '😀',
  ),
);
