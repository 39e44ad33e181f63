// The write-back audit must see what it is there to see: a forced ref update, a tag committed
// twice (regress and re-bump), a bot commit that changes nothing — and nothing on a clean history.
// Plain git on temp repositories; no server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enableRefLog, forcePushes, markedTag, refUpdates, writebackCounts } from './writeback-audit.js';

const IMAGE = 'registry.test:5000/team/app';
const BOT = 'bot@gitops-seal.io';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repos(): {
  bare: string;
  work: string;
  git: (...args: string[]) => string;
  commit: (tag: string, email?: string, message?: string) => void;
} {
  const root = mkdtempSync(join(tmpdir(), 'gitops-seal-wb-audit-'));
  dirs.push(root);
  const bare = join(root, 'r.git');
  const work = join(root, 'w');
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work]);
  const git = (...args: string[]): string => execFileSync('git', ['-C', work, ...args], { encoding: 'utf8' });
  git('remote', 'add', 'origin', bare);
  const commit = (tag: string, email = BOT, message = tag): void => {
    writeFileSync(join(work, 'app.yaml'), `image: ${IMAGE}:${tag} # {"$imagepolicy": "app"}\n`);
    git('add', '-A');
    git('-c', 'user.name=t', '-c', `user.email=${email}`, 'commit', '--quiet', '--allow-empty', '-m', message);
  };
  return { bare, work, git, commit };
}

describe('writeback audit', () => {
  it('a clean fast-forward history: no force push, one commit per tag', async () => {
    const r = repos();
    await enableRefLog(r.bare);
    r.commit('1.0.0', 'me@example.com');
    r.git('push', '--quiet', 'origin', 'main');
    for (const t of ['1.1.0', '1.2.0']) {
      r.commit(t);
      r.git('push', '--quiet', 'origin', 'main');
    }
    expect(refUpdates(r.bare, 'main')).toHaveLength(3);
    expect(await forcePushes(r.bare, 'main')).toEqual([]);
    const c = await writebackCounts(r.bare, 'main', 'app.yaml', BOT, markedTag(IMAGE));
    expect(Object.fromEntries(c.perTag)).toEqual({ '1.0.0': 1, '1.1.0': 1, '1.2.0': 1 });
    expect(c.duplicates).toBe(0);
    expect(c.commits.map((x) => x.tag)).toEqual(['1.1.0', '1.2.0']);
    expect(c.tip).toBe('1.2.0');
  });

  it('sees a forced update, a tag committed twice and a bot commit that changes nothing', async () => {
    const r = repos();
    await enableRefLog(r.bare);
    r.commit('1.0.0', 'me@example.com');
    r.commit('1.1.0');
    r.git('push', '--quiet', 'origin', 'main');
    const lost = r.git('rev-parse', 'HEAD').trim();
    // Rewritten: 1.1.0 committed again on the parent (another message: within the same second
    // the same message would make the very same commit), force-pushed over the first.
    r.git('reset', '--quiet', '--hard', 'HEAD~1');
    r.commit('1.1.0', BOT, 'rewritten');
    r.git('push', '--quiet', '--force', 'origin', 'main');
    // Regress and re-bump, then the same value once more: two more duplicates.
    r.commit('1.0.0');
    r.commit('1.1.0');
    r.commit('1.1.0');
    r.git('push', '--quiet', 'origin', 'main');
    const forced = await forcePushes(r.bare, 'main');
    expect(forced.map((u) => u.old)).toEqual([lost]);
    const c = await writebackCounts(r.bare, 'main', 'app.yaml', BOT, markedTag(IMAGE));
    expect(c.perTag.get('1.1.0')).toBe(2);
    expect(c.noChange).toHaveLength(1);
    expect(c.duplicates).toBe(3); // 1.0.0 twice, 1.1.0 twice, one no-change commit
  });

  it('reads no tag from a line without a marker comment', () => {
    expect(markedTag(IMAGE)(`image: ${IMAGE}:1.2.3\n`)).toBeUndefined();
    expect(markedTag(IMAGE)(`image: ${IMAGE}:1.2.3 # {"$imagepolicy": "app"}\n`)).toBe('1.2.3');
  });
});
