import { describe, expect, it } from 'vitest';
import { redact, stripUserinfo } from './credentials.js';

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
});
