// A TLS failure is one error class on every git operation: the source's fetch and write-back's
// fetch and push all report `network` (before daemon/git, push called it `storage`).
// What is real: the git server (git http-backend behind test/stack/gitserver.ts; the shared
// stack's when there is one), an HTTPS front (node:tls) piping to it, certificates made by the
// openssl CLI, and isomorphic-git's HTTPS client with Node's trust store. Nothing is stubbed: the
// client refuses the certificates because nothing it trusts vouches for them, as in production
// with a self-signed or privately signed server certificate and no CA configured.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, startTlsFront, type KeyPair, type TestCertificates, type TlsFront } from '../../test/support/tls-front.js';
import { authedUrl, createRepo } from '../../test/stack/gitserver.js';
import type { GitInfo } from '../../test/stack/types.js';
import { sharedOrOwnGitServer, type TestGitServer } from '../../test/support/git-server.js';
import { GitSource, SourceError } from '../source/index.js';
import { BranchWriter, WritebackError, type CommitInfo, type Produce } from '../writeback/index.js';
import { GitError, openStore, openTransport, prepareStore, setRef } from './index.js';

const run = promisify(execFile);
const uniq = Math.random().toString(36).slice(2, 8);
const REPO = `tls-${uniq}`;
let info: GitInfo;
let server: TestGitServer | undefined;
let tmp = '';
let certs: TestCertificates;
let front: TlsFront;
let httpsUrl = '';
let n = 0;

beforeAll(async () => {
  server = await sharedOrOwnGitServer();
  info = server.info;
  tmp = mkdtempSync(join(tmpdir(), 'gitops-seal-tls-'));
  certs = await makeCertificates(tmp);
  await createRepo(info, REPO, { 'apps/app.yaml': 'image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "app"}\n' });
  front = await startTlsFront(Number(new URL(info.url).port), certs.selfSigned);
  httpsUrl = `https://127.0.0.1:${front.port}/${REPO}.git`;
});
afterAll(async () => {
  delete https.globalAgent.options.ca;
  await front?.stop();
  rmSync(tmp, { recursive: true, force: true });
  await server?.stop();
});

const auth = async (): Promise<{ username: string; password: string }> => ({ username: info.username, password: info.password });
const remoteMain = async (): Promise<string> =>
  (await run('git', ['ls-remote', authedUrl(info, REPO), 'refs/heads/main'])).stdout.split('\t')[0] ?? '';
const produce: Produce = (files) => ({
  changed: files.map((f) => ({ path: f.path, text: f.text.replace('1.0.0', `1.0.${++n}`), changes: [] })),
  errors: [],
  skipped: [],
  markers: files.length,
});
const commit: CommitInfo = { author: { name: 'gitops-seal', email: 'bot@example.com' }, message: () => 'bump' };

function serve(pair: KeyPair): void {
  front.useCertificate(pair);
  // Clients keep connections alive: make them handshake again, with this certificate.
  front.dropConnections();
}

async function failure<E>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

describe('TLS failures are network errors on fetch and on push', () => {
  it('the HTTPS front serves the real repository (git CLI with certificate checks off)', async () => {
    const url = new URL(httpsUrl);
    url.username = info.username;
    url.password = info.password;
    const { stdout } = await run('git', ['-c', 'http.sslVerify=false', 'ls-remote', url.toString(), 'refs/heads/main']);
    expect(stdout.split('\t')[0]).toBe(await remoteMain());
  });

  const cases: [string, () => KeyPair, string][] = [
    ['self-signed', () => certs.selfSigned, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['signed by a CA nothing trusts', () => certs.leaf, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  ];

  it.each(cases)(
    'a certificate that is %s: GitSource, BranchWriter and each transport operation all say network',
    async (_, pair, code) => {
      serve(pair());
      const src = new GitSource({ name: `tls-${uniq}`, url: httpsUrl, ref: { branch: 'main' }, auth }, join(tmp, 'source'));
      const se = await failure(src.fetch(), SourceError);
      expect(se.reason).toBe('network');
      expect(se.message).toContain(code);

      const before = await remoteMain();
      const writer = new BranchWriter({ url: httpsUrl, branch: 'main', auth }, join(tmp, 'writeback'));
      const we = await failure(writer.write('apps', produce, commit), WritebackError);
      expect(we.reason).toBe('network');
      expect(we.message).toContain(code);
      expect(`${se.message} ${we.message}`).not.toContain(info.password);
      expect(await remoteMain()).toBe(before);

      // Operation by operation; the store to push from is filled over plain HTTP first.
      const store = await prepareStore(openStore(join(tmp, `store-${n++}`)), { remoteUrl: httpsUrl, defaultBranch: 'main' });
      const { fetchHead } = await openTransport(authedUrl(info, REPO)).fetch({
        store,
        haveRef: 'refs/heads/main',
        remoteRef: 'refs/heads/main',
        depth: 1,
      });
      await setRef(store, 'refs/heads/main', fetchHead ?? '');
      const t = openTransport(httpsUrl, { auth });
      const ops = {
        'list-refs': () => t.listRefs(),
        fetch: () => t.fetch({ store, haveRef: 'refs/heads/main', remoteRef: 'refs/heads/main', depth: 1 }),
        push: () => t.push({ store, localRef: 'refs/heads/main', remoteRef: 'refs/heads/main' }),
      };
      for (const [op, call] of Object.entries(ops)) {
        const ge = await failure(call(), GitError);
        expect({ op, reason: ge.reason, operation: ge.operation }).toEqual({ op, reason: 'network', operation: op });
        expect(ge.detail).toContain(code);
      }
    },
  );

  it('https:// to a server that does not speak TLS (EPROTO, wrong version): network for both', async () => {
    const plainAsHttps = `https://127.0.0.1:${new URL(info.url).port}/${REPO}.git`;
    const src = new GitSource({ name: `tls-plain-${uniq}`, url: plainAsHttps, ref: { branch: 'main' }, auth }, join(tmp, 'source-plain'));
    const se = await failure(src.fetch(), SourceError);
    const writer = new BranchWriter({ url: plainAsHttps, branch: 'main', auth }, join(tmp, 'writeback-plain'));
    const we = await failure(writer.write('apps', produce, commit), WritebackError);
    expect([se.reason, we.reason]).toEqual(['network', 'network']);
    expect(se.message).toContain('EPROTO');
    expect(we.message).toContain('EPROTO');
  });

  it('write-back whose push (not its fetch) meets an untrusted certificate: network, nothing lost', async () => {
    // The test CA is trusted (for this process), so listing and fetching through the front work;
    // between the commit and the push the front switches to the self-signed certificate.
    https.globalAgent.options.ca = [...rootCertificates, certs.ca];
    try {
      serve(certs.leaf);
      const before = await remoteMain();
      const src = new GitSource({ name: `tls-ok-${uniq}`, url: httpsUrl, ref: { branch: 'main' }, auth }, join(tmp, 'source-ok'));
      expect((await src.fetch()).commit).toBe(before);
      let reachedPush = false;
      const writer = new BranchWriter({ url: httpsUrl, branch: 'main', auth }, join(tmp, 'writeback-push'), {
        beforePush: async () => {
          reachedPush = true;
          serve(certs.selfSigned);
          // Let the client see its pooled connections close, so the push handshakes anew.
          await new Promise((r) => setTimeout(r, 200));
        },
      });
      const we = await failure(writer.write('apps', produce, commit), WritebackError);
      expect(reachedPush).toBe(true);
      expect(we.reason).toBe('network');
      expect(we.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(await remoteMain()).toBe(before);
    } finally {
      delete https.globalAgent.options.ca;
    }
  });
});
