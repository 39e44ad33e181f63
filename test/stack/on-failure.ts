// Setup file of the integration project: when a test fails, print the tail of every server log
// so the cause is visible in CI output without digging for the temp dir.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, inject } from 'vitest';

afterEach((ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  const dir = inject('stack').logDir;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log'))) {
    const tail = readFileSync(join(dir, f), 'utf8').split('\n').slice(-25).join('\n');
    console.error(`\n----- ${f} (last 25 lines) -----\n${tail}`);
  }
});
