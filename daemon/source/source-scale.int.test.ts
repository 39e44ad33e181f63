// Figures for a repository of 1,000 manifests: initial fetch, reading every file, and the cost
// of resolve() when nothing moved. Printed as [source] lines; asserted on request counts.
import { describe, expect, it } from 'vitest';
import { createRepo } from '../../test/stack/gitserver.js';
import { ctx, source, useGitServer } from '../../test/support/git-source-fixture.js';

useGitServer();

describe('GitSource at scale', () => {
  it('fetches a repo with 1,000 manifest files; resolve() on an unmoved head is one small request', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) {
      files[`apps/team-${i % 20}/app-${i}/deploy.yaml`] =
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\n  namespace: team-${i % 20}\nspec:\n  replicas: ${(i % 3) + 1}\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app-${i}:1.0.${i}\n`;
    }
    await createRepo(ctx.info, 'big', files);
    const src = source('big', { branch: 'main' });
    // CPU time is reported beside wall time: on a loaded CI box wall time mostly measures the queue.
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const rev = await src.fetch();
    const fetchMs = performance.now() - t0;
    const fetchCpu = process.cpuUsage(c0);
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const all = await rev.readFiles('', (p) => p.endsWith('.yaml'));
    const readMs = performance.now() - t1;
    const readCpu = process.cpuUsage(c1);
    const cpuMs = (u: NodeJS.CpuUsage): string => ((u.user + u.system) / 1000).toFixed(0);
    expect(all).toHaveLength(1000);
    expect(all.find((f) => f.path === 'apps/team-7/app-7/deploy.yaml')?.text).toContain('name: app-7');
    const samples: number[] = [];
    const req0 = src.stats.requests;
    const bytes0 = src.stats.bytesReceived;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await src.resolve();
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    const perResolve = (src.stats.bytesReceived - bytes0) / 20;
    expect(src.stats.requests - req0).toBe(20);
    console.log(
      `[source] 1,000 manifests: fetch ${fetchMs.toFixed(0)} ms wall / ${cpuMs(fetchCpu)} ms CPU (${(bytes0 / 1024).toFixed(0)} KiB received), ` +
        `readFiles ${readMs.toFixed(0)} ms wall / ${cpuMs(readCpu)} ms CPU; ` +
        `resolve() unmoved: median ${samples[10]?.toFixed(1)} ms, p95 ${samples[18]?.toFixed(1)} ms, 1 request / ${perResolve.toFixed(0)} bytes each`,
    );
  });
});
