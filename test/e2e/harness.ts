// Shared by the end-to-end tests: a work clone that commits and pushes to the real git server,
// kubectl, polling helpers and DaemonConfig pieces. The daemon itself is started through
// test/support/daemon-process.ts.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { authedUrl, createRepo } from '../stack/gitserver.js';
import type { StackInfo } from '../stack/types.js';

const run = promisify(execFile);

export class WorkRepo {
  private constructor(
    readonly dir: string,
    readonly url: string,
  ) {}

  static async create(stack: StackInfo, name: string): Promise<WorkRepo> {
    const url = await createRepo(stack.git, name, { 'README.md': `# ${name}\n` });
    const dir = mkdtempSync(join(tmpdir(), `gitops-seal-work-${name}-`));
    await run('git', ['clone', '--quiet', authedUrl(stack.git, name), dir]);
    await run('git', ['-C', dir, 'config', 'user.email', 'e2e@gitops-seal.io']);
    await run('git', ['-C', dir, 'config', 'user.name', 'e2e']);
    return new WorkRepo(dir, url);
  }

  /** Write (string) or delete (null) files, commit and push; returns the new commit sha. */
  async commit(files: Record<string, string | null>, message = 'change'): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      const p = join(this.dir, path);
      if (content === null) rmSync(p, { force: true });
      else {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, content);
      }
    }
    await run('git', ['-C', this.dir, 'add', '-A']);
    await run('git', ['-C', this.dir, 'commit', '--quiet', '--allow-empty', '-m', message]);
    await run('git', ['-C', this.dir, 'push', '--quiet', 'origin', 'HEAD:main']);
    return this.head();
  }

  async git(args: string[]): Promise<string> {
    return (await run('git', ['-C', this.dir, ...args])).stdout.trim();
  }

  async head(): Promise<string> {
    return this.git(['rev-parse', 'HEAD']);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function kubectl(stack: StackInfo, args: string[], input?: string): Promise<string> {
  // Large buffer: `get events -A` on the shared cluster passes execFile's 1 MiB default.
  const p = run(stack.bins.kubectl, [`--kubeconfig=${stack.kube.kubeconfig}`, ...args], { maxBuffer: 256 << 20 });
  if (input !== undefined) {
    p.child.stdin?.end(input);
  }
  return (await p).stdout;
}

export async function getJson<T = Record<string, unknown>>(stack: StackInfo, args: string[]): Promise<T | undefined> {
  try {
    return JSON.parse(await kubectl(stack, ['get', ...args, '-o', 'json'])) as T;
  } catch (err) {
    if (/NotFound|not found/.test((err as { stderr?: string }).stderr ?? '')) return undefined;
    throw err;
  }
}

export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function gitSourceConfig(stack: StackInfo, name: string, url: string, extra: object = {}): object {
  return {
    name,
    url,
    ref: { branch: 'main' },
    interval: '1h',
    credentials: { usernameFrom: { env: 'E2E_GIT_USER' }, passwordFrom: { env: 'E2E_GIT_PASSWORD' } },
    ...extra,
  };
}

export function setGitEnv(stack: StackInfo): void {
  process.env.E2E_GIT_USER = stack.git.username;
  process.env.E2E_GIT_PASSWORD = stack.git.password;
}

/**
 * A one-container Deployment `web` in `namespace` whose image line carries the Flux marker of
 * image policy `policy`: what the image-automation, HA and fault tests bump.
 */
export function markedDeployment(namespace: string, image: string, tag: string, policy = 'app'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${namespace}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}:${tag} # {"$imagepolicy": "${policy}"}
`;
}

/**
 * The image policy `app` (semver >=1.0.0 over `image`, registry credentials from E2E_REG_USER /
 * E2E_REG_PASSWORD, scanned every second) and the automation `bump` writing back to `apps/` of
 * source `repo`: the image-automation and HA tests' DaemonConfig spec fields.
 */
export function imageAutomationSpec(image: string): { images: object[]; imageUpdates: object[] } {
  return {
    images: [
      {
        name: 'app',
        image,
        interval: '1s',
        insecure: true,
        credentials: { usernameFrom: { env: 'E2E_REG_USER' }, passwordFrom: { env: 'E2E_REG_PASSWORD' } },
        policy: { semver: { range: '>=1.0.0' } },
      },
    ],
    imageUpdates: [{ name: 'bump', source: 'repo', path: 'apps', author: { name: 'gitops-seal bot', email: 'bot@gitops-seal.io' } }],
  };
}
