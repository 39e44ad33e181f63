// Header and body parsing of the registry protocol: Retry-After, WWW-Authenticate, Link, tag
// list pages; and backoff.
import { describe, expect, it } from 'vitest';
import { parseChallenges, parseNextLink } from './challenge.js';
import { credentialsFromDockerConfig, CredentialsError } from './credentials.js';
import { Limiter } from './limiter.js';
import { parseTagsPage } from './registry-client.js';
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, parseRetryAfter } from './retry.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 5 ', 5_000],
    ['Wed, 21 Oct 2015 07:28:30 GMT', 30_000],
    ['Wed, 21 Oct 2015 07:27:00 GMT', 0], // in the past
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    ['Wednesday, 21-Oct-15 07:28:30 GMT', undefined], // obsolete RFC 850 form: not accepted
  ] as [string, number | undefined][])('%j → %s', (v, want) => {
    expect(parseRetryAfter(v, now)).toBe(want);
  });
  it('absent header', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('backoff', () => {
  it('doubles, is capped, and jitters within [d/2, d]', () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, p, () => 0)).toBe(50);
    expect(backoffDelay(1, p, () => 1)).toBe(100);
    expect(backoffDelay(3, p, () => 1)).toBe(400);
    expect(backoffDelay(10, p, () => 1)).toBe(1000);
    expect(backoffDelay(10, p, () => 0)).toBe(500);
  });
  it('retries 429 and transient 5xx only', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 404, 501, 505].some(isRetryableStatus)).toBe(false);
  });
});

describe('parseChallenges', () => {
  it('Bearer with realm, service, scope', () => {
    expect(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' } },
    ]);
  });
  it('several challenges, token values, escapes, odd spacing', () => {
    expect(parseChallenges('Basic realm="a \\"q\\"" , Bearer realm=https://x/t, error="insufficient_scope"')).toEqual([
      { scheme: 'basic', params: { realm: 'a "q"' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', error: 'insufficient_scope' } },
    ]);
  });
  it('garbage yields no throw', () => {
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges('=,,"')).toEqual([]);
    expect(parseChallenges('Bearer realm="unterminated')).toEqual([{ scheme: 'bearer', params: { realm: 'unterminated' } }]);
    expect(parseChallenges('Bearer __proto__="x"')).toEqual([{ scheme: 'bearer', params: {} }]);
  });
});

describe('parseNextLink', () => {
  const base = 'http://r:5000/v2/a/tags/list?n=100';
  it('relative next link is resolved against the request URL', () => {
    expect(parseNextLink('</v2/a/tags/list?last=x&n=100>; rel="next"', base)).toBe('http://r:5000/v2/a/tags/list?last=x&n=100');
  });
  it('picks rel=next among several links, unquoted rel, multiple rel values', () => {
    expect(parseNextLink('</p>; rel="prev", </n>; rel=next', base)).toBe('http://r:5000/n');
    expect(parseNextLink('</n>; title="x"; rel="last next"', base)).toBe('http://r:5000/n');
  });
  it('none', () => {
    expect(parseNextLink(undefined, base)).toBeUndefined();
    expect(parseNextLink('</p>; rel="prev"', base)).toBeUndefined();
    expect(parseNextLink('garbage', base)).toBeUndefined();
  });
});

describe('parseTagsPage', () => {
  it('tags, null, missing', () => {
    expect(parseTagsPage('{"name":"a","tags":["1","2"]}')).toEqual(['1', '2']);
    expect(parseTagsPage('{"name":"a","tags":null}')).toEqual([]);
    expect(parseTagsPage('{"name":"a"}')).toEqual([]);
  });
  it('malformed bodies are reasons, not throws', () => {
    expect(parseTagsPage('{"tags":')).toBe('body is not valid JSON');
    expect(parseTagsPage('[1]')).toBe('body is not a JSON object');
    expect(parseTagsPage('{"tags":"x"}')).toBe('"tags" is not a list');
    expect(parseTagsPage('{"tags":[1]}')).toBe('"tags" contains a non-string');
  });
});

describe('dockerconfigjson', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const doc = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hub:pw:with:colons') },
      'ghcr.io': { username: 'u', password: 'p' },
      'http://127.0.0.1:5001': { auth: b64('local:x') },
    },
  });
  it('matches registries by normalised key', () => {
    expect(credentialsFromDockerConfig(doc, 'docker.io', 'cfg')).toEqual({ username: 'hub', password: 'pw:with:colons' });
    expect(credentialsFromDockerConfig(doc, 'ghcr.io', 'cfg')).toEqual({ username: 'u', password: 'p' });
    expect(credentialsFromDockerConfig(doc, '127.0.0.1:5001', 'cfg')).toEqual({ username: 'local', password: 'x' });
    expect(credentialsFromDockerConfig(doc, 'quay.io', 'cfg')).toBeUndefined();
  });
  it('bad documents are CredentialsErrors that do not echo secrets', () => {
    expect(() => credentialsFromDockerConfig('{', 'x', 'cfg')).toThrow(CredentialsError);
    expect(() => credentialsFromDockerConfig('{"auths":[]}', 'x', 'cfg')).toThrow(/no "auths"/);
    const bad = JSON.stringify({ auths: { x: { auth: b64('nocolonsecret') } } });
    expect(() => credentialsFromDockerConfig(bad, 'x', 'cfg')).toThrow(CredentialsError);
    try {
      credentialsFromDockerConfig(bad, 'x', 'cfg');
    } catch (e) {
      expect(String(e)).not.toContain('nocolonsecret');
    }
  });
});

describe('Limiter', () => {
  it('never runs more than the limit at once, even with arrivals during hand-over', async () => {
    const l = new Limiter(3);
    let active = 0;
    let max = 0;
    const job = async (): Promise<void> => {
      active++;
      max = Math.max(max, active);
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      active--;
    };
    await Promise.all(Array.from({ length: 50 }, () => l.run(job)));
    expect(max).toBe(3);
    expect(l.peak).toBe(3);
  });
});
