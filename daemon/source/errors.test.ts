import { describe, expect, it } from 'vitest';
import { SourceError } from './errors.js';

describe('credential hygiene', () => {
  it('keeps the cause out of JSON serialisation', () => {
    const e = new SourceError({
      source: 's',
      url: 'https://h/x.git',
      ref: 'branch main',
      reason: 'auth',
      detail: 'HTTP 401',
      cause: { secret: 'xyz' },
    });
    expect(e.message).toBe('git source "s" (https://h/x.git, branch main): auth: HTTP 401');
    expect(JSON.stringify(e)).not.toContain('xyz');
    expect(e.cause).toEqual({ secret: 'xyz' });
  });
});
