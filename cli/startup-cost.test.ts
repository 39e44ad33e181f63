// `--version`, `--help` and every command but build/diff must not load the Kubernetes client
// (~0.7 s of CPU before the fix, issue 13 item 16) nor the git client (status and reconcile
// strip URL userinfo with daemon/git/credentials.ts, not through the git door: loading the CLI
// took 1.69 s before, 0.86 s after at load 20, issue 14): importing either here fails the test.
import { describe, expect, it, vi } from 'vitest';

vi.mock('@kubernetes/client-node', () => {
  throw new Error('@kubernetes/client-node was loaded');
});
vi.mock('isomorphic-git', () => {
  throw new Error('isomorphic-git was loaded');
});

describe('CLI start-up', () => {
  it('answers --version and encrypt --help without loading the Kubernetes or git client', async () => {
    const { runCaptured } = await import('../test/support/cli-capture.js');
    const version = await runCaptured(['--version'], { env: {}, cwd: '/' });
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = await runCaptured(['encrypt', '--help'], { env: {}, cwd: '/' });
    expect(help.code).toBe(0);
    expect(help.out).toContain('--filename-override');
  });
});
