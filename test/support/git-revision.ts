// A real Git revision of a directory's files, read by the daemon's own reader (GitRevision over
// an isomorphic-git object store): the git CLI commits the files, nothing is faked. For tests of
// code that reads a sync's revision (renderers) without a git server round trip.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { openStore } from '../../daemon/git/index.js';
import { GitRevision } from '../../daemon/source/index.js';

const run = promisify(execFile);
const GIT = ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com', '-c', 'commit.gpgsign=false'];

export interface TestRepo {
  dir: string;
  /** Copy a file or directory into the work tree at `to` (repo-relative). */
  copy(from: string, to: string): void;
  write(path: string, content: string | Uint8Array): void;
  /** Commit everything and return the commit as the daemon reads it. */
  commit(message?: string): Promise<GitRevision>;
  remove(): void;
}

export async function testRepo(git = 'git'): Promise<TestRepo> {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-test-repo-'));
  await run(git, ['init', '-q', '-b', 'main', dir]);
  return {
    dir,
    copy(from, to) {
      cpSync(from, join(dir, to), { recursive: true });
    },
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    async commit(message = 'test') {
      await run(git, ['-C', dir, 'add', '-A']);
      await run(git, [...GIT, '-C', dir, 'commit', '-q', '--allow-empty', '-m', message]);
      const sha = (await run(git, ['-C', dir, 'rev-parse', 'HEAD'])).stdout.trim();
      return new GitRevision(openStore(join(dir, '.git')), sha, 'refs/heads/main');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
