// Bench: scan a 5,000-tag repository on a real registry (CNCF Distribution with token auth,
// started here) and print wall time, pages and HTTP requests per scan.
//   npx tsx bench/image-scan.ts [tags=5000]
import { pushManyTags } from '../test/stack/image-push.js';
import { startRegistry } from '../test/stack/registry.js';
import { Limiter } from '../daemon/images/limiter.js';
import { DEFAULT_EXCLUSION_LIST } from '../daemon/images/policy.js';
import { parseImageReference } from '../daemon/images/reference.js';
import { ImageScanner } from '../daemon/images/scanner.js';

const count = Number(process.argv[2] ?? 5000);
const reg = await startRegistry();
try {
  const repo = 'bench/scan';
  const tags = Array.from({ length: count }, (_, i) => `${Math.floor(i / 1000)}.${Math.floor(i / 10) % 100}.${i % 10}`);
  const pushed = await pushManyTags(reg.info.token, repo, tags);
  console.log(`pushed ${count} tags in ${(pushed.tagMillis / 1000).toFixed(1)} s`);
  for (const [label, info] of [
    ['token', reg.info.token],
    ['basic', reg.info.basic],
  ] as const) {
    if (label === 'basic') await pushManyTags(info, repo, tags);
    for (const pageSize of [1000, 100]) {
      const image = `${info.host}/${repo}`;
      const scanner = new ImageScanner(
        {
          name: 'bench',
          image,
          ref: parseImageReference(image),
          intervalMs: 60_000,
          timeoutMs: 30_000,
          insecure: true,
          credentials: { usernameFrom: { env: 'U' }, passwordFrom: { env: 'P' } },
          exclusionList: [...DEFAULT_EXCLUSION_LIST],
          policy: { semver: { range: '>=1.0.0 <4.0.0' } },
          digestPinning: true,
        },
        { env: { U: info.username, P: info.password }, client: { pageSize, limiter: new Limiter(4) } },
      );
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await scanner.scan());
      const ms = runs.map((r) => r.durationMs).sort((a, b) => a - b);
      const r = runs[0]!;
      console.log(
        `${label} auth, n=${pageSize}: ${r.tagsSeen} tags, ${r.pages} pages, ${r.requests} requests on the first scan, ${runs[1]!.requests} on later ones (token cached), chosen ${r.chosenTag} ` +
          `(${r.digest?.slice(0, 19)}…); scan median ${ms[2]} ms (min ${ms[0]}, max ${ms[4]}) over 5 scans`,
      );
    }
  }
} finally {
  await reg.stop();
}
