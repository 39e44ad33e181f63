// deploy/compose/fleet-init.mjs — the one compose step with logic of its own — run for real
// against the stack's git server and registry (compose itself needs Docker, which the test
// machine lacks): kubeconfig rewritten for the daemon, a private age key, examples/fleet pushed
// with its Secret encrypted (and decryptable with that key), examples/rendered pushed to branch
// `rendered` with its Secret and values file encrypted, image tags pushed, and a second run that
// changes nothing.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { decryptText, parseIdentityFile } from '../../keys/index.js';
import { authedUrl, createRepo } from '../stack/gitserver.js';
import { ROOT } from './files.js';

const run = promisify(execFile);
const stack = inject('stack');
const id = randomBytes(3).toString('hex');
const work = mkdtempSync(join(tmpdir(), `gitops-seal-fleet-init-${id}-`));
const prefix = `compose-${id}`;
// fleet-init runs the CLI from a temp dir: tsx by URL, not by a bare name resolved from there.
const CLI = `${process.execPath} --import ${import.meta.resolve('tsx')} ${join(ROOT, 'cli', 'main.ts')}`;

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function fleetInit(env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'deploy', 'compose', 'fleet-init.mjs')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeout: 90_000,
  });
  return stdout;
}

describe('compose fleet-init on the real git server and registry', () => {
  it('prepares everything the compose daemon reads, and a second run leaves the repository alone', async () => {
    const repo = `compose-fleet-${id}`;
    const url = await createRepo(stack.git, repo);
    // k3s writes its kubeconfig for https://127.0.0.1:6443; the stack's stands in for it.
    const k3sConfig = join(work, 'k3s.yaml');
    writeFileSync(
      k3sConfig,
      readFileSync(stack.kube.kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:6443'),
    );
    const env = {
      K3S_KUBECONFIG: k3sConfig,
      KUBE_SERVER: stack.kube.server,
      KUBECONFIG_OUT: join(work, 'kube', 'kubeconfig.yaml'),
      AGE_KEY_FILE: join(work, 'keys', 'age.key'),
      FLEET_DIR: join(ROOT, 'examples', 'fleet'),
      RENDERED_DIR: join(ROOT, 'examples', 'rendered'),
      GIT_URL: url,
      GIT_USERNAME: stack.git.username,
      GIT_PASSWORD: stack.git.password,
      REGISTRY_URL: stack.registry.basic.url,
      REGISTRY_HOST: stack.registry.basic.host,
      REGISTRY_USERNAME: stack.registry.basic.username,
      REGISTRY_PASSWORD: stack.registry.basic.password,
      IMAGE_PREFIX: prefix,
      GITOPS_SEAL_CLI: CLI,
    };
    const out = await fleetInit(env);
    expect(out).toMatch(/fleet-init: done/);
    for (const secret of [stack.git.password, stack.registry.basic.password]) expect(out).not.toContain(secret);

    // 1. The kubeconfig works against the apiserver at KUBE_SERVER and is private.
    expect(statSync(env.KUBECONFIG_OUT).mode & 0o777).toBe(0o600);
    const kc = parseYaml(readFileSync(env.KUBECONFIG_OUT, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    expect(kc.clusters[0]?.cluster.server).toBe(stack.kube.server);
    const { stdout: ns } = await run(stack.bins.kubectl, [
      `--kubeconfig=${env.KUBECONFIG_OUT}`,
      'get',
      'namespace',
      'default',
      '-o',
      'name',
    ]);
    expect(ns.trim()).toBe('namespace/default');

    // 2. A private age identity.
    expect(statSync(env.AGE_KEY_FILE).mode & 0o777).toBe(0o600);
    const key = readFileSync(env.AGE_KEY_FILE, 'utf8');
    const recipient = /public key: (age1[0-9a-z]+)/.exec(key)?.[1];
    expect(recipient).toBeDefined();

    // 3. The fleet on main: images pointed at the registry, the Secret encrypted to that key.
    const clone = join(work, 'clone');
    await run('git', ['clone', '--quiet', authedUrl(stack.git, repo), clone]);
    const head = (await run('git', ['-C', clone, 'rev-parse', 'HEAD'])).stdout.trim();
    const podinfo = readFileSync(join(clone, 'apps', 'podinfo', 'deployment.yaml'), 'utf8');
    expect(podinfo).toContain(`image: ${stack.registry.basic.host}/${prefix}/podinfo:6.5.0`);
    expect(podinfo).not.toContain('registry.example:5000');
    const enc = readFileSync(join(clone, 'apps', 'podinfo', 'credentials.enc.yaml'), 'utf8');
    const encDoc = parseYaml(enc) as { kind: string; data: Record<string, string>; sops: { age: { recipient: string }[] } };
    expect(encDoc.kind).toBe('Secret');
    expect(encDoc.sops.age.map((a) => a.recipient)).toEqual([recipient]);
    for (const v of Object.values(encDoc.data)) expect(v).toMatch(/^ENC\[AES256_GCM,/);
    const plain = await decryptText(
      enc,
      { format: 'yaml', source: 'credentials.enc.yaml' },
      { ageIdentities: parseIdentityFile(key, env.AGE_KEY_FILE) },
    );
    const data = (parseYaml(plain) as { data: Record<string, string> }).data;
    expect(Buffer.from(data.username ?? '', 'base64').toString()).toBe('demo');
    expect(Buffer.from(data.password ?? '', 'base64').toString()).toMatch(/^demo-[A-Za-z0-9_-]{16}$/);

    // 3b. The rendered examples on branch `rendered`: the base's Secret (data only) and the
    // values file (every value) encrypted to that key, images pointed at the registry.
    const rclone = join(work, 'rendered');
    await run('git', ['clone', '--quiet', '--branch', 'rendered', authedUrl(stack.git, repo), rclone]);
    const renderedHead = (await run('git', ['-C', rclone, 'rev-parse', 'HEAD'])).stdout.trim();
    const ids = { ageIdentities: parseIdentityFile(key, env.AGE_KEY_FILE) };
    const creds = readFileSync(join(rclone, 'apps', 'base', 'greeter', 'credentials.enc.yaml'), 'utf8');
    expect((parseYaml(creds) as { data: Record<string, string> }).data.token).toMatch(/^ENC\[AES256_GCM,/);
    const credsPlain = parseYaml(await decryptText(creds, { format: 'yaml', source: 'credentials.enc.yaml' }, ids)) as {
      data: Record<string, string>;
    };
    expect(Buffer.from(credsPlain.data.token ?? '', 'base64').toString()).toMatch(/^tok-[A-Za-z0-9_-]{16}$/);
    const values = readFileSync(join(rclone, 'clusters', 'demo', 'greeter-secrets.enc.yaml'), 'utf8');
    expect((parseYaml(values) as { apiToken: string }).apiToken).toMatch(/^ENC\[AES256_GCM,/);
    const valuesPlain = parseYaml(await decryptText(values, { format: 'yaml', source: 'greeter-secrets.enc.yaml' }, ids)) as {
      apiToken: string;
    };
    expect(valuesPlain.apiToken).toMatch(/^api-[A-Za-z0-9_-]{16}$/);
    expect(readFileSync(join(rclone, 'charts', 'greeter', 'values.yaml'), 'utf8')).toContain(
      `repository: ${stack.registry.basic.host}/${prefix}/podinfo`,
    );
    for (const v of [credsPlain.data.token ?? '', valuesPlain.apiToken]) expect(out).not.toContain(v);

    // 4. The tags image automation starts from.
    const auth = `Basic ${Buffer.from(`${stack.registry.basic.username}:${stack.registry.basic.password}`).toString('base64')}`;
    const tags = async (name: string): Promise<string[]> =>
      (
        (await (
          await fetch(`${stack.registry.basic.url}/v2/${prefix}/${name}/tags/list`, { headers: { authorization: auth } })
        ).json()) as { tags: string[] }
      ).tags.sort();
    expect(await tags('podinfo')).toEqual(['6.4.0', '6.5.0']);
    expect(await tags('worker')).toEqual(['1.4.2']);

    // A restart of the compose stack: same key, history untouched.
    const again = await fleetInit(env);
    expect(again).toMatch(/already has main: left as it is/);
    expect(again).toMatch(/already has rendered: left as it is/);
    expect(readFileSync(env.AGE_KEY_FILE, 'utf8')).toBe(key);
    const { stdout: remote } = await run('git', ['ls-remote', authedUrl(stack.git, repo), 'refs/heads/main']);
    expect(remote.split('\t')[0]).toBe(head);
    const { stdout: remoteRendered } = await run('git', ['ls-remote', authedUrl(stack.git, repo), 'refs/heads/rendered']);
    expect(remoteRendered.split('\t')[0]).toBe(renderedHead);
  });
});
