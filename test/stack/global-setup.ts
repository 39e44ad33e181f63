// vitest global setup of the `integration` project: starts the real stack once per run on free
// loopback ports, hands its endpoints to tests (`inject('stack')`), and stops every process it
// started — at teardown, and also on failure or Ctrl-C (procs.ts kills by PID).
import type { TestProject } from 'vitest/node';
import { startStack } from './stack.js';
import type { StackInfo } from './types.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const stack = await startStack();
  console.log(`[stack] up in ${((Date.now() - t0) / 1000).toFixed(1)}s; logs in ${stack.info.logDir}`);
  project.provide('stack', stack.info);
  return async () => {
    await stack.stop();
  };
}
