import { describe, expect, it } from 'vitest';
import { redact, SourceError, stripUserinfo } from './errors.js';
import { normalizePath } from './objects.js';

describe('credential hygiene', () => {
  it('strips userinfo from URLs', () => {
    expect(stripUserinfo('https://bob:hunter2@git.example.com/org/repo.git')).toBe('https://git.example.com/org/repo.git');
    expect(stripUserinfo('https://git.example.com/x.git')).toBe('https://git.example.com/x.git');
    expect(stripUserinfo('not a url //tok@host/x')).toBe('not a url //host/x');
  });

  it('redacts secrets in plain, URL-encoded and base64 form, and any userinfo', () => {
    const out = redact('a p@ss/w0rd b p%40ss%2Fw0rd c ' + Buffer.from('p@ss/w0rd').toString('base64') + ' http://u:zz@h/x', ['p@ss/w0rd']);
    expect(out).toBe('a *** b *** c *** http://h/x');
  });

  it('keeps the cause out of JSON serialisation', () => {
    const e = new SourceError({ source: 's', url: 'https://h/x.git', ref: 'branch main', reason: 'auth', detail: 'HTTP 401', cause: { secret: 'xyz' } });
    expect(e.message).toBe('git source "s" (https://h/x.git, branch main): auth: HTTP 401');
    expect(JSON.stringify(e)).not.toContain('xyz');
    expect(e.cause).toEqual({ secret: 'xyz' });
  });
});

describe('normalizePath', () => {
  it('normalises and refuses to escape the tree', () => {
    expect(normalizePath('./apps//a/')).toBe('apps/a');
    expect(normalizePath('/')).toBe('');
    expect(() => normalizePath('apps/../../etc')).toThrow(/\.\./);
  });
});
