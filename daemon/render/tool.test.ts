import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RenderToolError, runTool, type ToolRun } from './tool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'render-tool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sh = (script: string, over: Partial<ToolRun> = {}): ToolRun => ({
  sync: 'apps',
  subject: 'apps/staging',
  tool: 'kustomize',
  bin: '/bin/sh',
  args: ['-c', script],
  cwd: dir,
  scratch: dir,
  timeoutMs: 10_000,
  maxOutputBytes: 1 << 20,
  ...over,
});

/** Running (a killed child whose parent is gone may linger as a zombie until reaped: not alive). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe('runTool', () => {
  it('returns stdout of a successful run', async () => {
    const r = await runTool(sh('printf "kind: X\\n"; echo warn >&2'));
    expect(r.stdout.toString()).toBe('kind: X\n');
    expect(r.stderr).toBe('warn');
  });

  it('passes no variable of the daemon; HOME, XDG, TMPDIR, KUBECONFIG point into scratch', async () => {
    process.env.GITOPS_SEAL_TEST_CANARY_VAR = 'leak-me';
    try {
      const r = await runTool(sh('env', { env: { HELM_REPO_USER: 'u' } }));
      const env = Object.fromEntries(
        r.stdout
          .toString()
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(env.GITOPS_SEAL_TEST_CANARY_VAR).toBeUndefined();
      expect(env.HOME).toBe(dir);
      expect(env.TMPDIR).toBe(dir);
      expect(env.KUBECONFIG?.startsWith(dir)).toBe(true);
      expect(env.XDG_CONFIG_HOME?.startsWith(dir)).toBe(true);
      expect(env.XDG_CACHE_HOME?.startsWith(dir)).toBe(true);
      expect(env.HELM_REPO_USER).toBe('u');
      // sh itself adds PWD/SHLVL/_; nothing else beyond what cleanEnv sets.
      const allowed = new Set([
        'PATH',
        'HOME',
        'XDG_CONFIG_HOME',
        'XDG_CACHE_HOME',
        'XDG_DATA_HOME',
        'TMPDIR',
        'KUBECONFIG',
        'LANG',
        'HELM_REPO_USER',
        'PWD',
        'SHLVL',
        '_',
        'OLDPWD',
      ]);
      expect(Object.keys(env).filter((k) => !allowed.has(k))).toEqual([]);
    } finally {
      delete process.env.GITOPS_SEAL_TEST_CANARY_VAR;
    }
  });

  it('a non-zero exit is a RenderToolError naming the sync, the subject and carrying the redacted message', async () => {
    const secret = 'hunter2-plaintext';
    const b64 = Buffer.from(secret).toString('base64');
    const err = await runTool(
      sh(`echo "Error: bad line: PASSWORD=${secret} (${b64})" >&2; exit 3`, { secrets: () => [`PASSWORD=${secret}\nOTHER=x`, secret] }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderToolError);
    const e = err as RenderToolError;
    expect(e.reason).toBe('exit');
    expect(e.message).toContain('sync "apps"');
    expect(e.message).toContain('apps/staging');
    expect(e.message).toContain('Error: bad line');
    expect(e.message).not.toContain(secret);
    expect(e.message).not.toContain(b64);
  });

  it('redacts the byte-list and quoted forms Go prints of a line it cannot parse, and KEY=value values', async () => {
    const line = 'TOKEN=canary-bytes-1234';
    const bytes = [...Buffer.from(line)].join(' ');
    const script = `echo "Error: line [${bytes}] is bad; value \\"canary-bytes-1234\\" at 2" >&2; exit 1`;
    const err = (await runTool(sh(script, { secrets: () => [`A=1\n${line}\n`] })).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('Error: line [');
    expect(err.message).not.toContain('canary-bytes-1234');
    expect(err.message).not.toContain(bytes);
  });

  it('a timeout kills the whole process group, the tool’s children included', async () => {
    const pidFile = join(dir, 'child.pid');
    const started = Date.now();
    const err = await runTool(sh(`sleep 30 & echo $! > ${pidFile}; wait`, { timeoutMs: 300 })).catch((e: unknown) => e);
    expect((err as RenderToolError).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    const childPid = Number(readFileSync(pidFile, 'utf8').trim());
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(childPid)).toBe(false);
  });

  it('stdout above the limit kills the tool', async () => {
    const err = await runTool(sh('yes kind-ConfigMap', { maxOutputBytes: 64 * 1024 })).catch((e: unknown) => e);
    expect((err as RenderToolError).reason).toBe('output-limit');
    expect((err as Error).message).toContain('output size limit');
  });

  it('a missing binary is a spawn failure, not a crash', async () => {
    const err = await runTool(sh('', { bin: join(dir, 'no-such-kustomize') })).catch((e: unknown) => e);
    expect((err as RenderToolError).reason).toBe('spawn');
  });

  it('feeds stdin', async () => {
    const r = await runTool(sh('cat', { stdin: Buffer.from('values: 1\n') }));
    expect(r.stdout.toString()).toBe('values: 1\n');
  });

  it('feeds extra descriptors 3, 4, … in order, each to EOF, larger than a pipe buffer', async () => {
    const big = Buffer.alloc(200_000, 'b');
    const r = await runTool(sh('cat <&3; echo; cat <&4', { inputs: [Buffer.from('first'), big] }));
    expect(r.stdout.toString()).toBe(`first\n${big.toString()}`);
  });

  it('keeps only the tail of a long stderr', async () => {
    const err = await runTool(
      sh('i=0; while [ $i -lt 3000 ]; do echo "noise line $i" >&2; i=$((i+1)); done; echo "Error: the real cause" >&2; exit 1'),
    ).catch((e: unknown) => e);
    const msg = (err as Error).message;
    expect(msg).toContain('Error: the real cause');
    expect(msg.length).toBeLessThan(9_000);
  });
});
