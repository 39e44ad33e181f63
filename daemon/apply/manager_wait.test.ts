// wait's use of the health words, with the manager's two reads (locate, getLive) stubbed: an
// object that is not found is Missing and an object whose GET fails is Unknown — neither counts
// as Ready, both stay pending (and are retried) until the timeout names them.
// manager.int.test.ts covers wait against the real apiserver.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.js';
import { WaitError } from './errors.js';
import type { Located, ResourceManager } from './manager.js';
import { waitAll } from './manager_wait.js';

const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } };

/** A manager whose getLive answers from `answers` in turn (the last one repeats). */
function managerAnswering(answers: ((loc: Located) => KubeObject | undefined)[]): ResourceManager {
  let calls = 0;
  const stub = {
    concurrency: 4,
    pollIntervalMs: 5,
    locate: async (): Promise<Located> => ({}) as Located,
    getLive: async (loc: Located): Promise<KubeObject | undefined> => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      return answer?.(loc);
    },
  };
  return stub as unknown as ResourceManager;
}

async function waitError(m: ResourceManager): Promise<WaitError> {
  const err = await waitAll(m, [cm], { timeoutMs: 50, intervalMs: 5 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WaitError);
  return err as WaitError;
}

describe('wait with Missing and Unknown', () => {
  it('an object that is not found is Missing: pending until the timeout, which names it', async () => {
    const err = await waitError(managerAnswering([() => undefined]));
    expect(err.reason).toBe('timeout');
    expect(err.pending[0]?.health).toEqual({ status: 'Missing', message: 'not found' });
    expect(err.message).toContain('ConfigMap/n/c: Missing (not found)');
  });

  it('an object whose GET keeps failing is Unknown with the cause, not Progressing', async () => {
    const err = await waitError(
      managerAnswering([
        () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
        },
      ]),
    );
    expect(err.reason).toBe('timeout');
    expect(err.pending[0]?.health).toEqual({ status: 'Unknown', message: 'get failed: connect ECONNREFUSED 127.0.0.1:6443' });
  });

  it('Missing and Unknown are polled again: the object that appears becomes Ready', async () => {
    const states = await waitAll(
      managerAnswering([
        () => undefined,
        () => {
          throw new Error('etcdserver: request timed out');
        },
        () => cm,
      ]),
      [cm],
      { timeoutMs: 5_000, intervalMs: 5 },
    );
    expect(states.map((s) => [s.subject, s.health.status])).toEqual([['ConfigMap/n/c', 'Ready']]);
  });
});
