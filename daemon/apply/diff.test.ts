import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.js';
import { changedFields } from './fieldsv1.js';
import { formatDiff, objectChanges } from './manager_diff.js';
import { mapLimit } from './pool.js';
import { redactSecret } from './redact.js';

describe('changedFields over fieldsV1', () => {
  const fields = {
    'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/name': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
      'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} },
    },
  };
  const live = {
    metadata: { labels: { 'app.kubernetes.io/name': 'x', other: 'not ours' } },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            { name: 'side', image: 's:1' },
            { name: 'web', image: 'web:1' },
          ],
        },
      },
      finalizers: ['a'],
    },
    status: { replicas: 1 },
  };
  it('reports only managed fields that differ, with readable paths', () => {
    const after = structuredClone(live);
    after.spec.replicas = 3;
    after.spec.template.spec.containers[1]!.image = 'web:2';
    after.spec.template.spec.containers[0]!.image = 's:2'; // not managed by us
    after.metadata.labels.other = 'changed'; // not ours
    after.status.replicas = 5; // not ours
    after.spec.finalizers = ['a', 'b'];
    expect(changedFields(fields, live, after).map((c) => [c.path, c.before, c.after])).toEqual([
      ['spec.finalizers["b"]', undefined, 'b'],
      ['spec.replicas', 1, 3],
      ['spec.template.spec.containers[name=web].image', 'web:1', 'web:2'],
    ]);
  });
  it('reports nothing when managed values are equal', () => {
    expect(changedFields(fields, live, structuredClone(live))).toEqual([]);
  });
});

describe('objectChanges for Secrets', () => {
  const mf = (fieldsV1: Record<string, unknown>) => [{ manager: 'gitops-seal', operation: 'Apply' as const, fieldsV1: fieldsV1 as never }];
  it('names changed keys (including via stringData) and never carries values', () => {
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'n', managedFields: mf({ 'f:data': { 'f:password': {}, 'f:user': {} } }) },
      data: { password: Buffer.from('old-secret').toString('base64'), user: Buffer.from('admin').toString('base64') },
    };
    const dry: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'n', managedFields: mf({ 'f:stringData': { 'f:password': {} }, 'f:data': { 'f:user': {} } }) },
      data: { password: Buffer.from('new-secret').toString('base64'), user: Buffer.from('admin').toString('base64') },
    };
    const changes = objectChanges('gitops-seal', live, dry);
    expect(changes).toEqual([{ path: 'data.password', redacted: true }]);
    const text = formatDiff({
      key: { group: '', version: 'v1', kind: 'Secret', namespace: 'n', name: 's' },
      subject: 'Secret/n/s',
      action: 'update',
      changes,
    }).join('\n');
    expect(text).toBe('Secret/n/s: data.password: *** (changed)');
    expect(JSON.stringify(changes)).not.toContain(Buffer.from('new-secret').toString('base64'));
  });
  it('ignores fields of other managers', () => {
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:data': { 'f:a': {} } } }] },
      data: { a: '1' },
    };
    const dry: KubeObject = { ...live, data: { a: '2' } };
    expect(objectChanges('gitops-seal', live, dry)).toEqual([]);
  });
});

describe('helpers', () => {
  it('redactSecret keeps keys and hides values', () => {
    const s = redactSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dmFs' }, stringData: { t: 'plain' } });
    expect(s.data).toEqual({ k: '***' });
    expect(s.stringData).toEqual({ t: '***' });
  });
  it('mapLimit bounds concurrency, keeps order and attempts every item', async () => {
    let running = 0;
    let peak = 0;
    const res = await mapLimit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (n === 4) throw new Error('four');
      return n * 2;
    });
    expect(peak).toBe(3);
    expect(res.map((r) => (r.ok ? r.value : 'err'))).toEqual([2, 4, 6, 'err', 10, 12, 14, 16, 18, 20]);
  });
});
