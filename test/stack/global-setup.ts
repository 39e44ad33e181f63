// vitest global setup of the `integration` project: starts the real stack once per run on free
// loopback ports, hands its endpoints to tests (`inject('stack')`), and stops every process it
// started — at teardown, and also on failure or Ctrl-C (procs.ts kills by PID).
import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startStack } from './stack.js';
import type { StackInfo } from './types.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Development only: reuse a stack that `npm run stack -- --info-file F` keeps running, so
  // several test runs share one set of servers. CI never sets this.
  const reuse = process.env.GITOPS_SEAL_STACK_INFO;
  if (reuse) {
    project.provide('stack', JSON.parse(readFileSync(reuse, 'utf8')) as StackInfo);
    console.log(`[stack] reusing the running stack described by ${reuse}`);
    return async () => undefined;
  }
  const t0 = Date.now();
  const stack = await startStack();
  console.log(`[stack] up in ${((Date.now() - t0) / 1000).toFixed(1)}s; logs in ${stack.info.logDir}`);
  project.provide('stack', stack.info);
  return async () => {
    await stack.stop();
  };
}
