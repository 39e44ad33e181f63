import { describe, expect, it } from 'vitest';
import { dedupKey, matches, refusalEvent, refusedNotice } from './notice.js';
import { payloadFor, truncate } from './payloads.js';
import type { AlertSpec } from './types.js';

const alert = (over: Partial<AlertSpec>): AlertSpec => ({
  name: 'a',
  providers: ['p'],
  events: ['refused'],
  drift: { moreThan: 0, windowMs: 3_600_000 },
  dedupWindowMs: 0,
  ...over,
});
const refusal = (stage: string, message = 'apps/x.yaml: bad') =>
  refusedNotice({
    type: 'sync.refused',
    sync: 'apps',
    revision: 'a'.repeat(40),
    at: '2026-12-06T00:00:00Z',
    stage,
    message,
    decryptFailures: [],
    durationMs: 1,
  });

describe('notices', () => {
  it('names decrypt and health refusals apart; an alert on refused gets all three, a narrower one only its own', () => {
    expect(['decrypt', 'health', 'apply', 'source'].map(refusalEvent)).toEqual(['decrypt-failed', 'health-degraded', 'refused', 'refused']);
    expect(matches(alert({}), refusal('decrypt'))).toBe(true);
    expect(matches(alert({}), refusal('health'))).toBe(true);
    expect(matches(alert({ events: ['decrypt-failed'] }), refusal('apply'))).toBe(false);
    expect(matches(alert({ events: ['health-degraded'] }), refusal('health'))).toBe(true);
    expect(matches(alert({ syncs: ['other'] }), refusal('apply'))).toBe(false);
  });

  it('keys de-duplication by sync, event, stage and the first line of the cause', () => {
    const k = (stage: string, msg: string) => dedupKey('a', refusal(stage, msg));
    expect(k('apply', 'x: one\nmore')).toBe(k('apply', 'x: one\nother details'));
    expect(k('apply', 'x: one')).not.toBe(k('apply', 'x: two'));
    expect(k('apply', 'x: one')).not.toBe(k('prune', 'x: one'));
  });
});

describe('payloads', () => {
  it('cuts by code points, not UTF-16 units (no half emoji)', () => {
    expect(truncate('🔐🔐🔐', 2)).toBe('🔐…');
    expect(truncate('abc', 3)).toBe('abc');
  });

  it('a huge cause stays within each provider limit; an empty one adds nothing', () => {
    const o = (detail: string) => ({ item: { ...refusal('apply'), detail }, count: 1, firstAt: 0, lastAt: 0 });
    const discord = JSON.parse(payloadFor('discord', 'a', o('x'.repeat(100_000)))) as { content: string };
    expect([...discord.content].length).toBeLessThanOrEqual(2000);
    const slack = JSON.parse(payloadFor('slack', 'a', o('y'.repeat(100_000)))) as { blocks: { text?: { text: string } }[] };
    for (const b of slack.blocks) expect([...(b.text?.text ?? '')].length).toBeLessThanOrEqual(3000);
    const { detail: _dropped, ...noDetail } = refusal('apply');
    const hook = JSON.parse(payloadFor('webhook', 'a', { item: noDetail, count: 1, firstAt: 0, lastAt: 0 })) as Record<string, unknown>;
    expect(hook).not.toHaveProperty('detail');
  });
});
