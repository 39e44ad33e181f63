// The git server an integration test talks to: the shared stack's when the run has one (vitest's
// `inject('stack')`), else a git server of the test file's own (test/stack/gitserver.ts).
import { inject } from 'vitest';
import { startGitServer } from '../stack/gitserver.js';
import type { GitInfo, StackInfo } from '../stack/types.js';

export interface TestGitServer {
  info: GitInfo;
  /** Stops the server when it is the test file's own; the shared one is left running. */
  stop(): Promise<void>;
}

export async function sharedOrOwnGitServer(): Promise<TestGitServer> {
  const shared = inject('stack') as StackInfo | undefined;
  if (shared) return { info: shared.git, stop: async () => undefined };
  const own = await startGitServer();
  return { info: own.info, stop: () => own.stop() };
}
