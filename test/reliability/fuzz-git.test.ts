// Fuzzing the Git source against a hostile smart-HTTP server on loopback. The server is real
// `git upload-pack` (stateless RPC, as git http-backend runs it) whose answers are then damaged
// per case: ref advertisements and packs mutated, truncated, replaced by noise, served with
// odd statuses and content types, or stalled mid-body. GitSource.fetch must resolve with the
// advertised commit or reject with a SourceError naming the URL — no TypeError, no crash of
// the process, no hang past the idle timeout. Each case is an HTTP round trip, so npm test runs
// ~200 of them (FUZZ_RUNS × 0.2); `npm run soak` runs 2,000.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource, SourceError } from '../../daemon/source/index.js';
import { applyMutation, expectTyped, fuzzParams, fuzzTimeout, mutation, timedAsync, type Mutation } from './arbitraries.js';

const run = promisify(execFile);
const IDLE_MS = 400;

type Damage =
  | { kind: 'none' }
  | { kind: 'mutate'; ms: Mutation[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'noise'; bytes: Uint8Array }
  | { kind: 'stall'; at: number };

interface Scenario {
  advStatus: number;
  advType: string;
  adv: Damage;
  packStatus: number;
  pack: Damage;
}

function upload(repo: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', ['upload-pack', '--stateless-rpc', ...args, repo], { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.on('error', reject);
    p.on('close', () => resolve(Buffer.concat(out)));
    p.stdin.end(input);
  });
}

/** Binary-safe mutation: the text helpers work on latin1, one char per byte. */
function damage(buf: Buffer, d: Damage): { body: Buffer; stallAt?: number } {
  switch (d.kind) {
    case 'none':
      return { body: buf };
    case 'mutate':
      return { body: Buffer.from(d.ms.reduce(applyMutation, buf.toString('latin1')), 'latin1') };
    case 'truncate':
      return { body: buf.subarray(0, d.at % (buf.length + 1)) };
    case 'noise':
      return { body: Buffer.from(d.bytes) };
    case 'stall':
      return { body: buf, stallAt: d.at % (buf.length + 1) };
  }
}

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => ({ kind: 'mutate' as const, ms })) },
  { weight: 2, arbitrary: fc.nat().map((at) => ({ kind: 'truncate' as const, at })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'noise' as const, bytes })) },
  // Few: each costs the idle timeout.
  { weight: 1, arbitrary: fc.nat().map((at) => ({ kind: 'stall' as const, at })) },
);

const damagedArb: fc.Arbitrary<Scenario> = fc.record({
  advStatus: fc.constantFrom(200, 200, 200, 200, 200, 200, 204, 301, 401, 403, 404, 500, 503),
  advType: fc.constantFrom('application/x-git-upload-pack-advertisement', 'application/x-git-upload-pack-advertisement', 'text/plain', ''),
  adv: damageArb,
  packStatus: fc.constantFrom(200, 200, 200, 200, 200, 200, 400, 401, 404, 500),
  pack: damageArb,
});
const CLEAN: Scenario = {
  advStatus: 200,
  advType: 'application/x-git-upload-pack-advertisement',
  adv: { kind: 'none' },
  packStatus: 200,
  pack: { kind: 'none' },
};
// One case in eight is a clean exchange (or one damaged half), so the success path stays exercised.
const scenarioArb: fc.Arbitrary<Scenario> = fc.oneof(
  { weight: 7, arbitrary: damagedArb },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constant(CLEAN),
      damageArb.map((pack) => ({ ...CLEAN, pack })),
      damageArb.map((adv) => ({ ...CLEAN, adv })),
    ),
  },
);

