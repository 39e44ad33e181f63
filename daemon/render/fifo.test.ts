import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FifoFeeder, makeFifos } from './fifo.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'render-fifo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs sh with the script; the shell itself holds the FIFO open (exec 3<…) like kustomize does. */
function readWith(script: string, feeder: FifoFeeder): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], { cwd: dir });
    if (child.pid !== undefined) feeder.setReader(child.pid);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sh exit ${code}`))));
  });
}

describe('FifoFeeder', () => {
  it('serves one whole copy per open, however fast the reader reopens', async () => {
    const f = join(dir, 'app.env');
    await makeFifos([f]);
    expect(statSync(f).isFIFO()).toBe(true);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    const content = Buffer.from('PASSWORD=s3cret\nUSER=admin\n');
    const feeder = new FifoFeeder([{ path: f, content }]);
    feeder.start();
    try {
      const reads = 'for i in 1 2 3 4 5; do exec 3<app.env; cat <&3; exec 3<&-; echo ---; done';
      const out = await readWith(reads, feeder);
      expect(out).toBe(`${content.toString()}---\n`.repeat(5));
      expect(feeder.reads.get(f)).toBe(5);
    } finally {
      await feeder.stop();
    }
    expect(feeder.error).toBeUndefined();
  });

  it('writes content larger than the pipe buffer', async () => {
    const f = join(dir, 'big.bin');
    await makeFifos([f]);
    const content = Buffer.alloc(300_000, 'a');
    const feeder = new FifoFeeder([{ path: f, content }]);
    feeder.start();
    try {
      const out = await readWith('exec 3<big.bin; cat <&3', feeder);
      expect(out.length).toBe(content.length);
    } finally {
      await feeder.stop();
    }
  });

  it('stops promptly with no reader', async () => {
    const f = join(dir, 'unused.env');
    await makeFifos([f]);
    const feeder = new FifoFeeder([{ path: f, content: Buffer.from('A=1\n') }]);
    feeder.start();
    const t = Date.now();
    await feeder.stop();
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(feeder.reads.get(f)).toBeUndefined();
  });
});
