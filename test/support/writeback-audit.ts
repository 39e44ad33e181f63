// What a git server's bare repository says about image write-back, read from the server's own
// records rather than from the daemon: the branch's reflog (every ref update receive-pack made,
// old → new, once `core.logAllRefUpdates=always` is set) and the first-parent history of the
// branch. Used by test/e2e/shards-writeback.int.test.ts and bench/shards.ts to count
//   - force pushes: a ref update whose old value is not an ancestor of its new value;
//   - duplicate write-back commits: a tag written by more than one commit on the branch (the
//     same image change committed twice — a regress and re-bump counts too), or a write-back
//     commit that changes nothing in the marked file (the same change applied twice on one tip).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ZERO = /^0+$/;

async function git(bare: string, args: string[]): Promise<string> {
  return (await run('git', ['-C', bare, ...args], { maxBuffer: 64 << 20 })).stdout;
}

/** Makes receive-pack log every ref update of the bare repo (bare repos log none by default). */
export async function enableRefLog(bare: string): Promise<void> {
  await git(bare, ['config', 'core.logAllRefUpdates', 'always']);
}

export interface RefUpdate {
  old: string;
  new: string;
  /** Seconds since the epoch, as the reflog records it. */
  at: number;
  message: string;
}

/** The branch's reflog, oldest first (empty when nothing was logged). */
export function refUpdates(bare: string, branch: string): RefUpdate[] {
  const file = join(bare, 'logs', 'refs', 'heads', branch);
  if (!existsSync(file)) return [];
  const out: RefUpdate[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    // "<old> <new> <name> <<email>> <epoch> <tz>\t<message>"
    const m = /^([0-9a-f]{40,64}) ([0-9a-f]{40,64}) .*> (\d+) [+-]\d{4}(?:\t(.*))?$/.exec(line);
    if (m) out.push({ old: m[1]!, new: m[2]!, at: Number(m[3]), message: m[4] ?? '' });
  }
  return out;
}

async function isAncestor(bare: string, old: string, next: string): Promise<boolean> {
  try {
    await run('git', ['-C', bare, 'merge-base', '--is-ancestor', old, next]);
    return true;
  } catch (err) {
    // Exit 1 is "not an ancestor"; anything else (a missing object) is a broken record: say so.
    if ((err as { code?: number }).code === 1) return false;
    throw err;
  }
}

/** Ref updates that were not fast-forwards (branch creations and deletions are not counted). */
export async function forcePushes(bare: string, branch: string): Promise<RefUpdate[]> {
  const out: RefUpdate[] = [];
  for (const u of refUpdates(bare, branch)) {
    if (ZERO.test(u.old) || ZERO.test(u.new)) continue;
    if (!(await isAncestor(bare, u.old, u.new))) out.push(u);
  }
  return out;
}

export interface WritebackCommit {
  commit: string;
  author: string;
  /** The tag the marked file holds at this commit, and at the commit before it on the chain. */
  tag: string | undefined;
  before: string | undefined;
}

export interface WritebackCounts {
  /** tag → commits on the branch that made the marked file hold it. */
  perTag: Map<string, number>;
  /** Write-back commits (by `author`) that did not change the tag. */
  noChange: WritebackCommit[];
  /** Extra commits for a tag already written once, summed over tags. */
  duplicates: number;
  /** The write-back commits on the chain, oldest first. */
  commits: WritebackCommit[];
  /** The tag at the branch tip. */
  tip: string | undefined;
}

/**
 * Walks the branch's first-parent chain oldest first and reads `file` at each commit;
 * `tagOf` extracts the tag from the file's text. `author` (an email) names the write-back bot.
 */
export async function writebackCounts(
  bare: string,
  branch: string,
  file: string,
  author: string,
  tagOf: (text: string) => string | undefined,
): Promise<WritebackCounts> {
  const lines = (await git(bare, ['log', '--first-parent', '--reverse', '--format=%H %ae', `refs/heads/${branch}`]))
    .split('\n')
    .filter((l) => l.length > 0);
  const perTag = new Map<string, number>();
  const noChange: WritebackCommit[] = [];
  const commits: WritebackCommit[] = [];
  let before: string | undefined;
  for (const line of lines) {
    const [commit, email] = line.split(' ') as [string, string];
    const text = await git(bare, ['show', `${commit}:${file}`]).catch(() => undefined);
    const tag = text === undefined ? undefined : tagOf(text);
    const c: WritebackCommit = { commit, author: email, tag, before };
    if (email === author) {
      commits.push(c);
      if (tag === before) noChange.push(c);
    }
    if (tag !== undefined && tag !== before) perTag.set(tag, (perTag.get(tag) ?? 0) + 1);
    before = tag;
  }
  const duplicates = [...perTag.values()].reduce((n, k) => n + Math.max(0, k - 1), 0) + noChange.length;
  return { perTag, noChange, duplicates, commits, tip: before };
}

/** The tag of `image` in a Flux-marked line `image: <image>:<tag> # {"$imagepolicy": …}`. */
export function markedTag(image: string): (text: string) => string | undefined {
  const esc = image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`${esc}:([A-Za-z0-9_][A-Za-z0-9_.-]*)\\s+#`);
  return (text) => re.exec(text)?.[1];
}
