// Fuzzing what image automation reads from registries and configs, as pure functions:
// WWW-Authenticate challenges, Link headers, Retry-After, tag-list pages, image references and
// tag policies. Generated well-formed inputs must round-trip exactly; arbitrary inputs give a
// value or the module's typed error (RegistryError/PolicyError/ReferenceError) naming the
// input, never a TypeError, never a hang. daemon/images/fuzz.test.ts drives the client over
// HTTP with fixed seeds; this adds the round-trip properties and FUZZ_SEED/FUZZ_RUNS.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChallenges, parseNextLink } from '../../daemon/images/challenge.js';
import { PolicyError } from '../../daemon/images/errors.js';
import { compilePolicy, type PolicySpec } from '../../daemon/images/policy.js';
import { parseImageReference, ReferenceError } from '../../daemon/images/reference.js';
import { parseTagsPage } from '../../daemon/images/registry-client.js';
import { parseRetryAfter } from '../../daemon/images/retry.js';
import { expectTyped, fuzzParams, fuzzTimeout, timed } from './arbitraries.js';

const token = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCXYZ0123456789!#$%&'*+-.^_`|~"),
  minLength: 1,
  maxLength: 12,
});
const quotedValue = fc.string({ maxLength: 40 });
const quote = (v: string): string => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

describe('fuzz: registry header and body parsers', () => {
  it(
    'WWW-Authenticate: generated challenges parse back exactly; any text is total',
    () => {
      const challenge = fc.record({
        scheme: token,
        params: fc
          .uniqueArray(fc.tuple(token, quotedValue), { selector: ([k]) => k.toLowerCase(), maxLength: 4 })
          .map((ps) => ps.filter(([k]) => k.toLowerCase() !== '__proto__')),
      });
      fc.assert(
        fc.property(
          fc.array(challenge, { minLength: 1, maxLength: 3 }),
          fc.constantFrom(', ', ',', ' ,  '),
          fc.string({ maxLength: 60 }),
          (chs, sep, junk) => {
            // A challenge without params followed by another scheme would read as one token68
            // challenge; give every challenge but the last at least one parameter.
            const usable = chs.map((c, i) =>
              i < chs.length - 1 && c.params.length === 0 ? { ...c, params: [['p', 'v'] as [string, string]] } : c,
            );
            const header = usable
              .map((c) => `${c.scheme}${c.params.length ? ' ' : ''}${c.params.map(([k, v]) => `${k}=${quote(v)}`).join(sep)}`)
              .join(sep);
            const got = timed('parseChallenges', () => parseChallenges(header));
            expect(got).toEqual(
              usable.map((c) => ({
                scheme: c.scheme.toLowerCase(),
                params: Object.fromEntries(c.params.map(([k, v]) => [k.toLowerCase(), v])),
              })),
            );
            for (const c of timed('parseChallenges(junk)', () => parseChallenges(junk + header))) expect(typeof c.scheme).toBe('string');
          },
        ),
        fuzzParams('registry/www-authenticate'),
      );
    },
    fuzzTimeout(2),
  );

  it(
    'Link: the rel="next" target is found among other links and resolved; any text is total',
    () => {
      const path = fc
        .string({ unit: fc.constantFrom(...'abcxyz019/._-?=&%'), maxLength: 30 })
        .map((p) => `/v2/repo/tags/list${p.startsWith('?') ? p : `?last=${encodeURIComponent(p)}`}`);
      const relWord = fc.constantFrom('prev', 'first', 'last', 'alternate');
      fc.assert(
        fc.property(
          fc.array(fc.tuple(path, relWord), { maxLength: 3 }),
          path,
          fc.constantFrom('rel="next"', 'rel=next', 'REL="prev next"', 'rel = "next"'),
          fc.nat(),
          fc.string({ maxLength: 60 }),
          (others, next, rel, at, junk) => {
            const links = others.map(([p, r]) => `<${p}>; rel="${r}"`);
            links.splice(at % (links.length + 1), 0, `<${next}>; ${rel}`);
            const base = 'http://127.0.0.1:5000/v2/repo/tags/list?n=100';
            expect(timed('parseNextLink', () => parseNextLink(links.join(', '), base))).toBe(new URL(next, base).toString());
            const any = timed('parseNextLink(junk)', () => parseNextLink(junk, base));
            if (any !== undefined) expect(() => new URL(any)).not.toThrow();
          },
        ),
        fuzzParams('registry/link'),
      );
    },
    fuzzTimeout(2),
  );

  it(
    'Retry-After: delta-seconds and HTTP dates are exact; anything else is undefined or ≥ 0',
    () => {
      const now = Date.UTC(2026, 11, 2, 7, 0, 0);
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 9_999_999_999 }),
          fc.integer({ min: -86_400, max: 86_400 }),
          fc.string({ maxLength: 40 }),
          (secs, offset, junk) => {
            expect(parseRetryAfter(` ${secs} `, now)).toBe(secs * 1000);
            const date = new Date(now + offset * 1000).toUTCString();
            expect(parseRetryAfter(date, now)).toBe(Math.max(0, offset * 1000));
            const j = timed('parseRetryAfter', () => parseRetryAfter(junk, now));
            if (j !== undefined) expect(j).toBeGreaterThanOrEqual(0);
          },
        ),
        fuzzParams('registry/retry-after'),
      );
    },
    fuzzTimeout(2),
  );

  it(
    'tags pages: generated pages round-trip; any JSON or text gives tags or a reason',
    () => {
      fc.assert(
        fc.property(
          fc.string(),
          fc.array(fc.string({ maxLength: 20 }), { maxLength: 20 }),
          fc.oneof(fc.json(), fc.string({ maxLength: 80 })),
          (name, tags, junk) => {
            expect(parseTagsPage(Buffer.from(JSON.stringify({ name, tags })))).toEqual(tags);
            const r = timed('parseTagsPage', () => parseTagsPage(junk));
            if (Array.isArray(r)) for (const t of r) expect(typeof t).toBe('string');
            else expect(typeof r).toBe('string');
          },
        ),
        fuzzParams('registry/tags-page'),
      );
    },
    fuzzTimeout(2),
  );
});

