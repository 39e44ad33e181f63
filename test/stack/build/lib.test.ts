// build/lib.sh's cache step, driven through bash with a fake build function (no Go build):
// a hit builds nothing, a miss publishes a complete entry in one rename, and neither a killed
// nor a concurrent run leaves an entry that looks complete but is not, or replaces a good one.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stackDir } from '../cache.js';

const lib = join(stackDir, 'build', 'lib.sh');

// Bash start-up and sleeps on a loaded 2-core machine.
vi.setConfig({ testTimeout: 30_000 });

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

let cache: string;
let scripts: string;

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'h7-lib-cache-'));
  scripts = mkdtempSync(join(tmpdir(), 'h7-lib-scripts-'));
});
afterEach(() => {
  rmSync(cache, { recursive: true, force: true });
  rmSync(scripts, { recursive: true, force: true });
});

/** A component script `fake.sh` whose build writes bin/fake and a note, after `delay` seconds. */
function fakeScript(body: string, name = 'fake.sh'): string {
  const file = join(scripts, name);
  writeFileSync(file, `source ${JSON.stringify(lib)}\n${body}\n`);
  return file;
}

const slowBuild = (delay: number, name?: string): string =>
  fakeScript(
    `build_fake() {
  echo started >"$GITOPS_SEAL_CACHE/started.$$"
  sleep ${delay} </dev/null >/dev/null 2>&1 # an orphaned sleep must not hold our pipes
  printf '#!/bin/sh\\necho fake\\n' >"$1/bin/fake"; chmod +x "$1/bin/fake"
  echo $$ >"$1/owner"
}
cached_build fake v1 build_fake bin/fake owner`,
    name,
  );

function start(file: string): { done: Promise<Run>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn('bash', [file], { env: { ...process.env, GITOPS_SEAL_CACHE: cache } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
  return { done, kill: (s) => child.kill(s) };
}

const run = (file: string): Promise<Run> => start(file).done;
const entry = (): string => join(cache, 'fake-v1');
const leftovers = (): string[] => readdirSync(cache).filter((n) => n.startsWith('.fake-v1.build.'));

async function untilStarted(count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (readdirSync(cache).filter((n) => n.startsWith('started.')).length >= count) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('fake build never started');
}

describe('build/lib.sh cached_build', () => {
  it('builds on a miss, publishes the entry whole and leaves no temp dir; a second run is a hit', async () => {
    const file = slowBuild(0);
    const first = await run(file);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('[stack:fake] built in');
    expect(readFileSync(join(entry(), 'owner'), 'utf8').trim()).toMatch(/^\d+$/);
    expect(leftovers()).toEqual([]);

    const second = await run(file);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain(`[stack:fake] cached: ${entry()}`);
    expect(second.out).not.toContain('building');
  });

  it('refuses to publish a build that lacks a declared file', async () => {
    const file = fakeScript(`build_fake() { echo x >"$1/owner"; }
cached_build fake v1 build_fake bin/fake owner`);
    const r = await run(file);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('did not produce all of: bin/fake owner');
    expect(existsSync(entry())).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a build killed with SIGKILL leaves no entry, and the next run sweeps its temp dir and builds', async () => {
    const file = slowBuild(30);
    const victim = start(file);
    await untilStarted(1);
    victim.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    expect(existsSync(entry())).toBe(false);
    expect(leftovers()).toHaveLength(1);

    rmSync(join(cache, readdirSync(cache).find((n) => n.startsWith('started.')) ?? 'none'));
    const after = await run(slowBuild(0));
    expect(after.code, after.out).toBe(0);
    expect(existsSync(join(entry(), 'bin', 'fake'))).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('a build stopped with SIGTERM or Ctrl-C removes its temp dir', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const victim = start(slowBuild(1));
      await untilStarted(1);
      victim.kill(signal);
      const r = await victim.done;
      expect(r.code, `${signal}: ${r.out}`).not.toBe(0);
      expect(existsSync(entry())).toBe(false);
      expect(leftovers()).toEqual([]);
      for (const n of readdirSync(cache)) rmSync(join(cache, n), { recursive: true });
    }
  });

  it('two concurrent runs both succeed; the first published entry stays, untouched and not nested', async () => {
    // Both miss the cache and build; `a` publishes first, `b` a second later.
    const a = start(slowBuild(1, 'a.sh'));
    const b = start(slowBuild(2, 'b.sh'));
    await untilStarted(2);
    const ra = await a.done;
    expect(ra.code, ra.out).toBe(0);
    const first = { ino: statSync(entry()).ino, owner: readFileSync(join(entry(), 'owner'), 'utf8') };
    const rb = await b.done;
    expect(rb.code, rb.out).toBe(0);
    expect(statSync(entry()).ino).toBe(first.ino);
    expect(readFileSync(join(entry(), 'owner'), 'utf8')).toBe(first.owner);
    expect(readdirSync(entry()).sort()).toEqual(['bin', 'owner']);
    expect(readdirSync(join(entry(), 'bin'))).toEqual(['fake']);
    expect(rb.out).toContain('a concurrent run installed');
    expect(leftovers()).toEqual([]);

    // A later run while the entry is in use must not replace it either.
    expect((await run(slowBuild(0))).code).toBe(0);
    expect(statSync(entry()).ino).toBe(first.ino);
  });
});

describe('build/lib.sh helpers', () => {
  it('names go install binaries like go does, and checks the Go minimum', async () => {
    const file = fakeScript(`for p in github.com/getsops/sops/v3/cmd/sops sigs.k8s.io/kustomize/kustomize/v5 \\
  helm.sh/helm/v3/cmd/helm github.com/distribution/distribution/v3/cmd/registry; do go_bin_name "$p"; done
GO_MINIMUM=1.0.0 require_go && echo old-enough
GO_MINIMUM=999.0.0 require_go`);
    const r = await run(file);
    expect(r.out.split('\n').slice(0, 5)).toEqual(['sops', 'kustomize', 'helm', 'registry', 'old-enough']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/\[stack:fake\] Go [\d.]+ is too old: the stack needs Go >= 999\.0\.0/);
  });
});
