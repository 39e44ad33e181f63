import { describe, expect, it } from 'vitest';
import { CredentialProviderError } from './credentials.js';
import { classifyGitError, pushConflict, type GitOperation } from './errors.js';
import { RemoteProtocolError } from './pkt-line.js';

// Error shapes as isomorphic-git and Node raise them (code, data); the classification is the
// one both the source and write-back use, so a row here holds for both.
const http = (statusCode: number, statusMessage = ''): object => ({
  code: 'HttpError',
  message: 'HTTP Error',
  data: { statusCode, statusMessage },
});
const reason = (err: unknown, operation: GitOperation, hadCredentials = true): string =>
  classifyGitError(err, { operation, hadCredentials }).reason;

describe('one classification for every operation', () => {
  it('TLS failures are network whatever the operation', () => {
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'CERT_HAS_EXPIRED',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'EPROTO',
    ]) {
      const err = Object.assign(new Error('tls'), { code });
      expect((['list-refs', 'fetch', 'push'] as const).map((op) => reason(err, op))).toEqual(['network', 'network', 'network']);
    }
  });

  it('403 is auth when reading and push-rejected when pushing; 401 says whether credentials went out', () => {
    expect(reason(http(403, 'Forbidden'), 'list-refs')).toBe('auth');
    expect(reason(http(403, 'Forbidden'), 'push')).toBe('push-rejected');
    expect(classifyGitError(http(401), { operation: 'fetch', hadCredentials: false }).detail).toContain('none are configured');
    expect(classifyGitError(http(401), { operation: 'fetch', hadCredentials: true }).detail).toContain('credentials were rejected');
    expect(reason(http(404), 'fetch')).toBe('not-found');
    expect(reason(http(502), 'fetch')).toBe('protocol');
  });

  it("a server dying mid-pack is network: upload-pack's abort on side-band 3 (its pack-objects killed), other server words stay protocol", () => {
    // The bytes git's upload-pack sends when its pack-objects dies (NUL included): what the
    // sshd-killed-mid-fetch test sometimes saw before the connection dropped.
    const aborted = new RemoteProtocolError('aborting due to possible repository corruption on the remote side.\0');
    expect(aborted.message).toBe('the server said: aborting due to possible repository corruption on the remote side.');
    expect((['list-refs', 'fetch'] as const).map((op) => reason(aborted, op))).toEqual(['network', 'network']);
    expect(classifyGitError(aborted, { operation: 'fetch' }).detail).toMatch(/^the server stopped sending the pack: /);
    expect(reason(new RemoteProtocolError('upload-pack: not our ref 0123456789abcdef0123456789abcdef01234567'), 'fetch')).toBe(
      'ref-not-found',
    );
    expect(reason(new RemoteProtocolError('access denied or repository not exported: /x.git'), 'fetch')).toBe('protocol');
  });

  it('an unrecognised error is the server during a remote operation and the store otherwise; errno is always the store', () => {
    expect(reason(new TypeError('damaged pack'), 'fetch')).toBe('protocol');
    expect(reason(new TypeError('damaged pack'), 'store')).toBe('storage');
    expect(reason(Object.assign(new Error('disk full'), { code: 'ENOSPC' }), 'fetch')).toBe('storage');
  });

  it('a failing credentials provider is auth, with the first line of its message only', () => {
    const g = classifyGitError(new CredentialProviderError(new Error('vault sealed\nsecret=x')), { operation: 'fetch' });
    expect([g.reason, g.detail]).toEqual(['auth', 'credentials provider failed: vault sealed']);
  });

  it('a push refused because the branch moved is a conflict, not an error', () => {
    expect(pushConflict({ code: 'PushRejectedError' })).toBe('not a fast-forward of the current tip');
    expect(pushConflict({ code: 'GitPushError', data: { prettyDetails: ' ! [rejected] main (fetch first)\n' } })).toBe(
      '! [rejected] main (fetch first)',
    );
    expect(pushConflict({ code: 'GitPushError', data: { prettyDetails: 'pre-receive hook declined' } })).toBeUndefined();
    expect(reason({ code: 'GitPushError', data: { prettyDetails: 'pre-receive hook declined' } }, 'push')).toBe('push-rejected');
  });
});
