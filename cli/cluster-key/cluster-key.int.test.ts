// `gitops-seal cluster-key` on the real stack: the key's Secret and ConfigMap live in the real
// apiserver (written with the daemon's own ClusterKeyStore, published as the daemon publishes
// them), `.sops.yaml` is used by the real sops, backups are opened by the real age. The cluster
// identity is compared in memory only, never printed.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { ClusterKeyStore } from '../../daemon/cluster-key/index.js';
import { KubeClient } from '../../daemon/kube/client.js';
import {
  CLUSTER_KEY_CONFIGMAP,
  clusterKeyFingerprint,
  generateAgeIdentity,
  publicClusterKey,
  publicToConfigMapData,
  type ClusterIdentity,
} from '../../keys/index.js';
import { sandbox, secretYaml, type Sandbox } from '../../test/support/cli-sandbox.js';
import { restrictedKubeconfig } from '../../test/support/restricted-kubeconfig.js';
import { findTools, type ToolBins } from '../../test/stack/tools.js';
import { ExitCode } from '../errors.js';

const run = promisify(execFile);
const stack = inject('stack');
const id = randomBytes(3).toString('hex');
const NS = `ck-${id}`;
const FRESH = `ck-fresh-${id}`;
const CANARY = `canary-cluster-key-${id}`;

let admin: KubeClient;
let sb: Sandbox;
let bins: ToolBins;
let store: ClusterKeyStore;
let limited: string;

const identitiesOf = async (ns: string): Promise<readonly ClusterIdentity[]> =>
  (await new ClusterKeyStore(admin, ns).read())?.identities ?? [];

/** Publish the ConfigMap as the daemon does: the newest recipient, its fingerprint, the retired ones. */
async function publish(ns: string): Promise<string> {
  const pub = publicClusterKey(await identitiesOf(ns));
  const path = `/api/v1/namespaces/${ns}/configmaps`;
  const body = { metadata: { name: CLUSTER_KEY_CONFIGMAP }, data: publicToConfigMapData(pub) };
  const existing = await admin.getOptional(`${path}/${CLUSTER_KEY_CONFIGMAP}`);
  await admin.request(existing ? `${path}/${CLUSTER_KEY_CONFIGMAP}` : path, { method: existing ? 'PUT' : 'POST', body });
  return pub.recipient;
}

const cli = (args: string[], env?: NodeJS.ProcessEnv): ReturnType<Sandbox['run']> => sb.run(args, env);
const adminFlags = (ns = NS): string[] => ['--kubeconfig', stack.kube.kubeconfig, '-n', ns];
const sops = (args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string }> =>
  run(bins.sops, args, { cwd: sb.dir, env: { PATH: process.env['PATH'], HOME: join(sb.dir, 'home'), ...env } });

beforeAll(async () => {
  bins = findTools();
  admin = await KubeClient.load({ kubeconfig: stack.kube.kubeconfig });
  for (const ns of [NS, FRESH]) await admin.request('/api/v1/namespaces', { method: 'POST', body: { metadata: { name: ns } } });
  store = new ClusterKeyStore(admin, NS);
  await store.ensure();
  await publish(NS);
  sb = await sandbox();
  // A user who may `get` the one ConfigMap, and nothing else.
  limited = await restrictedKubeconfig(admin, stack.kube, {
    namespace: NS,
    name: 'key-reader',
    rules: [{ resources: ['configmaps'], verbs: ['get'], resourceNames: [CLUSTER_KEY_CONFIGMAP] }],
    dir: sb.dir,
  });
});

afterAll(async () => {
  for (const ns of [NS, FRESH]) await admin?.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' }).catch(() => undefined);
  admin?.close();
  await sb?.cleanup();
});

