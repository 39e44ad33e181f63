// Shared fixtures of the GitSource integration tests (daemon/source/*.int.test.ts): a real git
// smart-HTTP server started per test file, a git CLI working clone to commit and push from, and
// small assertion helpers.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';
import { GitSource, SourceError, type GitRefSpec, type GitSourceSpec } from '../../daemon/source/index.js';
import { authedUrl, startGitServer } from '../stack/gitserver.js';
import type { GitInfo, Started } from '../stack/types.js';

export const run = promisify(execFile);
const ID = ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com'];

/** Filled in by useGitServer's beforeAll. */
export const ctx = { info: undefined as unknown as GitInfo, tmp: '' };
let server: Started<GitInfo> | undefined;
let n = 0;

/** Start the git server (and a temp dir) for the calling test file. */
export function useGitServer(): void {
  beforeAll(async () => {
    server = await startGitServer();
    ctx.info = server.info;
    ctx.tmp = mkdtempSync(join(tmpdir(), 'gitops-seal-source-'));
  });
  afterAll(async () => {
    if (ctx.tmp !== '') rmSync(ctx.tmp, { recursive: true, force: true });
    await server?.stop();
  });
}

/** A working clone to commit and push from. */
export class Work {
  constructor(
    readonly dir: string,
    readonly repo: string,
  ) {}
  static async clone(repo: string): Promise<Work> {
    const dir = join(ctx.tmp, `work-${n++}`);
    await run('git', ['clone', '-q', authedUrl(ctx.info, repo), dir]);
    return new Work(dir, repo);
  }
  async git(...args: string[]): Promise<string> {
    return (await run('git', ['-C', this.dir, ...ID, ...args], { maxBuffer: 64 << 20 })).stdout.trim();
  }
  write(files: Record<string, string | null>): void {
    for (const [p, content] of Object.entries(files)) {
      const full = join(this.dir, p);
      if (content === null) rmSync(full);
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
  }
  async commit(files: Record<string, string | null>, msg = 'change', push = true): Promise<string> {
    this.write(files);
    await this.git('add', '-A');
    await this.git('commit', '-q', '-m', msg);
    if (push) await this.git('push', '-q', 'origin', 'HEAD');
    return this.git('rev-parse', 'HEAD');
  }
}

/** A GitSource on `<server>/<repo>.git` with the server's credentials. */
export function source(
  repo: string,
  ref: GitRefSpec,
  extra: Partial<GitSourceSpec> = {},
  options: ConstructorParameters<typeof GitSource>[2] = {},
): GitSource {
  return new GitSource(
    {
      name: `src-${repo}`,
      url: `${ctx.info.url}${repo}.git`,
      ref,
      auth: async () => ({ username: ctx.info.username, password: ctx.info.password }),
      ...extra,
    },
    join(ctx.tmp, 'cache'),
    options,
  );
}

/** Every file below `dir` with its size: equal maps mean nothing was written. */
export function filesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p, statSync(p).size);
    }
  };
  walk(dir);
  return out;
}

export async function caught(p: Promise<unknown>): Promise<SourceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}
