// Before the steps: a fresh age key, the example fleet rendered into a work clone of a new repo
// on the stack's git server with its Secret encrypted by our CLI, the first image tags in the
// registry, and the daemon started on examples/daemon-config.yaml.
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { authedUrl, createRepo } from '../test/stack/gitserver.js';
import { pushImage } from '../test/stack/image-push.js';
import { freePort } from '../test/stack/procs.js';
import type { StackInfo } from '../test/stack/types.js';
import { startDaemon, type DaemonProcess } from './daemon-process.js';
import { cli, DemoError, exec, git, ROOT } from './exec.js';
import { loadRendered, type RenderedExamples } from './rendered.js';
import type { Printer } from './ui.js';

export const FLEET_DIR = join(ROOT, 'examples', 'fleet');
/** Image names in examples/fleet start with this; rendering points them at the real registry. */
export const IMAGE_PLACEHOLDER = 'registry.example:5000/demo/';
export const SECRET_FILE = 'apps/podinfo/credentials.enc.yaml';
export const INITIAL_TAG = '6.5.0';
export const NEW_TAG = '6.6.0';

export interface Fingerprint {
  sha256: string;
  length: number;
}

export interface DemoContext {
  stack: StackInfo;
  p: Printer;
  /** Temp dir of this run: key, work clone, daemon data and log. */
  work: string;
  clone: string;
  repoUrl: string;
  /** e.g. 127.0.0.1:5001/demo/podinfo */
  image: string;
  ageKeyFile: string;
  /** Of the generated demo password: the value itself is never printed or stored. */
  secret: Fingerprint;
  initialCommit: string;
  /** The rendered examples on branch `rendered` (demo/rendered.ts). */
  rendered: RenderedExamples;
  daemon: DaemonProcess;
  /** The variables examples/daemon-config.yaml was expanded with (no secrets among them). */
  configEnv: Record<string, string>;
}

export const fingerprint = (value: Buffer | string): Fingerprint => ({
  sha256: createHash('sha256').update(value).digest('hex'),
  length: Buffer.byteLength(value),
});

/** Copy examples/fleet to `dest`, pointing image names at `registry`/`prefix`. Returns the files written. */
export function renderFleet(dest: string, registry: string, prefix: string, src = FLEET_DIR): string[] {
  const written: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const from = join(dir, e.name);
      const to = join(dest, relative(src, from));
      if (e.isDirectory()) {
        mkdirSync(to, { recursive: true });
        walk(from);
      } else if (/\.ya?ml$/.test(e.name)) {
        writeFileSync(to, readFileSync(from, 'utf8').replaceAll(IMAGE_PLACEHOLDER, `${registry}/${prefix}/`));
        written.push(relative(src, from));
      } else {
        copyFileSync(from, to);
        written.push(relative(src, from));
      }
    }
  };
  walk(src);
  return written.sort();
}

export function sopsConfig(recipient: string): string {
  return `# Written by the demo: Secrets in *.enc.yaml files are encrypted to the demo's age key.
creation_rules:
  - path_regex: \\.enc\\.yaml$
    encrypted_regex: ^(data|stringData)$
    age: ${recipient}
`;
}

export interface SetupOptions {
  /** Makes the git repo and image names unique (tests on a shared stack); '' for the demo. */
  suffix: string;
  work: string;
  /** Called with the daemon as soon as it runs, so Ctrl-C can stop it even mid-setup. */
  onDaemon?: (d: DaemonProcess) => void;
}

