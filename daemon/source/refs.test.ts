import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { describeRef, pickRef, pickSemverTag, tagVersion, validateRefSpec, type AdvertisedRef } from './refs.js';

const tags = (...names: string[]): AdvertisedRef[] => names.map((n, i) => ({ ref: `refs/tags/${n}`, oid: String(i).padStart(40, '0') }));

describe('semver tag selection', () => {
  it('orders numerically, accepts a v prefix, ignores non-versions', () => {
    const refs = tags('v1.2.0', '1.10.0', 'v1.9.9', 'release-2', 'v2', 'latest', 'v3.0.0.1');
    expect(pickSemverTag('^1.0.0', refs)?.ref).toBe('refs/tags/1.10.0');
    expect(pickSemverTag('*', refs)?.ref).toBe('refs/tags/1.10.0');
    expect(pickSemverTag('>=2', refs)).toBeUndefined();
    expect(tagVersion('V1.2.3')?.version).toBe('1.2.3');
    expect(tagVersion('1.2')).toBeNull();
  });

  it('includes prereleases only when the range names one', () => {
    const refs = tags('v1.0.0', 'v1.1.0-rc.1', 'v1.1.0-rc.2');
    expect(pickSemverTag('^1.0.0', refs)?.ref).toBe('refs/tags/v1.0.0');
    expect(pickSemverTag('>=1.1.0-rc.1', refs)?.ref).toBe('refs/tags/v1.1.0-rc.2');
  });

  it('breaks ties between v1.0.0 and 1.0.0 deterministically', () => {
    expect(pickSemverTag('1.0.0', tags('v1.0.0', '1.0.0'))?.ref).toBe('refs/tags/1.0.0');
    expect(pickSemverTag('1.0.0', tags('1.0.0', 'v1.0.0'))?.ref).toBe('refs/tags/1.0.0');
  });

  it('uses the peeled commit of annotated tags', () => {
    const r = pickRef({ tag: 'v1' }, [{ ref: 'refs/tags/v1', oid: 'a'.repeat(40), peeled: 'b'.repeat(40) }]);
    expect(r).toEqual({ ok: true, picked: { ref: 'refs/tags/v1', oid: 'a'.repeat(40), commit: 'b'.repeat(40) } });
  });

  it('picks the maximum satisfying version for any set of tags (seeded property)', () => {
    const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20), fc.boolean()).map(([a, b, c, v]) => `${v ? 'v' : ''}${a}.${b}.${c}`);
    fc.assert(
      fc.property(fc.uniqueArray(version, { maxLength: 30 }), fc.constantFrom('*', '^1.0.0', '~2.3', '>=5 <10', '<1'), (names, range) => {
        const picked = pickSemverTag(range, tags(...names));
        const ok = names.filter((n) => semver.satisfies(n.replace(/^v/, ''), range));
        if (ok.length === 0) expect(picked).toBeUndefined();
        else {
          const max = ok.map((n) => n.replace(/^v/, '')).sort(semver.rcompare)[0];
          expect(picked?.ref.replace(/^refs\/tags\/v?/, '')).toBe(max);
        }
      }),
      { seed: 7, numRuns: 1000 },
    );
  });
});

describe('ref specs', () => {
  it('validates before any network traffic', () => {
    expect(validateRefSpec({ branch: 'main' })).toBeUndefined();
    expect(validateRefSpec({ branch: 'feature/x' })).toBeUndefined();
    expect(validateRefSpec({ branch: 'a..b' })).toMatch(/invalid branch/);
    expect(validateRefSpec({ tag: 'v1 2' })).toMatch(/invalid tag/);
    expect(validateRefSpec({ semver: 'banana' })).toMatch(/not a valid semver range/);
    expect(validateRefSpec({ commit: 'abc' })).toMatch(/40-hex/);
    expect(validateRefSpec({ branch: 'main', tag: 'x' } as never)).toMatch(/exactly one/);
  });

  it('reports missing refs by kind', () => {
    expect(pickRef({ branch: 'dev' }, [{ ref: 'refs/heads/main', oid: '1'.repeat(40) }])).toMatchObject({
      ok: false,
      reason: 'ref-not-found',
    });
    expect(pickRef({ semver: '>=9' }, tags('v1.0.0'))).toMatchObject({
      ok: false,
      reason: 'no-semver-match',
      detail: expect.stringContaining('no tag among 1'),
    });
    expect(describeRef({ semver: '^1' })).toBe('semver ^1');
  });
});