describe('cluster-key fetch', () => {
  it('reads recipient and fingerprint with a kubeconfig allowed only `get` on the ConfigMap', async () => {
    const current = publicClusterKey(await identitiesOf(NS));
    const r = await cli(['cluster-key', 'fetch', '--kubeconfig', limited, '-n', NS]);
    expect(r.err).toContain(`ConfigMap ${NS}/${CLUSTER_KEY_CONFIGMAP}`);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`recipient:   ${current.recipient}\nfingerprint: ${current.fingerprint}\n`);
    const json = JSON.parse((await cli(['cluster-key', 'fetch', '--kubeconfig', limited, '-n', NS, '-o', 'json'])).out) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({
      recipient: current.recipient,
      fingerprint: clusterKeyFingerprint(current.recipient),
      pin: { status: 'unpinned' },
    });
    // The same credentials cannot read the private half.
    const denied = await cli(['cluster-key', 'backup', '--to', sb.recipient, '--kubeconfig', limited, '-n', NS]);
    expect(denied.code).toBe(ExitCode.REMOTE);
    expect(denied.err).toMatch(
      /Secret gitops-seal-cluster-key in namespace ck-\w+ \(kubeconfig .*\): 403 Forbidden: these credentials may not get it/,
    );
    expect(denied.out).toBe('');
  });

  it('names the ConfigMap and the likely cause when it is missing; refuses a fingerprint that does not match', async () => {
    const missing = await cli(['cluster-key', 'fetch', ...adminFlags(FRESH)]);
    expect(missing.code).toBe(ExitCode.REMOTE);
    expect(missing.err).toMatch(/ConfigMap gitops-seal-cluster-key in namespace ck-fresh-\w+ .* not found \(is clusterKey enabled/);
    const forged = {
      metadata: { name: CLUSTER_KEY_CONFIGMAP },
      data: { recipient: sb.recipient, fingerprint: clusterKeyFingerprint((await generateAgeIdentity()).recipient) },
    };
    await admin.request(`/api/v1/namespaces/${FRESH}/configmaps`, { method: 'POST', body: forged });
    const bad = await cli(['cluster-key', 'fetch', ...adminFlags(FRESH)]);
    expect(bad.code).toBe(ExitCode.KEYS);
    expect(bad.err).toContain('data.fingerprint does not match data.recipient');
    await admin.request(`/api/v1/namespaces/${FRESH}/configmaps/${CLUSTER_KEY_CONFIGMAP}`, { method: 'DELETE' });
  });
});

