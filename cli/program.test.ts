import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { runCaptured, type RunResult } from '../test/support/cli-capture.js';
import { buildProgram, packageVersion } from './program.js';
import { createContext } from './context.js';
import { ExitCode } from './errors.js';
import type { KeysApi } from './keys-api.js';

// Parsing must never need the crypto library: this loader fails the test if it is touched.
const noKeys = async (): Promise<KeysApi> => {
  throw new Error('keys loaded during argument parsing');
};

function run(args: string[]): Promise<RunResult> {
  return runCaptured(args, { env: {}, cwd: '/', keys: noKeys });
}

describe('argument parsing', () => {
  it('prints help and version with exit 0', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['keygen', 'encrypt', 'decrypt', 'create-secret', 'edit', 'updatekeys', 'rotate', 'check']) {
      expect(help.out).toContain(c);
    }
    expect(help.out).toContain('Exit codes:');
    expect(await run(['--version'])).toMatchObject({ code: 0, out: `${packageVersion()}\n` });
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
    for (const c of ['encrypt', 'check', 'create-secret', 'updatekeys']) {
      expect((await run([c, '--help'])).code).toBe(0);
    }
  });

  it('maps usage errors to exit 2 with a one-line message', async () => {
    const cases: string[][] = [
      ['bogus'],
      ['encrypt'],
      ['encrypt', 'f.yaml', '--nope'],
      ['encrypt', 'f.yaml', '-i', '-o', 'x.yaml'],
      ['encrypt', 'f.yaml', '--encrypted-suffix', 'a', '--unencrypted-regex', 'b'],
      ['create-secret', 'name'],
      ['check', '-o', 'xml'],
      ['updatekeys'],
    ];
    for (const args of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(ExitCode.USAGE);
      expect(r.err, args.join(' ')).toMatch(/^gitops-seal: /);
    }
    const noCommand = await run([]);
    expect(noCommand.code).toBe(ExitCode.USAGE);
  });

  it('validates create-secret names before touching keys', async () => {
    const r = await run(['create-secret', 'Bad_Name', '-n', 'ns', '--from-literal', 'a=b']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toBe("gitops-seal: invalid Secret name 'Bad_Name' (must be a DNS-1123 subdomain)\n");
  });

  it('adds a command with one register() entry', async () => {
    const ctx = createContext({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: '/' }, noKeys);
    let called = '';
    const extra = {
      register(program: Command): void {
        program
          .command('build')
          .argument('<dir>')
          .action((dir: string) => {
            called = dir;
          });
      },
    };
    await buildProgram(ctx, [extra]).parseAsync(['build', 'x'], { from: 'user' });
    expect(called).toBe('x');
  });

  it('surfaces keys/ load failures as a one-line error', async () => {
    const r = await run(['keygen']);
    expect(r.code).not.toBe(0);
    expect(r.err).toBe('gitops-seal: keys loaded during argument parsing\n');
  });
});