describe('fuzz: Git source against a hostile smart-HTTP server', () => {
  let work: string;
  let repo: string;
  let head: string;
  let server: Server;
  let base: string;
  let scenario: Scenario;
  /** When set, the next ref advertisement is this one (the repository as it was before a push). */
  let staleAdvertisement: Buffer | undefined;
  let first = '';
  const stalled = new Set<ServerResponse>();

  function answer(res: ServerResponse, status: number, type: string, buf: Buffer, d: Damage): void {
    const { body, stallAt } = damage(buf, d);
    res.writeHead(status, type ? { 'content-type': type, 'cache-control': 'no-cache' } : {});
    if (stallAt === undefined) {
      res.end(body);
      return;
    }
    // Send part of the body, then say nothing more: only the client's idle timeout ends this.
    res.write(body.subarray(0, stallAt));
    stalled.add(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s = scenario;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/repo.git/info/refs') {
      const adv = staleAdvertisement ?? (await advertisement());
      staleAdvertisement = undefined;
      answer(res, s.advStatus, s.advType, adv, s.adv);
    } else if (req.method === 'POST' && url.pathname === '/repo.git/git-upload-pack') {
      const out = await upload(repo, [], Buffer.concat(chunks));
      answer(res, s.packStatus, 'application/x-git-upload-pack-result', out, s.pack);
    } else {
      res.writeHead(404).end();
    }
  }

  const advertisement = async (): Promise<Buffer> =>
    Buffer.concat([Buffer.from('001e# service=git-upload-pack\n0000'), await upload(repo, ['--advertise-refs'])]);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'gitops-seal-fuzz-git-'));
    repo = join(work, 'origin');
    mkdirSync(join(repo, 'apps'), { recursive: true });
    for (let i = 0; i < 20; i++)
      writeFileSync(
        join(repo, 'apps', `cm-${i}.yaml`),
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  i: "${i}"\n`,
      );
    const git = (...args: string[]) => run('git', ['-C', repo, '-c', 'user.name=fuzz', '-c', 'user.email=fuzz@example.com', ...args]);
    await run('git', ['init', '-q', '-b', 'main', repo]);
    await git('add', '-A');
    await git('commit', '-qm', 'one');
    first = (await git('rev-parse', 'HEAD')).stdout.trim();
    writeFileSync(join(repo, 'apps', 'cm-0.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-0\n');
    await git('commit', '-qam', 'two');
    head = (await git('rev-parse', 'HEAD')).stdout.trim();
    server = createServer((req, res) => {
      handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const r of stalled) r.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(work, { recursive: true, force: true });
  });

  it('an undamaged server is fetched (the damage base is a working repository)', async () => {
    scenario = CLEAN;
    const src = new GitSource({ name: 'fuzz', url: `${base}/repo.git`, ref: { branch: 'main' } }, join(work, 'cache-ok'), {
      idleTimeoutMs: IDLE_MS,
    });
    const rev = await src.fetch();
    expect(rev.commit).toBe(head);
    expect(await rev.listFiles('apps')).toHaveLength(20);
  });

  it('a push between the ref advertisement and the fetch: the advertised commit is fetched, not an error; the next poll brings the tip', async () => {
    scenario = CLEAN;
    // The advertisement names commit "one" while the repository already holds "two", as after a
    // push in between (found by the load test). Since issue 18 a fetch reads the advertisement
    // once and wants exactly the advertised commit: the revision is what was advertised, and the
    // push is picked up by the next poll.
    const gitdir = join(work, 'stale-origin');
    await run('git', ['clone', '-q', '--bare', repo, gitdir]);
    await run('git', ['-C', gitdir, 'update-ref', 'refs/heads/main', first]);
    staleAdvertisement = Buffer.concat([Buffer.from('001e# service=git-upload-pack\n0000'), await upload(gitdir, ['--advertise-refs'])]);
    expect(staleAdvertisement.toString('latin1')).toContain(`${first} refs/heads/main`);
    const src = new GitSource({ name: 'race', url: `${base}/repo.git`, ref: { branch: 'main' } }, join(work, 'cache-race'), {
      idleTimeoutMs: IDLE_MS,
    });
    const rev = await src.fetch();
    expect(rev.commit).toBe(first);
    expect(rev.ref).toBe('refs/heads/main');
    const next = await src.fetch();
    expect(next.commit).toBe(head);
    expect(await next.listFiles('apps')).toHaveLength(20);
  });

  it(
    'damaged answers: the advertised commit or a SourceError naming the URL; bounded time',
    async () => {
      const outcomes = new Map<string, number>();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          scenarioArb,
          fc.constantFrom({ branch: 'main' }, { branch: 'main' }, { tag: 'v1' }, { semver: '>=1' }),
          async (s, ref) => {
            scenario = s;
            const url = `${base}/repo.git`;
            const cache = join(work, `cache-${n++}`);
            const src = new GitSource({ name: 'fuzz', url, ref }, cache, { idleTimeoutMs: IDLE_MS });
            try {
              const rev = await timedAsync(`fetch ${url}`, () => src.fetch(), 15_000);
              // Only an undamaged advertisement may name the commit; then the tree must be readable.
              expect(rev.commit).toMatch(/^[0-9a-f]{40}$/);
              const files = await timedAsync('listFiles', () => rev.listFiles(''), 15_000);
              expect(Array.isArray(files)).toBe(true);
              outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1);
            } catch (err) {
              const e = expectTyped(err, [SourceError], url) as SourceError;
              outcomes.set(e.reason, (outcomes.get(e.reason) ?? 0) + 1);
              if (process.env.FUZZ_GIT_DEBUG) console.log(e.reason, e.detail.slice(0, 160));
            } finally {
              for (const r of stalled) r.destroy();
              stalled.clear();
              rmSync(cache, { recursive: true, force: true });
            }
          },
        ),
        fuzzParams('git/hostile-server', 0.2),
      );
      console.log(`[fuzz] git/hostile-server outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
      // The damage must reach the failure paths, and the undamaged share must still succeed.
      expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
      expect([...outcomes.keys()].filter((k) => k !== 'ok').length).toBeGreaterThan(1);
      // Only the server is damaged: nothing may be blamed on the local object store.
      expect(outcomes.get('storage') ?? 0).toBe(0);
    },
    fuzzTimeout(400, 0.2),
  );
});
