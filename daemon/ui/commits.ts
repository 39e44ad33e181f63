// A commit's subject line for the page, read from the source's own object store (the shallow
// fetch keeps the commit object). Remembered per commit: a commit never changes. Unknown (a
// rebuilt store, a Helm identity that is not a commit) is simply not shown.
import * as fs from 'node:fs';
import git from 'isomorphic-git';

const MAX_REMEMBERED = 256;
const MAX_SUBJECT = 200;

export class CommitMessages {
  private readonly known = new Map<string, string | null>();

  async subject(gitdir: string | undefined, revision: string | undefined): Promise<string | undefined> {
    const oid = /^[0-9a-f]{40}/.exec(revision ?? '')?.[0];
    if (!gitdir || !oid) return undefined;
    if (this.known.has(oid)) return this.known.get(oid) ?? undefined;
    let subject: string | null = null;
    try {
      const { commit } = await git.readCommit({ fs, gitdir, oid });
      // Cut by code points, not UTF-16 units: an emoji at the cut stays whole (no lone surrogate).
      const first = [...(commit.message.split('\n', 1)[0]?.trim() ?? '')];
      subject = first.length > MAX_SUBJECT ? `${first.slice(0, MAX_SUBJECT - 1).join('')}…` : first.join('');
    } catch {
      // Not (or no longer) in the store: leave it unknown, and ask again later.
      return undefined;
    }
    if (this.known.size >= MAX_REMEMBERED) this.known.delete(this.known.keys().next().value as string);
    this.known.set(oid, subject);
    return subject || undefined;
  }
}
