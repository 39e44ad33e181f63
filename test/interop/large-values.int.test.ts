// Issue 13, item 3, against the real sops 3.13.3: values at the Kubernetes Secret limit (~1 MiB
// per object) and far beyond it (8 MiB) round-trip both ways — sops writes, our CLI decrypts and
// rotates, sops reads our rotated file; our CLI encrypts, sops decrypts. Before the fix every
// read of such a file failed with "Maximum call stack size exceeded" after encrypt succeeded.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseEnv, runOurCli, runSops, Transcript } from './helpers.js';
import { makeWorld, type World } from './parties.js';

const MiB = 1 << 20;
let world: World;
beforeAll(async () => {
  world = await makeWorld(inject('stack'), 'large', new Transcript());
});
afterAll(async () => {
  await world?.box.cleanup();
});

const env = (): NodeJS.ProcessEnv => baseEnv(world.box.path('home'), { SOPS_AGE_KEY_FILE: world.keyFile });
const RULE = ['--encrypted-regex', '^(data|stringData)$'];

function secret(bytes: number): { text: string; value: string } {
  const value = randomBytes(Math.floor((bytes * 3) / 4)).toString('base64');
  return { value, text: `apiVersion: v1\nkind: Secret\nmetadata:\n    name: big\ndata:\n    blob: ${value}\n` };
}

async function ok(r: Promise<{ code: number; out: string; err: string }>, what: string): Promise<string> {
  const res = await r;
  expect(res.code, `${what}: ${res.err.slice(0, 500)}`).toBe(0);
  return res.out;
}

describe.each([1 * MiB, 8 * MiB])('a %d-byte value', (size) => {
  it('sops writes it; our CLI decrypts and rotates it; sops reads the rotated file', async () => {
    const { text, value } = secret(size);
    const plain = await world.box.write(`s-${size}.yaml`, text);
    const enc = world.box.path(`s-${size}.enc.yaml`);
    await ok(
      runSops(world.sopsBin, ['encrypt', '--age', world.recipient, ...RULE, '--output', enc, plain], env(), world.box.dir),
      'sops encrypt',
    );
    expect(await ok(runOurCli(['decrypt', enc], env(), world.box.dir), 'our decrypt')).toBe(text);
    await ok(runOurCli(['rotate', enc], env(), world.box.dir), 'our rotate');
    const back = await ok(runSops(world.sopsBin, ['decrypt', enc], env(), world.box.dir), 'sops decrypt of our rotated file');
    expect(back).toContain(value);
  });

  it('our CLI writes it; sops decrypts it', async () => {
    const { text, value } = secret(size);
    const plain = await world.box.write(`o-${size}.yaml`, text);
    const enc = world.box.path(`o-${size}.enc.yaml`);
    await ok(runOurCli(['encrypt', plain, '--age', world.recipient, '-o', enc], env(), world.box.dir), 'our encrypt');
    expect(await readFile(enc, 'utf8')).not.toContain(value.slice(0, 100));
    expect(await ok(runSops(world.sopsBin, ['decrypt', enc], env(), world.box.dir), 'sops decrypt')).toContain(value);
    expect(await ok(runOurCli(['decrypt', enc], env(), world.box.dir), 'our decrypt')).toBe(text);
  });
});
