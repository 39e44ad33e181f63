// `--version`, `--help` and every command but build/diff must not load the Kubernetes client
// (~0.7 s of CPU before the fix, issue 13 item 16): importing it here fails the test.
import { describe, expect, it, vi } from 'vitest';

vi.mock('@kubernetes/client-node', () => {
  throw new Error('@kubernetes/client-node was loaded');
});

describe('CLI start-up', () => {
  it('answers --version and encrypt --help without loading the Kubernetes client', async () => {
    const { runCli } = await import('./program.js');
    let out = '';
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {}, cwd: '/' };
    expect(await runCli(['--version'], io)).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await runCli(['encrypt', '--help'], io)).toBe(0);
    expect(out).toContain('--filename-override');
  });
});
