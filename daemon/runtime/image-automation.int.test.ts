// The runner's decisions under sharding, against the real registry: a run this replica was not
// allowed to make (its shard was away) is made on the first scan after the shard comes back,
// even though that scan chooses the same tag as before. The automation is a recorder standing in
// for ImageUpdateAutomation (whose pushes have their own tests over the real git server): what is
// checked here is only whether the runner calls it.
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pushManyTags } from '../../test/stack/image-push.js';
import type { StackInfo } from '../../test/stack/types.js';
import type { DaemonConfig } from '../config/index.js';
import { EventBus } from '../events/index.js';
import { DEFAULT_EXCLUSION_LIST } from '../images/policy.js';
import { parseImageReference } from '../images/reference.js';
import type { ImageSpec } from '../images/types.js';
import type { ImageUpdateAutomation } from '../writeback/index.js';
import { ImageAutomationRunner } from './image-automation.js';

const stack = inject('stack') as StackInfo;
const saved = { user: process.env.IMG_RUNNER_USER, pass: process.env.IMG_RUNNER_PASS };

beforeAll(() => {
  process.env.IMG_RUNNER_USER = stack.registry.basic.username;
  process.env.IMG_RUNNER_PASS = stack.registry.basic.password;
});
afterAll(() => {
  for (const [k, v] of [
    ['IMG_RUNNER_USER', saved.user],
    ['IMG_RUNNER_PASS', saved.pass],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

describe('ImageAutomationRunner under sharding', () => {
  it('a run refused while the shard was away happens on the first scan after it is back, same tag or not', async () => {
    const repo = `runner-${randomBytes(3).toString('hex')}/app`;
    await pushManyTags(stack.registry.basic, repo, ['1.0.0', '1.1.0']);
    const image = `${stack.registry.basic.host}/${repo}`;
    const spec: ImageSpec = {
      name: 'app',
      image,
      ref: parseImageReference(image),
      intervalMs: 3_600_000,
      timeoutMs: 10_000,
      insecure: true,
      exclusionList: [...DEFAULT_EXCLUSION_LIST],
      policy: { semver: { range: '>=1.0.0' } },
      digestPinning: false,
      credentials: { usernameFrom: { env: 'IMG_RUNNER_USER' }, passwordFrom: { env: 'IMG_RUNNER_PASS' } },
    };
    let owned = true;
    const ownership = { accepts: () => owned, mayWrite: () => owned };
    const config = { spec: { sources: [], images: [spec], imageUpdates: [] } } as unknown as DaemonConfig;
    const runner = new ImageAutomationRunner(config, '/nonexistent', pino({ level: 'silent' }), new EventBus(), undefined, ownership);
    const runs: string[] = [];
    let gate: Promise<void> = Promise.resolve();
    const recorder = {
      spec: { name: 'rec', source: 'repo' },
      status: { skipped: [] },
      run: async (policies: { value?: { tag: string } }[]) => {
        runs.push(policies[0]?.value?.tag ?? '');
        await gate;
        return { reason: 'unchanged', skipped: [], files: [] };
      },
    };
    runner.automations.push(recorder as unknown as ImageUpdateAutomation);
    const scanner = runner.scanners[0]!;
    // A scan's run starts within the scan (the recorder notes its call at once); its end settles
    // after a turn of the loop.
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

    await scanner.scan();
    await settle();
    expect(runs).toEqual(['1.1.0']);
    await scanner.scan();
    await settle();
    expect(runs).toEqual(['1.1.0']); // the same choice: nothing to do

    // A run is in flight when a new tag is chosen: the next run is queued behind it. The shard
    // goes away before the queued run starts, so that run is refused.
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    await pushManyTags(stack.registry.basic, repo, ['1.2.0']);
    void runner.runAll(); // in flight, held by the gate
    await scanner.scan(); // chooses 1.2.0 → queued
    owned = false;
    open();
    await settle();
    expect(runs).toEqual(['1.1.0', '1.1.0']);

    // Back: the first scan chooses 1.2.0 again — the value already recorded — and still runs.
    owned = true;
    await scanner.scan();
    await settle();
    expect(runs).toEqual(['1.1.0', '1.1.0', '1.2.0']);
  });
});
