// `--version`, `--help` and every command but build/diff must not load the Kubernetes client
// (~0.7 s of CPU before the fix, issue 13 item 16): importing it here fails the test.
import { describe, expect, it, vi } from 'vitest';

vi.mock('@kubernetes/client-node', () => {
  throw new Error('@kubernetes/client-node was loaded');
});

describe('CLI start-up', () => {
  it('answers --version and encrypt --help without loading the Kubernetes client', async () => {
    const { runCaptured } = await import('../test/support/cli-capture.js');
    const version = await runCaptured(['--version'], { env: {}, cwd: '/' });
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = await runCaptured(['encrypt', '--help'], { env: {}, cwd: '/' });
    expect(help.code).toBe(0);
    expect(help.out).toContain('--filename-override');
  });
});