describe('fuzz: image references and tag policies', () => {
  const component = fc.string({ unit: fc.constantFrom(...'abcxyz019'), minLength: 1, maxLength: 8 });
  const pathArb = fc
    .array(fc.tuple(component, fc.constantFrom('', '.', '_', '__', '-', '--'), component), { minLength: 1, maxLength: 3 })
    .map((cs) => cs.map(([a, s, b]) => (s === '' ? a : `${a}${s}${b}`)).join('/'));
  const host = fc.constantFrom('ghcr.io', 'registry.example.com:5000', 'localhost:5001', '127.0.0.1:5000', '[::1]:5000', 'REG.Example.com');
  const tag = fc.string({ unit: fc.constantFrom(...'abcXYZ019_.-'), minLength: 1, maxLength: 20 }).filter((t) => /^\w/.test(t));
  const digest = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`);

  it(
    'generated references parse into their parts; arbitrary text gives a reference or a ReferenceError naming it',
    () => {
      fc.assert(
        fc.property(
          host,
          pathArb,
          fc.option(tag, { nil: undefined }),
          fc.option(digest, { nil: undefined }),
          fc.string({ maxLength: 80 }),
          (h, p, t, d, junk) => {
            const text = `${h}/${p}${t !== undefined ? `:${t}` : ''}${d !== undefined ? `@${d}` : ''}`;
            const r = timed('parseImageReference', () => parseImageReference(text));
            expect(r.registry).toBe(h);
            expect(r.repository).toBe(p);
            expect(r.tag).toBe(t);
            expect(r.digest).toBe(d);
            expect(parseImageReference(r.canonical).canonical).toBe(r.canonical);
            try {
              timed('parseImageReference(junk)', () => parseImageReference(junk));
            } catch (err) {
              expectTyped(err, [ReferenceError], junk.trim() === '' ? 'empty' : junk);
            }
          },
        ),
        fuzzParams('registry/image-reference'),
      );
    },
    fuzzTimeout(2),
  );

  it(
    'policies: arbitrary ranges compile or throw PolicyError; selection over any tags is total and picks a candidate',
    () => {
      const range = fc.oneof(
        fc.constantFrom('>=1.0.0', '1.x', '~1.4', '^2', '>=1.0, <2', '1.0.0-rc.1 || >=2', '*'),
        fc.string({ maxLength: 20 }),
      );
      const policy: fc.Arbitrary<PolicySpec> = fc.oneof(
        range.map((r) => ({ semver: { range: r } })),
        fc.constantFrom<'asc' | 'desc'>('asc', 'desc').map((order) => ({ alphabetical: { order } })),
        fc.constantFrom<'asc' | 'desc'>('asc', 'desc').map((order) => ({ numerical: { order } })),
      );
      const tags = fc.array(
        fc.oneof(
          fc.constantFrom('v1.2.3', '1.0.0', '2.0.0-rc.1', '10', '-3.5', '1e3', 'latest', 'x.sig', 'v01.2.3', 'NaN'),
          fc.string({ maxLength: 12 }),
        ),
        { maxLength: 12 },
      );
      fc.assert(
        fc.property(policy, tags, (p, ts) => {
          let compiled;
          try {
            compiled = timed('compilePolicy', () => compilePolicy(p));
          } catch (err) {
            expectTyped(err, [PolicyError], 'semver' in p ? p.semver.range : '');
            return;
          }
          let sel;
          try {
            sel = timed('select', () => compiled.select(ts));
          } catch (err) {
            // A numerical policy over a tag that is no number is a policy error, named as such.
            expectTyped(err, [PolicyError], '');
            return;
          }
          if (sel !== undefined) expect(ts).toContain(sel.tag);
        }),
        fuzzParams('registry/policy'),
      );
    },
    fuzzTimeout(2),
  );
});
