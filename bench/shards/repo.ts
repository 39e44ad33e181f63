// The bench's repository: sync i = PER_SYNC ConfigMaps in namespace NS of cluster i % 3 with
// data.round = r, one commit per round touching every sync. The daemon's image write-back pushes
// to the same branch, so each round is rebased onto the branch before it is pushed.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { authedUrl, createRepo } from '../../test/stack/gitserver.js';
import type { GitInfo } from '../../test/stack/types.js';
import { NS, PER_SYNC, RUN, SYNCS } from './layout.js';

const run = promisify(execFile);

function files(round: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < SYNCS; i++)
    out[`apps/s${i}/cm.yaml`] = Array.from(
      { length: PER_SYNC },
      (_, j) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s${i}-${j}\n  namespace: ${NS}\ndata:\n  round: "${round}"\n  payload: "${'x'.repeat(100)}"\n`,
    ).join('---\n');
  return out;
}

export class Repo {
  round = 0;
  /** round → when its push started. */
  readonly pushedAt = new Map<number, number>();
  private constructor(
    readonly url: string,
    /** The bare repository on the git server's side (its reflog and history are read there). */
    readonly bare: string,
    private readonly dir: string,
  ) {}
  static async create(git: GitInfo, seed: Record<string, string>): Promise<Repo> {
    const name = `bsh-${RUN}`;
    const url = await createRepo(git, name, { 'README.md': '# shards bench\n', ...seed });
    const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-bench-shards-'));
    await run('git', ['clone', '--quiet', authedUrl(git, name), dir]);
    await run('git', ['-C', dir, 'config', 'user.email', 'bench@gitops-seal.io']);
    await run('git', ['-C', dir, 'config', 'user.name', 'bench']);
    return new Repo(url, join(git.reposDir, `${name}.git`), dir);
  }
  /** The work clone goes; the bare repo goes with its git server. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
  /** Pushes the next round (every sync changes); returns it. */
  async commit(): Promise<number> {
    const r = ++this.round;
    for (const [p, c] of Object.entries(files(r))) {
      mkdirSync(join(this.dir, p, '..'), { recursive: true });
      writeFileSync(join(this.dir, p), c);
    }
    await run('git', ['-C', this.dir, 'add', '-A']);
    await run('git', ['-C', this.dir, 'commit', '--quiet', '-m', `round ${r}`]);
    // The write-back may have moved the branch (it only touches images/): rebase and push again.
    for (let attempt = 1; ; attempt++) {
      try {
        await run('git', ['-C', this.dir, 'pull', '--quiet', '--rebase', 'origin', 'main']);
        this.pushedAt.set(r, Date.now());
        await run('git', ['-C', this.dir, 'push', '--quiet', 'origin', 'HEAD:main']);
        return r;
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  }
}
