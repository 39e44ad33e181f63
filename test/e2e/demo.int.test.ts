// The README's first Quick-start line, `npm run demo`, as a test: the demo's setup and its five
// steps in auto mode on the shared stack (the daemon as a real child process on
// examples/daemon-config.yaml, the fleet of examples/fleet, the overlay and chart of
// examples/rendered). Every step verifies what it shows, so "all steps passed" means: applied,
// decrypted, drift reverted, image bumped and rolled out, overlay and chart rendered with their
// secrets decrypted.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanupCluster, runDemo, type DemoRun } from '../../demo/demo.js';
import { getJson } from '../../demo/exec.js';
import { TextCapture } from '../support/text-capture.js';

const stack = inject('stack');

describe('npm run demo -- --auto (on the shared stack)', () => {
  const out = new TextCapture();
  let run: DemoRun;
  let logText = '';

  beforeAll(async () => {
    // A previous run that died before its cleanup must not leave terminating namespaces behind.
    await cleanupCluster(stack);
    run = await runDemo(stack, { auto: true, out, suffix: `-t${Date.now().toString(36)}` });
    logText = run.ctx?.daemon.tail(100_000) ?? '';
  }, 300_000);

  afterAll(async () => {
    await run?.stop();
    await cleanupCluster(stack);
  }, 180_000);

  it('passes setup and all five steps, printing headers and a summary', () => {
    if (!run.ok) console.log(out.text);
    expect(run.steps.map((s) => [s.index, s.status])).toEqual([
      [0, 'passed'],
      [1, 'passed'],
      [2, 'passed'],
      [3, 'passed'],
      [4, 'passed'],
      [5, 'passed'],
    ]);
    for (const i of [1, 2, 3, 4, 5]) expect(out.text).toContain(`[${i}/5] `);
    expect(out.text).toContain('all steps passed');
    // The web status page is pointed to (setup checked that it answers) and the steps refer to it.
    expect(out.text).toMatch(/web status page: http:\/\/127\.0\.0\.1:\d+\/ /);
    expect(out.text).toMatch(/On http:\/\/127\.0\.0\.1:\d+\/syncs\/demo-fleet/);
    console.log(
      `[figure] demo on the shared stack: ${run.steps.map((s) => `${s.index === 0 ? 'setup' : s.index} ${(s.ms / 1000).toFixed(1)} s`).join(', ')}; total ${(run.totalMs / 1000).toFixed(1)} s`,
    );
  });

  it('keeps the generated Secret value out of the output and the daemon log', async () => {
    const ctx = run.ctx;
    if (!ctx) throw new Error('the demo did not get past setup');
    const secret = await getJson<{ data: Record<string, string> }>(stack, ['secret', 'podinfo-credentials', '-n', 'demo-web']);
    const b64 = secret?.data.password ?? '';
    const plain = Buffer.from(b64, 'base64').toString('utf8');
    expect(plain).toMatch(/^demo-/);
    for (const form of [plain, b64, Buffer.from(plain).toString('hex')]) {
      expect(out.text).not.toContain(form);
      expect(logText).not.toContain(form);
    }
    // The fingerprint the demo printed is the real one of the cluster's value.
    expect(out.text).toContain(ctx.secret.sha256);
    // The rendered syncs' secrets (the overlay's encrypted Secret, the chart's encrypted values).
    for (const [ns, name] of [
      ['demo-staging', 'staging-greeter-credentials'],
      ['demo-charts', 'greeter-api'],
    ] as const) {
      const s = await getJson<{ data: Record<string, string> }>(stack, ['secret', name, '-n', ns]);
      const v = Buffer.from(s?.data.token ?? '', 'base64').toString('utf8');
      expect(v).toMatch(/^(tok|api)-/);
      for (const form of [v, s?.data.token ?? '']) {
        expect(out.text).not.toContain(form);
        expect(logText).not.toContain(form);
      }
    }
  });
});
