// The raw cause an error wraps never reaches a log line or a JSON document, for every error type
// that keeps one; and the logger check used here does catch a cause that is enumerable.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CredentialProviderError } from './git/credentials.js';
import { GitError } from './git/index.js';
import { hideCause } from './hidden-cause.js';
import { RegistryError } from './images/errors.js';
import { KubeTransportError } from './kube/errors.js';
import { WatchFailedError } from './kube/watch.js';
import { createLogger } from './log.js';
import { SourceError } from './source/index.js';
import { WritebackError } from './writeback/index.js';

const CANARY = `canary-cause-${Math.random().toString(36).slice(2)}`;
// What a lower layer hands over: a server's body nobody vetted, under a key no redaction knows.
const rawCause = (): { body: string } => ({ body: CANARY });

/** The JSON line the daemon's logger writes for `err`. */
function logged(err: Error): string {
  const out = new PassThrough();
  createLogger({ destination: out, level: 'info' }).error({ err }, 'failed');
  return String(out.read() ?? '');
}

const wrappers: [string, (cause: unknown) => Error][] = [
  [
    'SourceError',
    (cause) => new SourceError({ source: 's', url: 'https://h/x.git', ref: 'branch main', reason: 'auth', detail: 'HTTP 401', cause }),
  ],
  ['GitError', (cause) => new GitError('auth', 'fetch', 'HTTP 401', cause)],
  ['CredentialProviderError', (cause) => new CredentialProviderError(cause)],
  ['WritebackError', (cause) => new WritebackError({ reason: 'auth', url: 'https://h/x.git', branch: 'main', detail: 'HTTP 401', cause })],
  [
    'RegistryError',
    (cause) => new RegistryError({ image: 'ghcr.io/o/a', registry: 'ghcr.io', reason: 'unauthorized', detail: 'HTTP 401', cause }),
  ],
  ['KubeTransportError', (cause) => new KubeTransportError('GET', '/api/v1/pods', cause)],
  ['WatchFailedError', (cause) => new WatchFailedError('/api/v1/pods', 3, cause)],
];

describe('hideCause', () => {
  it('keeps the cause readable but out of JSON, spreads and for…in, and read-only', () => {
    const err = new Error('wrapped');
    const cause = rawCause();
    hideCause(err, cause);
    expect(err.cause).toBe(cause);
    expect(Object.getOwnPropertyDescriptor(err, 'cause')).toMatchObject({ enumerable: false, writable: false });
    expect(JSON.stringify(err)).not.toContain(CANARY);
    expect({ ...err }).not.toHaveProperty('cause');
    expect(() => {
      (err as { cause: unknown }).cause = 'replaced';
    }).toThrow(TypeError);
  });

  it.each(wrappers)('%s keeps its raw cause out of JSON and the log line', (_name, make) => {
    const cause = rawCause();
    const err = make(cause);
    expect(err.cause).toBe(cause);
    expect(Object.getOwnPropertyDescriptor(err, 'cause')?.enumerable).toBe(false);
    expect(JSON.stringify(err)).not.toContain(CANARY);
    const line = logged(err);
    expect(line).toContain(err.name); // the error itself was logged
    expect(line).not.toContain(CANARY);
  });

  it('the log check catches a cause that is enumerable', () => {
    const leaky = Object.assign(new Error('wrapped'), { cause: rawCause() });
    expect(logged(leaky)).toContain(CANARY);
  });
});
