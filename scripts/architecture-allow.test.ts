import { describe, expect, it } from 'vitest';
import { ALLOWED } from './architecture-allow.js';

describe('architecture allow-list', () => {
  it('says on one line why each entry is tolerated', () => {
    for (const entry of ALLOWED) expect(entry.reason, `${entry.from} → ${entry.to}`).toMatch(/^[^\n]{20,}$/);
  });

  it('lists each violation once', () => {
    const keys = ALLOWED.map((e) => `${e.rule} ${e.from} ${e.to}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
