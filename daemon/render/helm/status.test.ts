import { describe, expect, it } from 'vitest';
import { helmStatus } from './status.js';
import type { HelmRenderResult } from './types.js';

const secret = {
  file: 't/secret.yaml',
  index: 0,
  line: 1,
  encrypted: false,
  object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { p: 'c2VjcmV0' } },
};

describe('helmStatus', () => {
  it('carries chart identity, digests, hook counts and skipped hooks, and nothing rendered', () => {
    const r: HelmRenderResult = {
      chart: { name: 'webapp', version: '1.2.0', appVersion: '2.1.0', digest: 'sha256:aa', source: 'oci://r/c/webapp' },
      valuesDigest: 'sha256:bb',
      identity: 'sha256:cc',
      decryptedFiles: ['values/secrets.enc.yaml'],
      crds: [],
      objects: [secret],
      hooks: { pre: [{ manifest: secret, events: ['pre-install'], weight: 0, deletePolicies: [] }], post: [] },
      skippedHooks: [
        { file: 't/test.yaml', kind: 'Pod', name: 'smoke', events: ['test'], reason: 'test hook: gitops-seal does not run chart tests' },
      ],
      warnings: [],
      cached: false,
    };
    const s = helmStatus(r);
    expect(s).toEqual({
      chart: 'webapp',
      version: '1.2.0',
      appVersion: '2.1.0',
      digest: 'sha256:aa',
      source: 'oci://r/c/webapp',
      valuesDigest: 'sha256:bb',
      identity: 'sha256:cc',
      hooks: { pre: 1, post: 0 },
      skippedHooks: [{ kind: 'Pod', name: 'smoke', events: ['test'], reason: 'test hook: gitops-seal does not run chart tests' }],
    });
    expect(JSON.stringify(s)).not.toContain('c2VjcmV0');
  });
});
