// Fault (c): registry 429 storms and 500s. The real distribution registry of the stack sits
// behind a loopback proxy that answers a share of requests with 429 (Retry-After: 1) or 500;
// the daemon scans through the proxy. A scan that gives up must write nothing back; retries
// stay within the retry policy (5 attempts per request) and honour Retry-After; /status counts
// every 429 the daemon received; once the storm passes the policy picks the right tag and
// exactly one write-back commit is made for it.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';
import { pushImage } from '../stack/image-push.js';
import { setGitEnv, gitSourceConfig, WorkRepo } from '../e2e/harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { bumpedTags, converge, daemonConfig, history, record, status } from './fault-helpers.js';
import { DEFAULT_RETRY } from '../../daemon/images/retry.js';
import type { RegistryStats } from '../../daemon/images/metrics.js';
import type { ImageStatus } from '../../daemon/images/scanner.js';

const stack = inject('stack');
const ID = Date.now().toString(36);
const BOT = 'bot@faults.gitops-seal.io';
const SCAN_MS = 1000;

describe('fault: registry 429 storms and 500s (real registry behind a fault proxy)', () => {
  let proxy: FaultProxy;
  let repo: WorkRepo;
  let d: RunningDaemon;
  let image: string;
  const repoPath = `faults/reg-${ID}`;

  const manifest = (tag: string): string => `apiVersion: v1
kind: Pod
metadata: {name: app, namespace: default}
spec:
  containers:
  - name: app
    image: ${image}:${tag} # {"$imagepolicy": "app"}
`;
  const imageStatus = async (): Promise<ImageStatus> => (await status(d.url)).images[0] as ImageStatus;
  const stats = async (): Promise<RegistryStats> =>
    ((await status(d.url)).registries as Record<string, RegistryStats>)[proxy.host] ?? {
      requests: 0,
      retries: 0,
      rateLimited: 0,
      errors: 0,
    };
  const remoteHead = async (): Promise<string> => (await repo.git(['ls-remote', 'origin', 'refs/heads/main'])).split(/\s/)[0] ?? '';

  beforeAll(async () => {
    setGitEnv(stack);
    proxy = await FaultProxy.start(stack.registry.basic.url, { seed: 429 });
    image = `${proxy.host}/${repoPath}`;
    process.env.FAULTS_REG_USER = stack.registry.basic.username;
    process.env.FAULTS_REG_PASSWORD = stack.registry.basic.password;
    for (const tag of ['1.0.0', '1.1.0']) await pushImage(stack.registry.basic, repoPath, tag);
    repo = await WorkRepo.create(stack, `faults-reg-${ID}`);
    await repo.commit({ 'images/app.yaml': manifest('1.0.0') }, 'app 1.0.0');
    // Image automation only: no sync is needed to see what is written back.
    d = await startDaemon(
      daemonConfig({
        sources: [gitSourceConfig(stack, 'repo', repo.url)],
        syncs: [],
        images: [
          {
            name: 'app',
            image,
            interval: `${SCAN_MS}ms`,
            insecure: true,
            policy: { semver: { range: '>=1.0.0 <3.0.0' } },
            credentials: { usernameFrom: { env: 'FAULTS_REG_USER' }, passwordFrom: { env: 'FAULTS_REG_PASSWORD' } },
          },
        ],
        imageUpdates: [{ name: 'bump', source: 'repo', path: 'images', author: { name: 'faults bot', email: BOT } }],
      }),
    );
    await converge(
      'baseline bump to 1.1.0',
      async () => (await imageStatus()).chosenTag === '1.1.0' && (await bumpedTagsNow()).length === 1,
      60_000,
      250,
    );
  });

  const bumpedTagsNow = async (): Promise<string[]> => {
    await repo.git(['fetch', '--quiet', 'origin']);
    return bumpedTags(repo.dir, 'origin/main', BOT, image);
  };

  afterAll(async () => {
    await d?.stop();
    await proxy?.stop();
    repo?.remove();
  });

  it('a full 429 storm fails scans within the retry bounds and writes nothing back', async () => {
    const headBefore = await remoteHead();
    const before = await imageStatus();
    const statsBefore = await stats();
    proxy.setFaults([
      { share: 1, status: 429, headers: { 'Retry-After': '1' }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]}' },
    ]);
    const injectedBefore = proxy.injectedTotal();
    const logFrom = proxy.log.length;
    const t0 = Date.now();
    await pushImage(stack.registry.basic, repoPath, '2.0.0');
    await converge(
      'two scans failed with rate-limited',
      async () => {
        const s = await imageStatus();
        return s.failures >= before.failures + 2 && s.lastErrorReason === 'rate-limited';
      },
      60_000,
      200,
    );
    const stormMs = Date.now() - t0;
    const during = await imageStatus();
    const failed = during.failures - before.failures;
    const injected = proxy.injectedTotal() - injectedBefore;
    // Every request is tried at most maxAttempts times per scan (+1 scan possibly in flight).
    expect(injected).toBeLessThanOrEqual(DEFAULT_RETRY.maxAttempts * (failed + 1));
    expect(during.lastError).toMatch(/429/);
    // Retry-After: 1 honoured: no two attempts less than ~1 s apart (one scanner, one request at a time).
    const times = proxy.log.slice(logFrom).map((f) => f.at);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
    // The choice is kept and nothing is written back while scans fail.
    expect(during.chosenTag).toBe('1.1.0');
    expect(await remoteHead()).toBe(headBefore);
    const st = await stats();
    expect(st.rateLimited - statsBefore.rateLimited).toBeGreaterThanOrEqual(injected - 1);
    expect((await fetch(`${d.url}/healthz`)).ok).toBe(true);
    record('registry 429 storm (100%)', {
      stormMs,
      failedScans: failed,
      injected429: injected,
      maxAttemptsPerScan: DEFAULT_RETRY.maxAttempts,
      minGapMs: Math.min(...gaps),
      rateLimitedCounted: st.rateLimited - statsBefore.rateLimited,
    });
  });

  it('under 30% 429 + 30% 500 the scanner retries through, picks 2.0.0 and bumps exactly once', async () => {
    proxy.setFaults([
      { share: 0.3, status: 429, headers: { 'Retry-After': '1' } },
      { share: 0.3 / 0.7, status: 500, body: 'injected: internal error\n' },
    ]);
    const statsBefore = await stats();
    const pickMs = await converge(
      '2.0.0 chosen and written back',
      async () => (await imageStatus()).chosenTag === '2.0.0' && (await bumpedTagsNow()).includes('2.0.0'),
      60_000,
      250,
    );
    // Keep scanning under faults for a few more intervals: no second commit.
    await new Promise((r) => setTimeout(r, 4 * SCAN_MS));
    proxy.clearFaults();
    const injected = { ...proxy.counts.injected };
    // Once the last injected answer has been read, the daemon's count equals the proxy's.
    await converge(
      'rate-limit counter equals the 429s injected',
      async () => (await stats()).rateLimited === (proxy.counts.injected[429] ?? 0),
      30_000,
      250,
    );
    const st = await stats();
    // The same count on /metrics (Prometheus), per registry host.
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    const sample = new RegExp(
      `^gitops_seal_registry_rate_limited_total\\{[^}]*registry="${proxy.host.replace(/\./g, '\\.')}"[^}]*\\} (\\d+)`,
      'm',
    ).exec(metrics);
    expect(Number(sample?.[1])).toBe(proxy.counts.injected[429] ?? 0);
    const tags = await bumpedTagsNow();
    const log = await history(repo.dir, 'origin/main');
    record('registry 429/500 mix (30%/30%)', {
      pickMs,
      injected,
      retries: st.retries - statsBefore.retries,
      rateLimitedTotal: st.rateLimited,
      bumpCommits: tags.length,
    });
    expect(st.retries).toBeGreaterThan(statsBefore.retries);
    expect(tags).toEqual(['1.1.0', '2.0.0']);
    expect(log.filter((c) => c.parents.length > 1)).toEqual([]);
    expect((await imageStatus()).lastError).toBeUndefined();
  });
});