export async function setup(stack: StackInfo, p: Printer, opts: SetupOptions): Promise<DemoContext> {
  const { work } = opts;
  const repoName = `fleet${opts.suffix}`;
  const prefix = `demo${opts.suffix}`;
  const image = `${stack.registry.basic.host}/${prefix}/podinfo`;

  p.section('[setup] a fresh age key, the fleet repo with an encrypted Secret, images, the daemon');
  const ageKeyFile = join(work, 'age.key');
  const clone = join(work, 'fleet');
  // Independent of each other: the key, the repo and its clone, the first image tags.
  const [keygen, repoUrl] = await Promise.all([
    cli(['keygen', '-o', ageKeyFile], work),
    (async () => {
      const url = await createRepo(stack.git, repoName);
      await exec('git', ['clone', '--quiet', authedUrl(stack.git, repoName), clone], { display: `git clone ${url}` });
      await git(clone, ['config', 'user.name', 'Demo User']);
      await git(clone, ['config', 'user.email', 'demo@gitops-seal.example']);
      return url;
    })(),
    (async () => {
      for (const tag of ['6.4.0', INITIAL_TAG]) await pushImage(stack.registry.basic, `${prefix}/podinfo`, tag);
      await pushImage(stack.registry.basic, `${prefix}/worker`, '1.4.2');
    })(),
  ]);
  const recipient = /Public key: (age1[0-9a-z]+)/.exec(keygen.stderr)?.[1];
  if (!recipient) throw new DemoError(`gitops-seal keygen printed no public key: ${keygen.stderr.trim()}`);
  p.command(`gitops-seal keygen -o ${ageKeyFile}`, `Public key: ${recipient}`);
  p.say('The private key stays in the temp dir (mode 0600); only the daemon reads it. Git gets the public key.');
  p.ok(`registry ${stack.registry.basic.host}: ${prefix}/podinfo tags 6.4.0, ${INITIAL_TAG}; ${prefix}/worker 1.4.2`);

  const files = renderFleet(clone, stack.registry.basic.host, prefix);
  writeFileSync(join(clone, '.sops.yaml'), sopsConfig(recipient));
  p.ok(`examples/fleet copied into a clone of ${repoUrl} (${files.length} files) with a .sops.yaml rule for *.enc.yaml`);

  // A demo value, generated now: it is never printed; the demo keeps only its fingerprint.
  const password = `demo-${randomBytes(12).toString('base64url')}`;
  await cli(
    [
      'create-secret',
      'podinfo-credentials',
      '-n',
      'demo-web',
      '--from-literal',
      'username=demo',
      '--from-literal',
      `password=${password}`,
      '-o',
      SECRET_FILE,
    ],
    clone,
  );
  const secret = fingerprint(password);
  p.command(
    `gitops-seal create-secret podinfo-credentials -n demo-web --from-literal username=demo --from-literal password=<generated demo value> -o ${SECRET_FILE}`,
  );
  p.ok(`${SECRET_FILE} written encrypted (the plaintext existed only in memory)`);

  await git(clone, ['add', '--all']);
  await git(clone, ['commit', '--quiet', '-m', 'Initial fleet: namespaces, CRD, podinfo, worker, encrypted Secret']);
  await git(clone, ['push', '--quiet', 'origin', 'HEAD:main']);
  const initialCommit = await git(clone, ['rev-parse', 'HEAD']);
  p.command('git commit -m "Initial fleet: …" && git push', `main → ${initialCommit.slice(0, 7)}`);
  const rendered = await loadRendered(stack, p, { work, repoName, registry: stack.registry.basic.host, prefix, recipient });

  const listen = `127.0.0.1:${await freePort()}`;
  const configEnv: Record<string, string> = {
    GITOPS_SEAL_LISTEN: listen,
    GITOPS_SEAL_GIT_URL: repoUrl,
    GITOPS_SEAL_GIT_INTERVAL: '2s',
    GITOPS_SEAL_DRIFT_INTERVAL: '1m',
    GITOPS_SEAL_KUBECONFIG: stack.kube.kubeconfig,
    GITOPS_SEAL_AGE_KEY_FILE: ageKeyFile,
    GITOPS_SEAL_REGISTRY: stack.registry.basic.host,
    GITOPS_SEAL_IMAGE_PREFIX: prefix,
    GITOPS_SEAL_IMAGE_INTERVAL: '2s',
    GITOPS_SEAL_REGISTRY_INSECURE: 'true',
  };
  // Credentials reach the daemon only as the environment its *From references name.
  const secretsEnv = {
    GIT_USERNAME: stack.git.username,
    GIT_PASSWORD: stack.git.password,
    REGISTRY_USERNAME: stack.registry.basic.username,
    REGISTRY_PASSWORD: stack.registry.basic.password,
  };
  const dataDir = join(work, 'data');
  const daemon = await startDaemon({
    env: { ...configEnv, ...secretsEnv },
    dataDir,
    logFile: join(work, 'daemon.log'),
    listen,
  });
  opts.onDaemon?.(daemon);
  p.command(
    `gitops-seal-daemon --config examples/daemon-config.yaml --data-dir ${dataDir}`,
    `pid ${daemon.pid}, status ${daemon.url}/status, log ${daemon.logFile}`,
  );
  // The web status page (daemon/ui): checked before it is pointed to.
  const page = await fetch(`${daemon.url}/`).catch((err: unknown) => err as Error);
  if (page instanceof Error || !page.ok)
    throw new DemoError(`the web status page ${daemon.url}/ does not answer: ${page instanceof Error ? page.message : page.status}`);
  p.ok(`web status page: ${daemon.url}/ — open it beside this terminal; every step below shows up there live`);
  return { stack, p, work, clone, repoUrl, image, ageKeyFile, secret, initialCommit, rendered, daemon, configEnv };
}
