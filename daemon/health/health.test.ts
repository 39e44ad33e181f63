import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.js';
import { healthOf } from './index.js';

const obj = (apiVersion: string, kind: string, rest: Record<string, unknown>, generation = 1): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'n', generation },
  ...rest,
});
const dep = (spec: Record<string, unknown>, status: Record<string, unknown>, generation = 2) =>
  obj('apps/v1', 'Deployment', { spec, status }, generation);

describe('Deployment', () => {
  it('is Progressing until the controller observed the generation', () => {
    expect(healthOf(dep({ replicas: 1 }, { observedGeneration: 1, updatedReplicas: 1, replicas: 1, availableReplicas: 1 })).status).toBe(
      'Progressing',
    );
  });
  it('is Progressing while replicas are updating or unavailable', () => {
    expect(healthOf(dep({ replicas: 3 }, { observedGeneration: 2, updatedReplicas: 2, replicas: 3, availableReplicas: 2 }))).toEqual({
      status: 'Progressing',
      message: '2/3 replicas updated',
    });
    expect(healthOf(dep({ replicas: 2 }, { observedGeneration: 2, updatedReplicas: 2, replicas: 3, availableReplicas: 2 })).message).toBe(
      '1 old replicas pending termination',
    );
    expect(healthOf(dep({ replicas: 2 }, { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })).status).toBe(
      'Progressing',
    );
  });
  it('is Ready when all updated replicas are available (replicas defaults to 1)', () => {
    expect(healthOf(dep({}, { observedGeneration: 2, updatedReplicas: 1, replicas: 1, availableReplicas: 1 })).status).toBe('Ready');
  });
  it('is Degraded when the progress deadline is exceeded', () => {
    const h = healthOf(
      dep(
        { replicas: 1 },
        {
          observedGeneration: 2,
          updatedReplicas: 1,
          replicas: 1,
          availableReplicas: 0,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "x" has timed out progressing.',
            },
          ],
        },
      ),
    );
    expect(h.status).toBe('Degraded');
    expect(h.message).toContain('timed out');
  });
});

describe('StatefulSet and DaemonSet', () => {
  it('StatefulSet waits for ready replicas and the revision switch', () => {
    const sts = (status: Record<string, unknown>) =>
      obj('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status: { observedGeneration: 1, ...status } });
    expect(healthOf(sts({ readyReplicas: 1 })).status).toBe('Progressing');
    expect(healthOf(sts({ readyReplicas: 2, currentRevision: 'a', updateRevision: 'b' })).status).toBe('Progressing');
    expect(healthOf(sts({ readyReplicas: 2, currentRevision: 'b', updateRevision: 'b' })).status).toBe('Ready');
  });
  it('DaemonSet waits for updated and available pods', () => {
    const ds = (status: Record<string, unknown>) =>
      obj('apps/v1', 'DaemonSet', { spec: {}, status: { observedGeneration: 1, desiredNumberScheduled: 3, ...status } });
    expect(healthOf(ds({ updatedNumberScheduled: 2, numberAvailable: 2 })).status).toBe('Progressing');
    expect(healthOf(ds({ updatedNumberScheduled: 3, numberAvailable: 2 })).status).toBe('Progressing');
    expect(healthOf(ds({ updatedNumberScheduled: 3, numberAvailable: 3 })).status).toBe('Ready');
  });
});

describe('Job, CRD, Namespace, generic', () => {
  it('Job: Complete → Ready, Failed → Degraded, else Progressing', () => {
    const job = (conditions: unknown[]) => obj('batch/v1', 'Job', { status: { conditions } });
    expect(healthOf(job([])).status).toBe('Progressing');
    expect(healthOf(job([{ type: 'Complete', status: 'True' }])).status).toBe('Ready');
    expect(healthOf(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]))).toEqual({
      status: 'Degraded',
      message: 'job failed: BackoffLimitExceeded',
    });
  });
  it('CRD is Ready once Established', () => {
    const crd = (conditions: unknown[]) => obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions } });
    expect(healthOf(crd([{ type: 'NamesAccepted', status: 'True' }])).status).toBe('Progressing');
    expect(healthOf(crd([{ type: 'Established', status: 'True' }])).status).toBe('Ready');
    expect(healthOf(crd([{ type: 'NamesAccepted', status: 'False', message: 'conflict' }])).status).toBe('Degraded');
  });
  it('Namespace is Ready when Active, Progressing while Terminating', () => {
    expect(healthOf(obj('v1', 'Namespace', { status: { phase: 'Active' } })).status).toBe('Ready');
    expect(healthOf(obj('v1', 'Namespace', { status: { phase: 'Terminating' } })).status).toBe('Progressing');
  });
  it('generic kinds use the Ready condition; kinds without status are Ready', () => {
    const cr = (status: Record<string, unknown>, gen = 1) => obj('example.com/v1', 'Widget', { status }, gen);
    expect(healthOf(cr({ conditions: [{ type: 'Ready', status: 'False', reason: 'Waiting' }] })).status).toBe('Progressing');
    expect(healthOf(cr({ conditions: [{ type: 'Ready', status: 'True' }] })).status).toBe('Ready');
    expect(healthOf(cr({ conditions: [{ type: 'Stalled', status: 'True', message: 'bad' }] })).status).toBe('Degraded');
    expect(healthOf(cr({ observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] }, 2)).status).toBe('Progressing');
    expect(healthOf(obj('v1', 'ConfigMap', {})).status).toBe('Ready');
  });
  it('a custom Deployment in another group is not judged by the apps rules', () => {
    expect(healthOf(obj('example.com/v1', 'Deployment', { spec: { replicas: 3 } })).status).toBe('Ready');
  });
});

describe('Missing and Unknown (the gitops-engine words for absent and unassessable)', () => {
  it('an object the GET did not find is Missing, not Progressing or Ready', () => {
    expect(healthOf(undefined)).toEqual({ status: 'Missing', message: 'not found' });
  });
  it('a check that cannot read the object gives Unknown with the cause, never Ready', () => {
    const unreadable = new Proxy(
      {},
      {
        get: () => {
          throw new Error('status is not an object');
        },
      },
    );
    const h = healthOf({ ...obj('example.com/v1', 'Widget', {}), status: unreadable });
    expect(h).toEqual({ status: 'Unknown', message: 'health check failed: status is not an object' });
  });
  it('an object being deleted is still Progressing (it may go away or be kept by a finalizer)', () => {
    const dying = obj('v1', 'ConfigMap', {});
    dying.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(healthOf(dying)).toEqual({ status: 'Progressing', message: 'being deleted' });
  });
});
