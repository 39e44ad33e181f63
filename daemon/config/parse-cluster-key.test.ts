import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';

const head = 'apiVersion: gitops-seal.io/v1alpha1\nkind: DaemonConfig\n';
const config = (clusterKey: string, decryption = '') => `${head}spec:
  sources:
    - name: repo
      url: http://git.local/repo.git
      ref: {branch: main}
  syncs:
    - name: apps
      source: repo
${decryption}
${clusterKey}`;

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseConfig(text, 'cfg.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(({ path, message }) => ({ path, message }));
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('spec.clusterKey and decryption.clusterKey', () => {
  it('is absent unless written; written, its defaults are 30 days and 1 minute', () => {
    expect(parseConfig(config(''), 'c.yaml').spec.clusterKey).toBeUndefined();
    expect(parseConfig(config('  clusterKey: {enabled: true}'), 'c.yaml').spec.clusterKey).toEqual({
      enabled: true,
      rotateEveryMs: 720 * 3_600_000,
      checkIntervalMs: 60_000,
    });
  });

  it('reads rotateEvery beyond a timer limit, 0 as never, and checkInterval', () => {
    const c = parseConfig(config('  clusterKey: {enabled: true, rotateEvery: 2160h, checkInterval: 500ms}'), 'c.yaml');
    expect(c.spec.clusterKey).toEqual({ enabled: true, rotateEveryMs: 2160 * 3_600_000, checkIntervalMs: 500 });
    expect(parseConfig(config('  clusterKey: {enabled: true, rotateEvery: "0"}'), 'c.yaml').spec.clusterKey?.rotateEveryMs).toBe(0);
  });

  it('refuses bad durations and unknown fields, each with its path', () => {
    const issues = issuesOf(config('  clusterKey: {enabled: yes, rotateEvery: -1h, checkInterval: "0", rotateEvry: 1h}'));
    expect(issues).toHaveLength(4);
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'spec.clusterKey.enabled', message: 'must be true or false, not a string' },
        { path: 'spec.clusterKey.rotateEvery', message: 'must not be negative' },
        { path: 'spec.clusterKey.checkInterval', message: 'must be greater than zero' },
        { path: 'spec.clusterKey.rotateEvry', message: 'unknown field; did you mean "rotateEvery"?' },
      ]),
    );
    expect(issuesOf(config('  clusterKey: {enabled: true, rotateEvery: 100000h}'))).toEqual([
      { path: 'spec.clusterKey.rotateEvery', message: 'must be at most 87600h' },
    ]);
  });

  it('lets a sync decrypt with the cluster key only when it says so and the daemon holds one', () => {
    const on = '  clusterKey: {enabled: true}';
    const use = '      decryption: {clusterKey: true}';
    expect(parseConfig(config(on, use), 'c.yaml').spec.syncs[0]?.decryption).toEqual({ clusterKey: true });
    // Not written: the sync gets no cluster identities (least privilege).
    expect(parseConfig(config(on, '      decryption: {age: {identitiesFrom: [{env: K}]}}'), 'c.yaml').spec.syncs[0]?.decryption).toEqual({
      age: { identitiesFrom: [{ env: 'K' }] },
    });
    expect(issuesOf(config('', use))).toEqual([
      {
        path: 'spec.syncs[0].decryption.clusterKey',
        message: 'the daemon holds no cluster key: set spec.clusterKey.enabled: true (or remove clusterKey from this sync)',
      },
    ]);
    expect(issuesOf(config('  clusterKey: {enabled: false}', use))[0]?.path).toBe('spec.syncs[0].decryption.clusterKey');
    expect(issuesOf(config(on, '      decryption: {clusterKey: false}'))).toEqual([
      { path: 'spec.syncs[0].decryption', message: 'must configure age, vault, sealedSecrets or clusterKey: true (any combination)' },
    ]);
  });
});
