// An SSH deploy key never leaves memory (issue 19). Sources and a write-back are driven the way
// the daemon drives them (DaemonConfig source → gitSourceSpec: key from a file, passphrase from
// the environment) against the real sshd, through success and every failure the key can meet:
// wrong host key, unknown host, removed authorized key, wrong passphrase, a read-only key
// pushing. Then the private key (every line of its body, unencrypted and encrypted) and the
// passphrase are searched (raw, hex, base64 std/url at 3 alignments) in every error (message,
// stack, JSON, util.inspect with hidden fields), the write-back status, the git stores, and
// every temp entry made since the test began. The key file we wrote is the positive control.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceSpec } from '../../daemon/config/index.js';
import { gitSourceSpec } from '../../daemon/engine/index.js';
import { GitSource } from '../../daemon/source/index.js';
import { ImageUpdateAutomation } from '../../daemon/writeback/index.js';
import { createRepo } from '../stack/gitserver.js';
import { revokeKey, sshRepoUrl } from '../stack/sshd.js';
import { tempEntries } from '../interop/helpers.js';
import { newSshKey, useSshStack } from '../support/ssh-fixture.js';
import { CanarySweep, findGitStores, makeCanary } from './canary.js';

// The shared stack's git server and sshd.
const st = useSshStack();
const sshd = {
  get info() {
    return st.ssh;
  },
};
const FLEET = st.repo('fleet');
let work = '';
let tempsBefore: Map<string, number>;

beforeAll(async () => {
  tempsBefore = await tempEntries();
  work = mkdtempSync(join(tmpdir(), 'gitops-seal-canary-ssh-'));
  await createRepo(st.git, FLEET, { 'deploy/app.yaml': 'image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "app"}\n' });
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
});

/** Body lines of an OpenSSH private key: what must never be seen anywhere. */
const bodyLines = (pem: string): string[] => pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));

describe('SSH private keys and passphrases never leave memory', () => {
  it('errors, status, stores and temp files hold no key material', async () => {
    const passphrase = makeCanary('ssh-passphrase');
    const wrongPassphrase = makeCanary('ssh-wrong-passphrase');
    const plain = newSshKey('ed25519');
    const locked = newSshKey('rsa', passphrase);
    st.authorize(plain.publicKey, 'read');
    st.authorize(locked.publicKey, 'read');
    const keysDir = join(work, 'keys');
    mkdirSync(keysDir);
    writeFileSync(join(keysDir, 'plain'), plain.privateKey, { mode: 0o600 });
    writeFileSync(join(keysDir, 'locked'), locked.privateKey, { mode: 0o600 });
    writeFileSync(join(keysDir, 'known_hosts'), sshd.info.knownHosts);
    const other = newSshKey('ed25519').publicKey.split(' ');
    writeFileSync(join(keysDir, 'wrong_hosts'), `[127.0.0.1]:${sshd.info.port} ${other[0]} ${other[1]}\n`);
    writeFileSync(join(keysDir, 'unknown_hosts'), `elsewhere ${other[0]} ${other[1]}\n`);
    const env = { PASS: passphrase, WRONG: wrongPassphrase };
    const cache = join(work, 'cache');

    const spec = (name: string, key: string, hosts: string, pass?: string): SourceSpec => ({
      name,
      url: sshRepoUrl(sshd.info, FLEET),
      ref: { branch: 'main' },
      intervalMs: 60_000,
      jitterPercent: 0,
      ssh: {
        privateKeyFrom: { file: join(keysDir, key) },
        ...(pass ? { passphraseFrom: { env: pass } } : {}),
        knownHostsFrom: { file: join(keysDir, hosts) },
      },
    });
    const texts: [string, string][] = [];
    const record = (label: string, err: unknown): void => {
      const e = err as Error;
      texts.push([label, `${e.message}\n${e.stack}\n${JSON.stringify(e)}\n${inspect(e, { depth: 10, showHidden: true })}`]);
    };
    const fetch = async (label: string, s: SourceSpec, ok: boolean): Promise<void> => {
      const p = new GitSource(gitSourceSpec(s, env), cache).fetch();
      if (ok) {
        expect((await p).commit).toMatch(/^[0-9a-f]{40}$/);
        return;
      }
      record(
        label,
        await p.then(
          () => expect.fail(`${label} should fail`),
          (e: unknown) => e,
        ),
      );
    };

    await fetch('plain ok', spec('ok-plain', 'plain', 'known_hosts'), true);
    await fetch('locked ok', spec('ok-locked', 'locked', 'known_hosts', 'PASS'), true);
    await fetch('wrong host key', spec('wrong-host', 'plain', 'wrong_hosts'), false);
    await fetch('unknown host', spec('unknown-host', 'locked', 'unknown_hosts', 'PASS'), false);
    await fetch('wrong passphrase', spec('wrong-pass', 'locked', 'known_hosts', 'WRONG'), false);
    await fetch('no passphrase', spec('no-pass', 'locked', 'known_hosts'), false);
    // A read-only key pushing: refused by the server; the status keeps the error.
    const src = spec('wb', 'locked', 'known_hosts', 'PASS');
    const { auth, ssh } = gitSourceSpec(src, env);
    const auto = new ImageUpdateAutomation(
      { name: 'apps', source: 'wb', path: 'deploy', author: { name: 'Bot', email: 'bot@example.com' } },
      { url: src.url, branch: 'main', ...(auth ? { auth } : {}), ...(ssh ? { ssh } : {}) },
      cache,
      { backoffMs: 10 },
    );
    const r = await auto.run([
      { name: 'app', namespaces: [], matchAnyNamespace: false, value: { image: 'ghcr.io/acme/app', tag: '1.1.0' } },
    ]);
    expect(r.reason).toBe('error');
    texts.push(['write-back result', JSON.stringify(r)], ['write-back status', JSON.stringify(auto.status)]);
    revokeKey(sshd.info, plain.publicKey);
    await fetch('revoked key', spec('revoked', 'plain', 'known_hosts'), false);

    // The failures say what happened.
    const byLabel = new Map(texts);
    expect(byLabel.get('wrong host key')).toMatch(
      /host key verification failed for \[127\.0\.0\.1\]:\d+: the server presented ssh-ed25519 key SHA256:/,
    );
    expect(byLabel.get('unknown host')).toMatch(/no known_hosts entry/);
    expect(byLabel.get('wrong passphrase')).toMatch(/passphrase/);
    expect(byLabel.get('revoked key')).toMatch(/refused the key/);
    expect(byLabel.get('write-back status')).toMatch(/read-only/);

    const sweep = new CanarySweep([passphrase, wrongPassphrase, ...bodyLines(plain.privateKey), ...bodyLines(locked.privateKey)]);
    for (const [label, text] of texts) sweep.text(label, text);
    for (const store of await findGitStores(cache)) await sweep.gitObjects(store);
    await sweep.dir(cache);
    const after = await tempEntries();
    for (const [p, mtime] of after) {
      if (tempsBefore.get(p) === mtime || p === work || p === sshd.info.dir) continue;
      await sweep.dir(p);
    }
    await sweep.dir(work, { exclude: (p) => p === keysDir });
    expect(sweep.hits).toEqual([]);
    expect(sweep.stats.stores).toBeGreaterThan(0);
    // Positive control: the key file we wrote is found.
    const control = new CanarySweep(bodyLines(plain.privateKey));
    await control.dir(keysDir);
    expect(control.hits.length).toBeGreaterThan(0);
  });
});
