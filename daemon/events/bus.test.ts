import { describe, expect, it } from 'vitest';
import { EventBus } from './bus.js';
import type { DaemonEvent, DaemonEventType } from './types.js';

const fetched = (commit: string): DaemonEvent => ({
  type: 'source.fetched',
  source: 'repo',
  commit,
  ref: 'refs/heads/main',
  fetches: 1,
  skippedFetches: 0,
  thinPackFallbacks: 0,
  at: '2026-01-01T00:00:00.000Z',
});
const leader = (l: boolean): DaemonEvent => ({ type: 'leader.changed', leader: l, at: '2026-01-01T00:00:00.000Z' });

describe('EventBus', () => {
  it('delivers every event to every subscriber synchronously, in publish order', () => {
    const bus = new EventBus();
    const a: string[] = [];
    const b: string[] = [];
    bus.subscribe((e) => a.push(e.type));
    bus.subscribe((e) => b.push(e.type === 'source.fetched' ? e.commit : e.type));
    bus.publish(fetched('c1'));
    bus.publish(leader(false));
    expect(a).toEqual(['source.fetched', 'leader.changed']);
    expect(b).toEqual(['c1', 'leader.changed']);
  });

  it("on() calls only the handler of the event's type, with the event typed", () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on({ 'leader.changed': (e) => seen.push(`leader=${e.leader}`), 'source.fetched': (e) => seen.push(e.commit) });
    bus.publish(fetched('c2'));
    bus.publish(leader(true));
    bus.publish({ type: 'drift.corrected', sync: 's', objects: 2, at: '' });
    expect(seen).toEqual(['c2', 'leader=true']);
  });

  it('unsubscribes', () => {
    const bus = new EventBus();
    let n = 0;
    const off = bus.subscribe(() => void n++);
    bus.publish(leader(true));
    off();
    bus.publish(leader(true));
    expect(n).toBe(1);
  });

  it('a throwing subscriber neither fails the publisher nor starves the others; onError gets the type only', () => {
    const errors: [unknown, DaemonEventType][] = [];
    const bus = new EventBus((err, type) => errors.push([err, type]));
    let after = 0;
    bus.subscribe(() => {
      throw new Error('boom');
    });
    bus.subscribe(() => void after++);
    expect(() => bus.publish(leader(false))).not.toThrow();
    expect(after).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[1]).toBe('leader.changed');
    expect((errors[0]?.[0] as Error).message).toBe('boom');
  });
});
