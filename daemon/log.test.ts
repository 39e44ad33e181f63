// Redaction is a guarantee, not a hope: secret-bearing keys at any depth and secret-shaped
// strings anywhere in a line never reach the log stream, and the lines stay valid JSON.
import { describe, expect, it } from 'vitest';
import { TextCapture as Capture } from '../test/support/text-capture.js';
import { CENSOR, createLogger, isSecretKey, scrubSecrets } from './log.js';

const CANARY = `canary-log-${Math.random().toString(36).slice(2)}`;
const encodings = (s: string) => [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('hex')];

function capture(): { log: ReturnType<typeof createLogger>; out: Capture } {
  const out = new Capture();
  return { log: createLogger({ destination: out, level: 'debug' }), out };
}

function expectClean(out: Capture, secret = CANARY): void {
  for (const enc of encodings(secret)) expect(out.text).not.toContain(enc);
  expect(out.text).toContain(CENSOR);
  // Every line is still one JSON object.
  expect(() => out.lines()).not.toThrow();
}

describe('log redaction by key', () => {
  it.each([
    ['password', { password: CANARY }],
    ['token', { token: CANARY }],
    ['data (base64 Secret data)', { data: { key: Buffer.from(CANARY).toString('base64') } }],
    ['stringData', { stringData: { password: CANARY } }],
    ['authorization', { authorization: `Bearer ${CANARY}` }],
    ['identity', { identity: CANARY }],
    ['secret', { secret: CANARY }],
    ['one level down', { sync: 'apps', creds: { password: CANARY } }],
    ['deeply nested', { a: { b: { c: { d: { e: { f: { password: CANARY } } } } } } }],
    ['capitalised header', { req: { headers: { Authorization: `token ${CANARY}`, 'X-Vault-Token': CANARY, Cookie: `s=${CANARY}` } } }],
    ['upper case key', { PASSWORD: CANARY, StringData: { x: CANARY } }],
    ['suffix keys', { webhookSecret: CANARY, accessToken: CANARY, dbPassword: CANARY, apiKey: CANARY, privateKey: CANARY }],
    ['inside arrays', { items: [{ kind: 'Secret', data: { k: CANARY } }, [{ token: CANARY }]] }],
    ['inside a Map', { m: new Map([['password', CANARY]]) }],
    [
      'a whole Secret object',
      {
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'db' },
          stringData: { password: CANARY },
          data: { b: Buffer.from(CANARY).toString('base64') },
        },
      },
    ],
  ])('%s', (_name, obj) => {
    const { log, out } = capture();
    log.info(obj, 'something happened');
    expectClean(out);
  });

  it('keeps the fields a reader needs: names, revisions, counts, message', () => {
    const { log, out } = capture();
    log.info({ sync: 'apps', revision: 'abc123', objects: 8, fields: ['data.password'], stringData: { x: CANARY } }, 'revision applied');
    const [line] = out.lines();
    expect(line).toMatchObject({
      sync: 'apps',
      revision: 'abc123',
      objects: 8,
      fields: ['data.password'],
      stringData: CENSOR,
      msg: 'revision applied',
      app: 'gitops-seal',
    });
    expectClean(out);
  });

  it('child logger bindings are redacted too', () => {
    const { log, out } = capture();
    log.child({ sync: 'apps', token: CANARY }).info('hello');
    expect(out.lines()[0]).toMatchObject({ sync: 'apps', token: CENSOR });
    expectClean(out);
  });

  it('survives circular and very deep objects without leaking', () => {
    const { log, out } = capture();
    const loop: Record<string, unknown> = { name: 'loop', password: CANARY };
    loop.self = loop;
    let deep: Record<string, unknown> = { leaked: CANARY };
    for (let i = 0; i < 40; i++) deep = { next: deep };
    log.info({ loop, deep }, 'odd shapes');
    expectClean(out);
    expect(out.text).toContain('[Circular]');
    expect(out.text).toContain('[Truncated]');
  });
});

