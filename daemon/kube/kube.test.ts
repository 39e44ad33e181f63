import { describe, expect, it } from 'vitest';
import { parseResourceList, resourcePath } from './discovery.js';
import { apiErrorFromResponse, redactedApiError, redactSecretValues } from './errors.js';
import { formatKey, keyOf, splitApiVersion, type KubeObject } from './types.js';
import { LineSplitter } from './watch.js';

describe('object keys', () => {
  it('splits core and grouped apiVersions', () => {
    expect(splitApiVersion('v1')).toEqual({ group: '', version: 'v1' });
    expect(splitApiVersion('apps/v1')).toEqual({ group: 'apps', version: 'v1' });
  });
  it('formats keys with the group so same-named kinds are told apart', () => {
    const custom = keyOf({ apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'n' } });
    const builtin = keyOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'n' } });
    expect(formatKey(custom)).toBe('Deployment.example.com/n/a');
    expect(formatKey(builtin)).toBe('Deployment.apps/n/a');
    expect(formatKey(keyOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }))).toBe('Namespace/x');
  });
});

describe('discovery', () => {
  it('maps kinds to resources and skips subresources', () => {
    const m = parseResourceList({
      groupVersion: 'apps/v1',
      resources: [
        { name: 'deployments', kind: 'Deployment', namespaced: true, verbs: ['get', 'patch'] },
        { name: 'deployments/status', kind: 'Deployment', namespaced: true },
        { name: 'deployments/scale', kind: 'Scale', namespaced: true },
      ],
    });
    expect([...m.keys()]).toEqual(['Deployment']);
    expect(m.get('Deployment')).toMatchObject({ group: 'apps', version: 'v1', resource: 'deployments', namespaced: true });
  });
  it('builds collection and object paths', () => {
    const ns = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
    const cm = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    const dep = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
    expect(resourcePath(ns, undefined, 'a')).toBe('/api/v1/namespaces/a');
    expect(resourcePath(ns, 'ignored', 'a')).toBe('/api/v1/namespaces/a');
    expect(resourcePath(cm, 'x', 'c')).toBe('/api/v1/namespaces/x/configmaps/c');
    expect(resourcePath(dep, 'x')).toBe('/apis/apps/v1/namespaces/x/deployments');
  });
});

describe('errors', () => {
  it('reads reason and message from a Status body', () => {
    const e = apiErrorFromResponse(
      'PATCH',
      '/api/v1/namespaces/x/configmaps/c',
      422,
      JSON.stringify({
        kind: 'Status',
        reason: 'Invalid',
        message: 'ConfigMap "c" is invalid',
        code: 422,
        details: { causes: [{ field: 'data', message: 'bad' }] },
      }),
    );
    expect(e.status).toBe(422);
    expect(e.reason).toBe('Invalid');
    expect(e.causes).toHaveLength(1);
    expect(e.message).toContain('ConfigMap "c" is invalid');
  });
  it('falls back to the HTTP status when the body is not a Status', () => {
    const e = apiErrorFromResponse('GET', '/x', 503, 'upstream down');
    expect(e.reason).toBe('InternalError');
    expect(e.detail).toBe('upstream down');
  });
  it('scrubs Secret values (raw and decoded) from messages and names the object', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'n' },
      data: { password: Buffer.from('hunter2-long').toString('base64') },
      stringData: { token: 'tok-123456' },
    };
    const msg = 'invalid value "hunter2-long" and tok-123456 and ' + Buffer.from('hunter2-long').toString('base64');
    expect(redactSecretValues(msg, secret)).toBe('invalid value "***" and *** and ***');
    const e = redactedApiError(apiErrorFromResponse('PATCH', '/p', 422, JSON.stringify({ reason: 'Invalid', message: msg })), secret);
    expect(e.message).not.toContain('hunter2');
    expect(e.message).not.toContain('tok-123456');
    expect(e.message.startsWith('Secret/n/s: 422 Invalid')).toBe(true);
  });
});

describe('watch line splitting', () => {
  it('keeps partial lines until completed', () => {
    const s = new LineSplitter();
    expect(s.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(s.push(':2}\n\n')).toEqual(['{"b":2}']);
    expect(s.push('')).toEqual([]);
  });
});