describe('cluster-key add, the real sops, rotation', () => {
  it('writes the recipient into a hand-written .sops.yaml; the real sops encrypts with it and the cluster identity decrypts', async () => {
    await sb.write(
      '.sops.yaml',
      `# written by hand\ncreation_rules:\n  # the team's secrets\n  - path_regex: ^secrets/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${sb.recipient} # admin key\n`,
    );
    const r = await cli(['cluster-key', 'add', '^secrets/.*\\.yaml$', '--kubeconfig', limited, '-n', NS]);
    expect(r.code).toBe(0);
    const cluster = publicClusterKey(await identitiesOf(NS));
    expect(r.out).toContain(`creation_rules[0]: added the cluster recipient ${cluster.fingerprint}`);
    const config = await sb.read('.sops.yaml');
    expect(config).toContain("# the team's secrets");
    expect(config).toContain('# admin key');
    expect(parse(config)).toMatchObject({
      'gitops-seal': { clusterKeys: { default: { recipient: cluster.recipient, fingerprint: cluster.fingerprint } } },
    });

    // The real sops reads this .sops.yaml (with its gitops-seal: key) and encrypts to both keys.
    await mkdir(join(sb.dir, 'secrets'), { recursive: true });
    await sb.write('secrets/db.yaml', secretYaml('db', { password: CANARY }));
    await sops(['encrypt', '-i', 'secrets/db.yaml'], {});
    const enc = await sb.read('secrets/db.yaml');
    expect(enc).not.toContain(Buffer.from(CANARY).toString('base64'));
    expect(enc).toContain(cluster.recipient);
    expect(enc).toContain(sb.recipient);
    // Both the admin's key and the cluster's identity (in memory, via the environment) open it.
    const b64 = Buffer.from(CANARY).toString('base64');
    expect((await sops(['decrypt', 'secrets/db.yaml'], { SOPS_AGE_KEY_FILE: sb.keyFile })).stdout).toContain(b64);
    const clusterIdentity = (await identitiesOf(NS)).at(-1)?.identity ?? '';
    expect((await sops(['decrypt', 'secrets/db.yaml'], { SOPS_AGE_KEY: clusterIdentity })).stdout).toContain(b64);
    // fetch now checks against the pin.
    expect((await cli(['cluster-key', 'fetch', '--kubeconfig', limited, '-n', NS])).err).toContain(
      'matches the pin "default" in .sops.yaml',
    );
  });

  it('a rotated key is refused until accepted; then the rule holds the new key and updatekeys moves the file', async () => {
    const before = publicClusterKey(await identitiesOf(NS));
    const rotated = await cli(['cluster-key', 'rotate', ...adminFlags()]);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toMatch(/: rotated: current SHA256:\S+, 1 retired\n$/);
    const after = await publish(NS);
    const afterFp = clusterKeyFingerprint(after);

    const refused = await cli(['cluster-key', 'fetch', '--kubeconfig', limited, '-n', NS]);
    expect(refused.code).toBe(ExitCode.KEYS);
    expect(refused.err).toContain(`the cluster key is ${afterFp}, but .sops.yaml pins ${before.fingerprint} as "default"`);
    expect(refused.err).toContain('lists the pinned key as retired');
    const refusedAdd = await cli(['cluster-key', 'add', '^secrets/.*\\.yaml$', '--kubeconfig', limited, '-n', NS]);
    expect(refusedAdd.code).toBe(ExitCode.KEYS);
    const config = await sb.read('.sops.yaml');

    const accepted = await cli(['cluster-key', 'add', '^secrets/.*\\.yaml$', '--accept-rotation', '--kubeconfig', limited, '-n', NS]);
    expect(accepted.code).toBe(0);
    expect(accepted.out).toContain(`creation_rules[0]: replaced ${before.fingerprint} by ${afterFp}`);
    const next = await sb.read('.sops.yaml');
    expect(next).not.toBe(config);
    expect(parse(next)).toMatchObject({
      creation_rules: [{ age: `${sb.recipient},${after}` }],
      'gitops-seal': { clusterKeys: { default: { recipient: after, retired: [before.recipient] } } },
    });

    const up = await cli(['updatekeys', '-y', 'secrets/db.yaml']);
    expect(up.err).toContain('secrets/db.yaml');
    expect(up.code).toBe(0);
    const moved = await sb.read('secrets/db.yaml');
    expect(moved).toContain(after);
    expect(moved).not.toContain(before.recipient);
    // The real sops still reads the file with the new cluster identity.
    const newest = (await identitiesOf(NS)).at(-1)?.identity ?? '';
    expect((await sops(['decrypt', 'secrets/db.yaml'], { SOPS_AGE_KEY: newest })).stdout).toContain(Buffer.from(CANARY).toString('base64'));
  });

  it('the backup rule: encrypting to the cluster key alone is refused (exit 9), allowed loudly, and check reports the file', async () => {
    expect((await cli(['cluster-key', 'add', '^cluster-only/', '--kubeconfig', limited, '-n', NS])).code).toBe(0);
    await mkdir(join(sb.dir, 'cluster-only'), { recursive: true });
    await sb.write('cluster-only/s.yaml', secretYaml('s', { token: CANARY }));
    const refused = await cli(['encrypt', '-i', 'cluster-only/s.yaml']);
    expect(refused.code).toBe(ExitCode.CLUSTER_KEY_ONLY);
    expect(refused.err).toMatch(
      /^gitops-seal: cluster-only\/s\.yaml: refusing to write a file only cluster-held keys can decrypt: every recipient of creation_rules\[1\] in \.sops\.yaml is the cluster key "default"/,
    );
    expect(await sb.read('cluster-only/s.yaml')).toContain(Buffer.from(CANARY).toString('base64'));
    const forced = await cli(['encrypt', '-i', '--allow-cluster-key-only', 'cluster-only/s.yaml']);
    expect(forced.code).toBe(0);
    expect(forced.err).toContain('WARNING');
    const check = await cli(['check', '--no-decrypt', '-o', 'json']);
    expect(check.code).toBe(ExitCode.PROBLEMS);
    expect((JSON.parse(check.out) as { problems: unknown[] }).problems).toEqual([
      expect.objectContaining({ path: 'cluster-only/s.yaml', code: 'cluster-key-only' }),
    ]);
  });
});