describe('log redaction of errors', () => {
  it('an error logged as err keeps its type and message; credential properties are redacted', () => {
    const { log, out } = capture();
    const err = Object.assign(new TypeError('request failed with status 401'), {
      config: { url: 'https://vault.local/v1/x', headers: { Authorization: `Bearer ${CANARY}`, 'x-vault-token': CANARY } },
      response: { data: CANARY },
    });
    log.error({ sync: 'apps', err }, 'vault call failed');
    const [line] = out.lines();
    expect(line?.err).toMatchObject({ type: 'TypeError', message: 'request failed with status 401' });
    expect(String((line?.err as { stack?: string }).stack)).toContain('TypeError: request failed');
    expectClean(out);
  });

  it('an error whose message or cause carries a credential is scrubbed', () => {
    const { log, out } = capture();
    const cause = new Error(`clone https://git:${CANARY}@git.example/repo.git failed`);
    log.error(new Error(`login refused for token=${CANARY}; header Authorization: Bearer ${CANARY}`, { cause }));
    const [line] = out.lines();
    expect(String(line?.msg)).toContain(`token=${CENSOR}`);
    expect(String((line?.err as { message?: string }).message)).toContain(`https://${CENSOR}@git.example/repo.git`);
    expectClean(out);
  });

  it('an error passed as the merging object and a format argument are scrubbed', () => {
    const { log, out } = capture();
    log.warn(new Error(`identity AGE-SECRET-KEY-1${CANARY.toUpperCase().replace(/[^0-9A-Z]/g, 'Q')}`));
    log.info('fetched %s with %s', `https://user:${CANARY}@h/x`, `password=${CANARY}`);
    for (const enc of encodings(CANARY)) expect(out.text).not.toContain(enc);
    expect(out.text).not.toContain(CANARY.toUpperCase().replace(/[^0-9A-Z]/g, 'Q'));
    expect(out.lines()).toHaveLength(2);
  });
});

describe('secret shapes in strings', () => {
  it.each([
    ['age identity', 'key AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS loaded', 'AGE-SECRET-KEY-1QYQSZ'],
    ['post-quantum age identity', 'AGE-SECRET-KEY-PQ-1ABCDEF0123456789', 'ABCDEF0123456789'],
    ['vault token', 'using hvs.CAESIJk7u3tuDkRlMYYbLuw6q0ymuPPZpvdgh1Xx for transit', 'CAESIJk7'],
    ['bearer', 'Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', 'eyJhbGci'],
    ['basic', 'authorization: basic dXNlcjpodW50ZXIy', 'dXNlcjpodW50ZXIy'],
    ['url userinfo', 'fetch https://bot:hunter2@git.example.com/r.git', 'hunter2'],
    ['query token', 'GET /token?scope=x&access_token=abc123def&x=1', 'abc123def'],
    ['pem', 'key -----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXk\\n-----END OPENSSH PRIVATE KEY----- end', 'b3BlbnNzaC1rZXk'],
  ])('%s', (_name, text, secret) => {
    const out = scrubSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(CENSOR);
  });

  it('leaves ordinary text alone and never breaks a JSON line', () => {
    for (const plain of [
      'sync "apps" revision 0123abcd refused at decrypt: apps/secret.yaml: file is tampered or corrupted',
      'registry answered 401 with a Bearer challenge without a realm',
      'basic auth failed for registry 127.0.0.1:5000 (check the password reference)',
      'no token: the kubernetes auth login returned 403',
    ]) {
      expect(scrubSecrets(plain)).toBe(plain);
    }
    const line = JSON.stringify({ msg: 'x', err: 'token=a\\"b" password="q"', url: 'https://u:p"@h' });
    expect(() => JSON.parse(scrubSecrets(line))).not.toThrow();
  });

  it('names secret keys case-insensitively and by suffix, and leaves others alone', () => {
    for (const k of ['password', 'Password', 'STRINGDATA', 'binaryData', 'X-Vault-Token', 'set-cookie', 'clientSecret', 'api_key'])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of ['sync', 'revision', 'secretFrom', 'tokens', 'objects', 'stage', 'err', 'msg']) expect(isSecretKey(k), k).toBe(false);
  });
});
