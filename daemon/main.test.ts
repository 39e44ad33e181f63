// gitops-seal-daemon as a process: the exit-code contract (0 ok, 1 a reconcile or the run failed,
// 2 nothing could run: flags, config, credentials) and one-line errors without stack traces, for
// the mistakes a new user makes before any server is involved.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-main-'));
const home = join(dir, 'home');
mkdirSync(home);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The daemon under tsx, with an environment that has no kubeconfig anywhere. */
function daemon(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'main.ts'), ...args],
      { env: { PATH: process.env.PATH, HOME: home, GITOPS_SEAL_DATA: join(dir, 'data'), ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function config(name: string, spec: string): string {
  const file = join(dir, name);
  writeFileSync(file, `apiVersion: gitops-seal.io/v1alpha1\nkind: DaemonConfig\nmetadata: {name: t}\nspec:\n${spec}`);
  return file;
}

const SOURCE = '  sources:\n    - name: repo\n      url: http://127.0.0.1:9/fleet.git\n      ref: {branch: main}\n';

/** One line on stderr, prefixed, with no stack trace and no help text. */
function expectOneLine(r: Run): string {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^gitops-seal-daemon: /);
  expect(r.stderr).not.toMatch(/\n\s+at |Usage:/);
  return lines[0] ?? '';
}

// Each run compiles main.ts under tsx: seconds on a loaded 2-core machine.
describe('gitops-seal-daemon exit codes and messages', { timeout: 120_000 }, () => {
  it('usage errors exit 2 with one line, not 1 with the full help', async () => {
    const unknown = await daemon(['--config', 'x.yaml', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(expectOneLine(unknown)).toMatch(/unknown option '--bogus'.*--help/);
    const missing = await daemon(['--once']);
    expect(missing.code).toBe(2);
    expect(expectOneLine(missing)).toMatch(/required option '-c, --config <file>' not specified/);
    const badDuration = await daemon(['--config', 'x.yaml', '--shutdown-timeout', 'soon']);
    expect(badDuration.code).toBe(2);
    expect(expectOneLine(badDuration)).toMatch(/--shutdown-timeout/);
  });

  it('--help exits 0 and states the exit codes, 2 included', async () => {
    const r = await daemon(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Exit codes:.*\b0\b.*\b1\b.*\b2\b/s);
    expect(r.stdout).toMatch(/2 +(usage|bad)/);
  });

  it('without any kubeconfig, --once names what it looked for and where, exit 2', async () => {
    const file = config('nokube.yaml', `${SOURCE}  syncs:\n    - {name: apps, source: repo, path: deploy}\n`);
    const r = await daemon(['--config', file, '--once']);
    const line = expectOneLine(r);
    expect(r.code).toBe(2);
    expect(line).toContain('sync "apps": no Kubernetes credentials found');
    expect(line).toContain('KUBECONFIG (not set)');
    expect(line).toContain(`${join(home, '.kube', 'config')} (does not exist)`);
    expect(line).toMatch(/in-cluster ServiceAccount \(KUBERNETES_SERVICE_HOST is not set/);
    expect(line).not.toMatch(/HTTP protocol|skipTLSVerify/);
  });

  it('a KUBECONFIG naming only missing files says so, exit 2', async () => {
    const file = config('nokube2.yaml', `${SOURCE}  syncs:\n    - {name: apps, source: repo, path: deploy}\n`);
    const r = await daemon(['--config', file, '--once'], { KUBECONFIG: join(dir, 'nope.yaml') });
    expect(r.code).toBe(2);
    expect(expectOneLine(r)).toContain(`KUBECONFIG=${join(dir, 'nope.yaml')} names no existing file`);
  });

  it('a config with nothing to do is refused (2), one with image automation only is not', async () => {
    const empty = config('empty.yaml', SOURCE);
    const r = await daemon(['--config', empty, '--once']);
    expect(r.code).toBe(2);
    expect(expectOneLine(r)).toMatch(/nothing to do: no syncs and no imageUpdates/);
    const imagesOnly = config(
      'images-only.yaml',
      `${SOURCE}  imageUpdates:\n    - {name: bump, source: repo, path: deploy, author: {name: bot, email: bot@example.com}}\n`,
    );
    const once = await daemon(['--config', imagesOnly, '--once']);
    expect(once.code).toBe(2);
    expect(expectOneLine(once)).toMatch(/--once reconciles syncs and .* has none; image automation \(imageUpdates\) runs without --once/);
  });

  it('image automation alone starts (no --once) and warns about a source nothing uses', async () => {
    const file = config(
      'images-run.yaml',
      `${SOURCE}    - {name: spare, url: "http://127.0.0.1:9/spare.git", ref: {branch: main}}\n  imageUpdates:\n    - {name: bump, source: repo, path: deploy, author: {name: bot, email: bot@example.com}}\n`,
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'main.ts'), '--config', file, '--listen', '127.0.0.1:0'],
      {
        env: { PATH: process.env.PATH, HOME: home, GITOPS_SEAL_DATA: join(dir, 'data-run') },
      },
    );
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "endpoints listening" within 60 s:\n${out}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('endpoints listening')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; source?: string });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'source is used by no sync and no imageUpdate: it is fetched for nothing', source: 'spare' }),
    );
    expect(lines.filter((l) => l.msg.startsWith('source is used by no'))).toHaveLength(1);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'no syncs: running image automation only' }));
  });

  it('a YAML syntax error names the file, line and column, and a plain cause', async () => {
    const file = config('syntax.yaml', `${SOURCE}  syncs:\n    - name: apps\n     source: repo\n`);
    const r = await daemon(['--config', file, '--once']);
    expect(r.code).toBe(2);
    const line = expectOneLine(r);
    expect(line).toContain(`${file}: line 11, column 1: YAML syntax error:`);
    expect(line).not.toContain('(document)');
  });
});
