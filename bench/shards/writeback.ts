// Image write-back under sharding: a policy on an image in a registry, an automation that bumps a
// marked file (images/app.yaml, outside every sync's path) on the bench's branch, and new tags
// pushed along the run while shard 0 — where the image automation runs — moves. The counts come
// from the git server's own records (test/support/writeback-audit.ts): the bare repo's reflog
// (every ref update; a force push is an old value that is not an ancestor of the new) and the
// branch's first-parent history (a tag committed twice, or a bot commit changing nothing, is a
// duplicate).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { pushImage } from '../../test/stack/image-push.js';
import type { RegistryEndpoint } from '../../test/stack/types.js';
import type { ReplicaFleet } from '../../test/support/replica-fleet.js';
import { enableRefLog, forcePushes, markedTag, refUpdates, writebackCounts } from '../../test/support/writeback-audit.js';
import { IDS, RUN, short } from './layout.js';
import { row, sleep } from './report.js';

export const IMAGE_FILE = 'images/app.yaml';
const BOT = 'bot@gitops-seal.io';
const run = promisify(execFile);

export class ImageFeed {
  /** Tags pushed to the registry, in order, and when. */
  readonly pushed: { tag: string; at: number }[] = [];
  readonly image: string;
  private readonly repoPath: string;
  private readonly tagOf: (text: string) => string | undefined;
  bare = '';

  constructor(readonly registry: RegistryEndpoint) {
    this.repoPath = `bench/shards-${RUN}`;
    this.image = `${registry.host}/${this.repoPath}`;
    this.tagOf = markedTag(this.image);
  }

  /** The marked file the repository starts with (the first tag, pushed here too). */
  async seed(): Promise<Record<string, string>> {
    await pushImage(this.registry, this.repoPath, '1.0.0');
    return {
      [IMAGE_FILE]: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  image: ${this.image}:1.0.0 # {"$imagepolicy": "app"}\n`,
    };
  }

  /** Before the daemon's first push: every ref update of `bare` is logged from now on. */
  async watch(bare: string): Promise<void> {
    this.bare = bare;
    await enableRefLog(bare);
  }

  /** The DaemonConfig's images and imageUpdates (registry credentials from BENCH_REG_USER/PASSWORD). */
  spec(): { images: object[]; imageUpdates: object[] } {
    return {
      images: [
        {
          name: 'app',
          image: this.image,
          interval: '1s',
          insecure: true,
          credentials: { usernameFrom: { env: 'BENCH_REG_USER' }, passwordFrom: { env: 'BENCH_REG_PASSWORD' } },
          policy: { semver: { range: '>=1.0.0' } },
        },
      ],
      imageUpdates: [
        {
          name: 'bump',
          source: 'repo',
          path: 'images',
          author: { name: 'gitops-seal bot', email: BOT },
          messageTemplate: 'app {{newTag}}',
        },
      ],
    };
  }

  env(): NodeJS.ProcessEnv {
    return { BENCH_REG_USER: this.registry.username, BENCH_REG_PASSWORD: this.registry.password };
  }

  /** Pushes the next tag (1.0.1, 1.0.2, …: each the policy's new choice). */
  async next(): Promise<string> {
    const tag = `1.0.${this.pushed.length + 1}`;
    const at = Date.now();
    await pushImage(this.registry, this.repoPath, tag);
    this.pushed.push({ tag, at });
    return tag;
  }

  async tipTag(): Promise<string | undefined> {
    const out = await run('git', ['-C', this.bare, 'show', `refs/heads/main:${IMAGE_FILE}`]).catch(() => undefined);
    return out ? this.tagOf(out.stdout) : undefined;
  }

  /** ms from the tag's push until the branch tip holds it (undefined: not within `timeoutMs`). */
  async waitCommitted(tag: string, timeoutMs: number): Promise<number | undefined> {
    const from = this.pushed.find((p) => p.tag === tag)?.at ?? Date.now();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.tipTag()) === tag) return Date.now() - from;
      await sleep(100);
    }
    return undefined;
  }

  /** The write-back rows: one last tag (waited for), then the counts from the git server. */
  async report(fleet: ReplicaFleet): Promise<void> {
    const last = await this.next();
    const lastMs = await this.waitCommitted(last, 90_000);
    await sleep(3000); // more scans on every replica: a late duplicate would land now
    const c = await writebackCounts(this.bare, 'main', IMAGE_FILE, BOT, this.tagOf);
    const forced = await forcePushes(this.bare, 'main');
    const updates = refUpdates(this.bare, 'main');
    const committed = this.pushed.filter((p) => (c.perTag.get(p.tag) ?? 0) > 0).length;
    const byReplica = IDS.map((id) => {
      let n = 0;
      try {
        for (const l of readFileSync(fleet.logFile(id) ?? '', 'utf8').split('\n')) if (l.includes('"image update pushed"')) n++;
      } catch {
        // never started
      }
      return `${short(id)} ${n}`;
    });
    row(
      'image write-back: tags pushed → committed',
      `${this.pushed.length} → ${committed} (a tag superseded within one scan is skipped, as Flux does); last tag committed: ${lastMs === undefined ? 'NO (lost update)' : `yes, ${(lastMs / 1000).toFixed(1)} s`}`,
    );
    row(
      'image write-back: commits on the branch; by replica (their logs)',
      // A replica SIGKILLed between its push and its log line is missing from its count.
      `${c.commits.length}; ${byReplica.join(', ')}`,
    );
    row(
      'image write-back: duplicate commits',
      `${c.duplicates} (tags committed more than once: ${[...c.perTag].filter(([, k]) => k > 1).length}; bot commits changing nothing: ${c.noChange.length})`,
    );
    row('image write-back: force pushes (git server reflog)', `${forced.length} of ${updates.length} ref updates`);
  }
}