describe('cluster-key backup and restore', () => {
  it('backup → restore into a fresh namespace gives the identical identities; the backup is age ciphertext only', async () => {
    const original = await identitiesOf(NS);
    expect(original.length).toBe(2);
    // The backup may not go to the cluster's own key.
    const self = await cli(['cluster-key', 'backup', '--to', original[1]?.recipient ?? '', ...adminFlags()]);
    expect(self.code).toBe(ExitCode.USAGE);
    expect(self.err).toContain("recipient #1 of --to is the cluster's own key");

    const b = await cli(['cluster-key', 'backup', '--to', sb.recipient, '-o', 'backup.age', ...adminFlags()]);
    expect(b.code).toBe(0);
    expect(b.out).toBe('');
    expect(b.err).toMatch(
      /backed up 2 identities of Secret ck-\w+\/gitops-seal-cluster-key \(current SHA256:\S+\) to 1 recipient\(s\): backup\.age/,
    );
    const backup = await readFile(join(sb.dir, 'backup.age'), 'utf8');
    expect(backup.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(true);
    expect(backup).not.toContain('AGE-SECRET-KEY');
    for (const k of original) expect(backup).not.toContain(k.identity);
    // A second backup to the same file is refused, not overwritten.
    expect((await cli(['cluster-key', 'backup', '--to', sb.recipient, '-o', 'backup.age', ...adminFlags()])).code).toBe(ExitCode.IO);
    // The real age opens it with the admin key: a standard age file.
    const opened = (await run(bins.age, ['-d', '-i', sb.keyFile, join(sb.dir, 'backup.age')])).stdout;
    expect(opened.includes(original[0]?.identity ?? '-') && opened.includes(original[1]?.identity ?? '-')).toBe(true);

    // A wrong identity: refused, nothing created.
    const stranger = await generateAgeIdentity();
    await sb.write('stranger.txt', stranger.file);
    const wrong = await cli(['cluster-key', 'restore', '--from', 'backup.age', '-i', 'stranger.txt', ...adminFlags(FRESH)], {
      PATH: process.env['PATH'],
      HOME: join(sb.dir, 'home'),
    });
    expect(wrong.code).toBe(ExitCode.KEYS);
    expect(wrong.err).toContain('backup.age: none of the age identities given can decrypt this backup');
    expect(await identitiesOf(FRESH)).toEqual([]);

    const restored = await cli(['cluster-key', 'restore', '--from', 'backup.age', ...adminFlags(FRESH)]);
    expect(restored.err).toContain('the daemon publishes the current recipient');
    expect(restored.code).toBe(0);
    expect(restored.out).toContain(
      `Secret ${FRESH}/gitops-seal-cluster-key: restored: 2 identities, current ${publicClusterKey(original).fingerprint}`,
    );
    const copy = await identitiesOf(FRESH);
    // Compared in memory; a mismatch message would not print the identities either.
    expect(copy.map((k) => k.identity).join('\n') === original.map((k) => k.identity).join('\n')).toBe(true);
    expect(copy.map((k) => k.created.toISOString())).toEqual(original.map((k) => k.created.toISOString()));

    // Again: the Secret exists, nothing is overwritten without --merge; with it nothing is new.
    const again = await cli(['cluster-key', 'restore', '--from', 'backup.age', ...adminFlags(FRESH)]);
    expect(again.code).toBe(ExitCode.IO);
    expect(again.err).toContain('the Secret already exists; merge the backup into it (--merge) or delete it first');
    const merged = await cli(['cluster-key', 'restore', '--from', 'backup.age', '--merge', ...adminFlags(FRESH)]);
    expect(merged.code).toBe(0);
    expect(merged.out).toContain('unchanged');
    for (const out of [b, restored, again, merged, wrong]) expect(out.out + out.err).not.toContain('AGE-SECRET-KEY');
  });
});
