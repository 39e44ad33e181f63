// The workload's commits, made once in a local clone and pushed to one branch per tool and round
// of a repo on the stack's git server: every branch gets the same commits (same hashes), so both
// tools sync byte-identical trees.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const COMMITTER = ['-c', 'user.name=flux bench', '-c', 'user.email=bench@gitops-seal.invalid'];

export interface BenchCommits {
  seed: string;
  full: string;
  change: string;
  tampered: string;
}

export class BenchRepo {
  private constructor(
    private readonly dir: string,
    private readonly pushUrl: string,
  ) {}

  static async create(dir: string, pushUrl: string): Promise<BenchRepo> {
    mkdirSync(dir, { recursive: true });
    await run('git', ['init', '--quiet', '--initial-branch=main', dir]);
    return new BenchRepo(dir, pushUrl);
  }

  /** Writes `files` over the working tree and commits them; the commit's hash. */
  async commit(files: Record<string, string>, message: string): Promise<string> {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true });
      writeFileSync(join(this.dir, path), text);
    }
    await run('git', ['add', '--all'], { cwd: this.dir });
    await run('git', [...COMMITTER, 'commit', '--quiet', '-m', message], { cwd: this.dir });
    return (await run('git', ['rev-parse', 'HEAD'], { cwd: this.dir })).stdout.trim();
  }

  /** seed → full → change → tampered, one chain on main (pushed to nothing yet). */
  async commits(
    seed: Record<string, string>,
    full: Record<string, string>,
    change: Record<string, string>,
    tampered: Record<string, string>,
  ): Promise<BenchCommits> {
    return {
      seed: await this.commit(seed, 'seed: one ConfigMap'),
      full: await this.commit(full, 'workload: 1,000 objects'),
      change: await this.commit(change, 'one-file change'),
      tampered: await this.commit(tampered, 'a ConfigMap change and a tampered SOPS file'),
    };
  }

  /** Points `branch` on the server at `commit` (a fast-forward along the chain). */
  async push(commit: string, branch: string): Promise<void> {
    await run('git', ['push', '--quiet', this.pushUrl, `${commit}:refs/heads/${branch}`], { cwd: this.dir });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
