import { describe, expect, it } from 'vitest';
import { ClaimSyntaxError, claimAllows, formatClaim, parseClaim } from './claim.js';

describe('scope claims', () => {
  it('parses the three scopes of Sealed Secrets: strict, namespace-wide, cluster-wide', () => {
    expect(parseClaim('team-a/db')).toEqual({ kind: 'strict', namespace: 'team-a', name: 'db' });
    expect(parseClaim('team-a')).toEqual({ kind: 'namespace', namespace: 'team-a' });
    expect(parseClaim('*')).toEqual({ kind: 'cluster' });
    expect(formatClaim(parseClaim('team-a/db.v2'))).toBe('team-a/db.v2');
    // Names as loose as any kind allows (RBAC: `_` and `:`), matched exactly.
    expect(parseClaim('team-a/team_a:reader')).toEqual({ kind: 'strict', namespace: 'team-a', name: 'team_a:reader' });
    expect(claimAllows(parseClaim('team-a/team_a:reader'), { namespace: 'team-a', name: 'team_a:reader' })).toBe(true);
    expect(claimAllows(parseClaim('team-a/team_a:reader'), { namespace: 'team-a', name: 'team_a-reader' })).toBe(false);
  });

  it('refuses anything else, never reading it as a pattern', () => {
    for (const bad of [
      '',
      'team-a/',
      '/db',
      'Team-A',
      'team-a/db/x',
      'team-*',
      'team-a/*',
      'team-a/.',
      'team-a/..',
      'team-a/a%2fb',
      'team-a/a b',
      ' team-a',
      'team-a\n',
      `${'a'.repeat(64)}`,
    ]) {
      expect(() => parseClaim(bad), bad).toThrow(ClaimSyntaxError);
    }
    expect(() => parseClaim('ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]')).toThrow(/encrypted_regex/);
  });

  it('matches the object as applied: strict needs namespace and name, namespace-wide the namespace, * anything', () => {
    const strict = parseClaim('team-a/db');
    expect(claimAllows(strict, { namespace: 'team-a', name: 'db' })).toBe(true);
    expect(claimAllows(strict, { namespace: 'team-a', name: 'db2' })).toBe(false);
    expect(claimAllows(strict, { namespace: 'team-b', name: 'db' })).toBe(false);
    const wide = parseClaim('team-a');
    expect(claimAllows(wide, { namespace: 'team-a', name: 'anything' })).toBe(true);
    expect(claimAllows(wide, { namespace: 'team-ab', name: 'db' })).toBe(false);
    expect(claimAllows(wide, { namespace: '', name: 'db' })).toBe(false);
    expect(claimAllows(parseClaim('*'), { namespace: '', name: 'x' })).toBe(true);
  });
});
