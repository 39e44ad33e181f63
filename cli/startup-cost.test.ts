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
    const { runCli } = await import('./program.js');
    let out = '';
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {}, cwd: '/' };
    expect(await runCli(['--version'], io)).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await runCli(['encrypt', '--help'], io)).toBe(0);
    expect(out).toContain('--filename-override');
  });
});
