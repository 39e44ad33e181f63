import { describe, expect, it } from 'vitest';

import { aadFor, normalizeRule, RuleError, shouldBeEncrypted } from './tree.js';

describe('crypt rules (sops shouldBeEncrypted)', () => {
  it('defaults to unencrypted_suffix _unencrypted', () => {
    const r = normalizeRule(undefined);
    expect(r).toEqual({ unencryptedSuffix: '_unencrypted' });
    expect(shouldBeEncrypted(r, ['a', 'b'], [[]], false)).toBe(true);
    expect(shouldBeEncrypted(r, ['a_unencrypted', 'b'], [[]], false)).toBe(false);
  });

  it('matches any path component for suffixes and regexes', () => {
    expect(shouldBeEncrypted({ encryptedSuffix: '_enc' }, ['x_enc', 'y'], [], false)).toBe(true);
    expect(shouldBeEncrypted({ encryptedSuffix: '_enc' }, ['x', 'y'], [], false)).toBe(false);
    expect(shouldBeEncrypted({ encryptedRegex: '^(data|stringData)$' }, ['stringData', 'k'], [], false)).toBe(true);
    expect(shouldBeEncrypted({ encryptedRegex: '^(data|stringData)$' }, ['metadata', 'name'], [], false)).toBe(false);
    expect(shouldBeEncrypted({ unencryptedRegex: '^pub' }, ['public'], [], false)).toBe(false);
    expect(shouldBeEncrypted({ encryptedRegex: '(?i)^PASS' }, ['password'], [], false)).toBe(true);
  });

  it('applies comment regexes to the comments above, but not the matching comment itself', () => {
    const r = { encryptedCommentRegex: 'sops:enc' };
    expect(shouldBeEncrypted(r, ['a'], [[' sops:enc']], false)).toBe(true);
    expect(shouldBeEncrypted(r, ['a'], [[' sops:enc']], true)).toBe(false);
    expect(shouldBeEncrypted(r, ['a'], [[' sops:enc', ' next']], true)).toBe(true);
    expect(shouldBeEncrypted({ unencryptedCommentRegex: 'plain' }, ['a'], [[' plain'], []], false)).toBe(false);
  });

  it('rejects two rules and bad regexes', () => {
    expect(() => normalizeRule({ encryptedRegex: 'a', encryptedSuffix: 'b' })).toThrow(RuleError);
    expect(() => normalizeRule({ encryptedRegex: '(' })).toThrow(RuleError);
  });

  it('builds the additional data as path + ":"', () => {
    expect(aadFor(['a', 'b'])).toBe('a:b:');
    expect(aadFor([])).toBe(':');
  });
});
