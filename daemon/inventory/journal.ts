// A large inventory's set changes as a patch, not a rewrite (issue 18). The stored `entries`
// stay as they were; what a revision added and removed since goes under `added` and `removed`,
// so a commit that adds one object to a 20,000-object sync sends that one entry, not 750 KB.
// Once the journal holds an eighth of the entries it is folded into `entries` (one rewrite).
// Small inventories are always written whole: their full text is smaller than a journal's
// bookkeeping is worth, and `entries` then reads as the whole set, as before.

/** Below this many entries the inventory is rewritten whole. */
export const JOURNAL_FROM = 1000;
/** The journal is folded into `entries` once it holds more than this share of the entries. */
export const JOURNAL_MAX_SHARE = 1 / 8;

const lines = (text: string | undefined): string[] => (text ?? '').split('\n').filter((l) => l !== '');
const joined = (xs: Iterable<string>): string => [...new Set(xs)].sort().join('\n');

/**
 * The entry keys of the data to store for the set `next`, given what is stored now: either
 * `entries` alone (the whole set) or the stored `entries` unchanged plus `added`/`removed`.
 */
export function entriesData(next: readonly string[], stored: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const whole = { entries: joined(next) };
  if (stored?.entries === undefined || next.length < JOURNAL_FROM) return whole;
  const base = new Set(lines(stored.entries));
  const want = new Set(next);
  const added = [...want].filter((e) => !base.has(e));
  const removed = [...base].filter((e) => !want.has(e));
  if (added.length + removed.length > next.length * JOURNAL_MAX_SHARE) return whole;
  return {
    entries: stored.entries,
    ...(added.length > 0 ? { added: joined(added) } : {}),
    ...(removed.length > 0 ? { removed: joined(removed) } : {}),
  };
}

/** The lines of a stored inventory's set, journal applied: (`entries` ∪ `added`) − `removed`. */
export function storedLines(data: Readonly<Record<string, string>>): { entries: string[]; removed: string[] } {
  return { entries: [...lines(data.entries), ...lines(data.added)], removed: lines(data.removed) };
}

/**
 * The JSON merge patch that turns `stored` into `next`: changed keys with their value, keys
 * that went away as null; undefined when nothing differs.
 */
export function dataPatch(
  stored: Readonly<Record<string, string>>,
  next: Readonly<Record<string, string>>,
): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(next)) if (stored[k] !== v) patch[k] = v;
  for (const k of Object.keys(stored)) if (!(k in next)) patch[k] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}
