// Write-back outcomes reach the team (issue 19): an in-process daemon scans the stack's registry
// every second and pushes image updates over the stack's sshd. With a read-only deploy key every
// push is refused (sshd's forced command), the automation retries after each scan, and the
// `write-back failed` alert reaches the receiving server once (de-duplicated), signed, naming the
// automation and the server's reason, with no key material. The key file is then rewritten with
// a write key — read at use, no restart — and the next push lands with one `write-back pushed`.
// The receiver (test/support/notify-receiver.ts) checks the generic webhook's shape and HMAC.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pushImage } from '../stack/image-push.js';
import { authorizeKey, revokeKey, sshRepoUrl } from '../stack/sshd.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { NotifyReceiver } from '../support/notify-receiver.js';
import { newSshKey, type TestKey } from '../support/ssh-fixture.js';
import { CanarySweep } from '../reliability/canary.js';
import { eventually, WorkRepo } from './harness.js';

const stack = inject('stack');

/** Body lines of an OpenSSH private key: what must never be seen in a payload. */
const bodyLines = (pem: string): string[] => pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));

describe('write-back over SSH: failed and pushed notifications', () => {
  const sfx = Date.now().toString(36);
  const IMAGE = `${stack.registry.basic.host}/wb-notify/app-${sfx}`;
  const HOOK_SECRET = randomBytes(16).toString('hex');
  let rx: NotifyReceiver;
  let repo: WorkRepo;
  let d: RunningDaemon | undefined;
  let work = '';
  let readKey: TestKey;
  let writeKey: TestKey;

  beforeAll(async () => {
    const ssh = stack.ssh;
    if (ssh === undefined) throw new Error('the stack has no sshd (test/stack/stack.ts starts one)');
    rx = await NotifyReceiver.start({ hookSecret: HOOK_SECRET });
    readKey = newSshKey('ecdsa');
    writeKey = newSshKey('ed25519');
    authorizeKey(ssh, readKey.publicKey, 'read');
    authorizeKey(ssh, writeKey.publicKey, 'write');
    work = mkdtempSync(join(tmpdir(), 'gitops-seal-wb-notify-'));
    writeFileSync(join(work, 'deploy-key'), readKey.privateKey, { mode: 0o600 });
    writeFileSync(join(work, 'known_hosts'), ssh.knownHosts);
    const path = IMAGE.slice(IMAGE.indexOf('/') + 1);
    await pushImage(stack.registry.basic, path, '1.0.0');
    await pushImage(stack.registry.basic, path, '1.1.0');
    repo = await WorkRepo.create(stack, `wb-notify-${sfx}`);
    await repo.commit({ 'deploy/app.yaml': `image: ${IMAGE}:1.0.0 # {"$imagepolicy": "apps:web"}\n` });
    Object.assign(process.env, {
      WB_NOTIFY_HOOK: HOOK_SECRET,
      WB_NOTIFY_REG_USER: stack.registry.basic.username,
      WB_NOTIFY_REG_PASSWORD: stack.registry.basic.password,
    });
  });

  afterAll(async () => {
    await d?.stop();
    await rx?.close();
    if (stack.ssh !== undefined) for (const k of [readKey, writeKey]) if (k) revokeKey(stack.ssh, k.publicKey);
    repo?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a refused push alerts once; the rotated write key pushes and alerts once', async () => {
    const ssh = stack.ssh;
    if (ssh === undefined) return;
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [
          {
            name: 'fleet',
            url: sshRepoUrl(ssh, `wb-notify-${sfx}`),
            ref: { branch: 'main' },
            interval: '1h',
            ssh: { privateKeyFrom: { file: join(work, 'deploy-key') }, knownHostsFrom: { file: join(work, 'known_hosts') } },
          },
        ],
        syncs: [],
        images: [
          {
            name: 'web',
            namespace: 'apps',
            image: IMAGE,
            interval: '1s',
            insecure: true,
            credentials: { usernameFrom: { env: 'WB_NOTIFY_REG_USER' }, passwordFrom: { env: 'WB_NOTIFY_REG_PASSWORD' } },
            policy: { semver: { range: '>=1.0.0' } },
          },
        ],
        imageUpdates: [{ name: 'bump', source: 'fleet', path: 'deploy', author: { name: 'Image Bot', email: 'bot@example.com' } }],
        notifications: {
          providers: [
            { name: 'hook', type: 'webhook', url: `${rx.url}/hook/writeback`, secretFrom: { env: 'WB_NOTIFY_HOOK' }, timeout: '5s' },
          ],
          // The default de-duplication window (10m): the same failure again is not sent again.
          alerts: [{ name: 'writeback', providers: ['hook'], events: ['writeback-pushed', 'writeback-failed'] }],
        },
      },
    });
    let failures = 0;
    d.daemon.bus.on({ 'image.failed': () => failures++ });
    const hooks = () => rx.of('hook').map((r) => r.json as { event: string; automation?: string; detail?: string; summary: string });

    await eventually('the write-back failed alert', async () => hooks().length > 0, 60_000);
    // The automation retries after every scan (1 s): several more refusals, still one message.
    await eventually('three more refused pushes', async () => failures >= 4, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.of('hook').every((r) => r.problems.length === 0)).toBe(true);
    expect(hooks().map((h) => h.event)).toEqual(['writeback-failed']);
    const failed = hooks()[0];
    expect(failed?.automation).toBe('bump');
    expect(failed?.detail).toMatch(/read-only/);
    const head = await repo.git(['ls-remote', 'origin', 'main']);

    // Rotation: the same file now holds the write key.
    writeFileSync(join(work, 'deploy-key'), writeKey.privateKey, { mode: 0o600 });
    await eventually('the write-back pushed alert', async () => hooks().some((h) => h.event === 'writeback-pushed'), 60_000);
    expect(hooks().map((h) => h.event)).toEqual(['writeback-failed', 'writeback-pushed']);
    const pushed = await repo.git(['ls-remote', 'origin', 'main']);
    expect(pushed).not.toBe(head);
    expect(hooks()[1]?.summary).toContain(`pushed ${pushed.slice(0, 12)} to source fleet`);

    const sweep = new CanarySweep([...bodyLines(readKey.privateKey), ...bodyLines(writeKey.privateKey)]);
    for (const r of rx.received) sweep.text(`${r.kind} ${r.path}`, `${r.body}\n${JSON.stringify(r.headers)}`);
    expect(sweep.hits).toEqual([]);
    // Positive control: the sweep finds the key in its own text.
    const control = new CanarySweep(bodyLines(writeKey.privateKey));
    control.text('control', writeKey.privateKey);
    expect(control.hits.length).toBeGreaterThan(0);
  });
});
