// Image-update write-back against the real git server (git http-backend behind basic auth):
// the pushed commit is checked with the git CLI, races and protected branches are played out
// with real pushes, and the server's repository is fsck'ed at the end.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { authedUrl, createRepo, setRejectPushes, startGitServer } from '../../test/stack/gitserver.js';
import type { GitInfo, StackInfo, Started } from '../../test/stack/types.js';
import { verifyCommitSignature } from '../source/index.js';
import { ImageUpdateAutomation } from './automation.js';
import type { ImageUpdateSpec } from './types.js';
import type { ImagePolicyEntry } from './update.js';

const run = promisify(execFile);
const ID = ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com'];
let info: GitInfo;
let own: Started<GitInfo> | undefined;
let tmp = '';
const uniq = Math.random().toString(36).slice(2, 8);
let n = 0;

beforeAll(async () => {
  // The shared stack of the global setup when there is one, else a git server of our own.
  const shared = inject('stack') as StackInfo | undefined;
  if (shared) info = shared.git;
  else {
    own = await startGitServer();
    info = own.info;
  }
  tmp = mkdtempSync(join(tmpdir(), 'gitops-seal-writeback-'));
});
afterAll(async () => {
  await setRejectPushes(info, false).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
  await own?.stop();
});

const git = async (dir: string, ...args: string[]): Promise<string> =>
  (await run('git', ['-C', dir, ...ID, ...args], { maxBuffer: 64 << 20 })).stdout.trim();

async function clone(repo: string): Promise<string> {
  const dir = join(tmp, `clone-${n++}`);
  await run('git', ['clone', '-q', authedUrl(info, repo), dir]);
  return dir;
}

const APP = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app # keep this comment
spec:
  template:
    spec:
      containers:
        - name: app
          image: "ghcr.io/acme/app:1.0.0" # {"$imagepolicy": "flux-system:app"}
        - name: side
          image: ghcr.io/acme/side:0.1.0   # {"$imagepolicy": "side"}
`;
const VALUES = 'image:\r\n  repository: ghcr.io/acme/app\r\n  tag: 1.0.0 # {"$imagepolicy": "app:tag"}\r\n';
const SEED = {
  'deploy/app.yaml': APP,
  'deploy/values.yaml': VALUES,
  'deploy/README.md': 'app: "# {\\"$imagepolicy\\": \\"app\\"}"\n',
  'other/x.yaml': 'image: a:1 # {"$imagepolicy": "app"}\n',
};
// `app` serves flux-system (APP's Flux marker) and the markers without a namespace.
const policies = (tag: string): ImagePolicyEntry[] => [
  { name: 'app', namespaces: ['flux-system'], matchAnyNamespace: false, value: { image: 'ghcr.io/acme/app', tag } },
  { name: 'side', namespaces: [], matchAnyNamespace: false, value: { image: 'ghcr.io/acme/side', tag: '0.1.0' } },
];

async function setup(
  files: Record<string, string> = SEED,
  spec: Partial<ImageUpdateSpec> = {},
  opts: ConstructorParameters<typeof ImageUpdateAutomation>[3] = {},
) {
  const repo = `wb-${uniq}-${n++}`;
  await createRepo(info, repo, files);
  const auto = new ImageUpdateAutomation(
    {
      name: 'apps',
      source: 'platform',
      path: 'deploy',
      author: { name: 'Image Bot', email: 'bot@example.com' },
      messageTemplate: 'Bump {{image}} to {{newTag}}\n\n{{changes}}',
      ...spec,
    },
    { url: `${info.url}${repo}.git`, branch: 'main', auth: async () => ({ username: info.username, password: info.password }) },
    join(tmp, `cache-${repo}`),
    { backoffMs: 10, ...opts },
  );
  return { repo, auto };
}

async function fsck(repo: string): Promise<void> {
  await git(join(info.reposDir, `${repo}.git`), 'fsck', '--strict', '--no-progress');
}

describe('ImageUpdateAutomation on the real git server', () => {
  it('pushes one bump commit with the templated message, changing only the marked bytes', async () => {
    const { repo, auto } = await setup();
    const r = await auto.run(policies('1.1.0'));
    expect(r.reason, r.detail).toBe('pushed');
    expect(r.files).toEqual(['deploy/app.yaml', 'deploy/values.yaml']);
    const dir = await clone(repo);
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(r.commit);
    expect(await git(dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>')).toBe('Image Bot <bot@example.com>|Image Bot <bot@example.com>');
    expect(await git(dir, 'log', '-1', '--format=%B')).toBe(
      'Bump ghcr.io/acme/app to 1.1.0\n\n- deploy/app.yaml:10 ghcr.io/acme/app:1.0.0 -> ghcr.io/acme/app:1.1.0\n- deploy/values.yaml:3 1.0.0 -> 1.1.0',
    );
    expect(await git(dir, 'show', '--stat', '--format=', 'HEAD')).toMatch(
      /deploy\/app\.yaml +\| 2 \+-\n deploy\/values\.yaml +\| 2 \+-\n 2 files changed, 2 insertions\(\+\), 2 deletions\(-\)/,
    );
    // Byte for byte: the old files with the old value replaced are the new files.
    expect(readFileSync(join(dir, 'deploy/app.yaml'), 'utf8')).toBe(APP.replace('app:1.0.0"', 'app:1.1.0"'));
    expect(readFileSync(join(dir, 'deploy/values.yaml'))).toEqual(Buffer.from(VALUES.replace('tag: 1.0.0', 'tag: 1.1.0')));
    // Outside `path`, nothing: other/x.yaml keeps its marker and value.
    expect(readFileSync(join(dir, 'other/x.yaml'), 'utf8')).toBe(SEED['other/x.yaml']);
    expect(auto.status).toMatchObject({ lastReason: 'pushed', lastPushedCommit: r.commit });
    await fsck(repo);
  });

  it('a second run (or a restart with an empty cache) makes no duplicate commit', async () => {
    const { repo, auto } = await setup();
    const first = await auto.run(policies('2.0.0'));
    expect(first.reason).toBe('pushed');
    const again = await auto.run(policies('2.0.0'));
    expect(again.reason).toBe('no-change');
    expect(again.detail).toMatch(/3 marker\(s\) already up to date/);
    // A restart: a new automation with an empty cache on the same repository.
    const fresh = new ImageUpdateAutomation(
      auto.spec,
      { url: `${info.url}${repo}.git`, branch: 'main', auth: async () => ({ username: info.username, password: info.password }) },
      join(tmp, `cache-restart-${repo}`),
    );
    expect((await fresh.run(policies('2.0.0'))).reason).toBe('no-change');
    const dir = await clone(repo);
    expect(await git(dir, 'rev-list', '--count', 'HEAD')).toBe('2');
    expect(auto.status).toMatchObject({ lastReason: 'no-change', lastPushedCommit: first.commit });
    await fsck(repo);
  });

  it('someone pushes between our fetch and our push: both commits survive, ours on top, no force', async () => {
    let theirs = '';
    const { repo, auto } = await setup(
      SEED,
      {},
      {
        beforePush: async ({ attempt }) => {
          if (attempt !== 1) return;
          const dir = await clone(repo);
          // They edit another file and the very line we are bumping.
          await run('sh', ['-c', `printf 'extra\\n' >> deploy/README.md && sed -i 's/side:0.1.0/side:0.0.9/' deploy/app.yaml`], {
            cwd: dir,
          });
          await git(dir, 'commit', '-qam', 'their change');
          await git(dir, 'push', '-q', 'origin', 'HEAD');
          theirs = await git(dir, 'rev-parse', 'HEAD');
        },
      },
    );
    const seed = await git(await clone(repo), 'rev-parse', 'HEAD');
    const r = await auto.run(policies('1.2.0'));
    expect(r.reason, r.detail).toBe('pushed');
    expect(r.attempts).toBe(2);
    const dir = await clone(repo);
    expect(await git(dir, 'rev-list', '--format=%s', '--no-commit-header', 'HEAD')).toBe(
      'Bump ghcr.io/acme/app, ghcr.io/acme/side to 1.2.0, 0.1.0\ntheir change\nseed',
    );
    expect(await git(dir, 'rev-parse', 'HEAD^')).toBe(theirs);
    expect(await git(dir, 'rev-parse', 'HEAD^^')).toBe(seed);
    // Their README line is kept; the marked line holds the policy's value again.
    expect(readFileSync(join(dir, 'deploy/README.md'), 'utf8')).toContain('extra\n');
    expect(readFileSync(join(dir, 'deploy/app.yaml'), 'utf8')).toBe(APP.replace('app:1.0.0"', 'app:1.2.0"'));
    await fsck(repo);
  });

  it('the branch keeps moving: a conflict error after the bounded attempts, nothing lost', async () => {
    const { repo, auto } = await setup(
      SEED,
      {},
      {
        maxAttempts: 3,
        beforePush: async () => {
          const dir = await clone(repo);
          await run('sh', ['-c', `date +%N >> deploy/README.md`], { cwd: dir });
          await git(dir, 'commit', '-qam', 'busy');
          await git(dir, 'push', '-q', 'origin', 'HEAD');
        },
      },
    );
    const r = await auto.run(policies('1.3.0'));
    expect(r.reason).toBe('error');
    expect(r.error?.reason).toBe('conflict');
    expect(r.detail).toMatch(/branch kept moving: 3 attempts refused/);
    expect(await git(await clone(repo), 'rev-list', '--count', 'HEAD')).toBe('4');
  });

  it('protected branch (403 on push): a clear error, then exactly one bump once pushes are allowed', async () => {
    const { repo, auto } = await setup();
    await setRejectPushes(info, true);
    let r;
    try {
      r = await auto.run(policies('3.0.0'));
    } finally {
      await setRejectPushes(info, false);
    }
    expect(r.reason).toBe('error');
    expect(r.error?.reason).toBe('push-rejected');
    expect(r.detail).toContain(`${info.url}${repo}.git`);
    expect(r.detail).toContain('branch main');
    expect(r.detail).toMatch(/403/);
    expect(`${r.detail} ${JSON.stringify(r.error)}`).not.toContain(info.password);
    expect(auto.status.lastError).toBe(r.detail);
    expect(await git(await clone(repo), 'rev-list', '--count', 'HEAD')).toBe('1');
    const ok = await auto.run(policies('3.0.0'));
    expect(ok.reason).toBe('pushed');
    expect((await auto.run(policies('3.0.0'))).reason).toBe('no-change');
    expect(await git(await clone(repo), 'rev-list', '--count', 'HEAD')).toBe('2');
    expect(auto.status.lastError).toBeUndefined();
    await fsck(repo);
  });

  it('a different push branch starts from the source branch and leaves it alone', async () => {
    const { repo, auto } = await setup(SEED, { branch: 'image-updates' });
    const r = await auto.run(policies('4.0.0'));
    expect(r.reason).toBe('pushed');
    const dir = await clone(repo);
    const main = await git(dir, 'rev-parse', 'origin/main');
    expect(await git(dir, 'rev-parse', 'origin/image-updates^')).toBe(main);
    expect(await git(dir, 'rev-list', '--count', 'origin/main')).toBe('1');
    // The next run builds on the push branch: nothing to do.
    expect((await auto.run(policies('4.0.0'))).reason).toBe('no-change');
  });

  it('signs the commit with an SSH ed25519 key, verifiable by git', async () => {
    const key = join(tmp, `key-${n++}`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bot', '-f', key]);
    const { repo, auto } = await setup(SEED, { signingKey: { file: key } });
    const r = await auto.run(policies('5.0.0'));
    expect(r.reason, r.detail).toBe('pushed');
    const dir = await clone(repo);
    const signers = join(tmp, `signers-${n++}`);
    const pub = readFileSync(`${key}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    writeFileSync(signers, `bot@example.com ${pub}\n`);
    const out = await run('git', ['-C', dir, '-c', `gpg.ssh.allowedSignersFile=${signers}`, 'verify-commit', 'HEAD']);
    expect(out.stderr).toMatch(/Good "git" signature for bot@example.com with ED25519 key/);
    const raw = await run('git', ['-C', dir, 'cat-file', 'commit', 'HEAD'], { encoding: 'buffer' });
    expect(verifyCommitSignature(r.commit as string, raw.stdout, `bot@example.com ${pub}\n`).principals).toContain('bot@example.com');
    await fsck(repo);
  });

  it('figures: one run over 200 YAML files with 50 markers', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) {
      const marked = i % 4 === 0;
      files[`deploy/svc-${String(i).padStart(3, '0')}/deployment.yaml`] = APP.replace('name: app #', `name: app-${i} #`).replace(
        /image: .*\n {8}- name: side\n.*\n/,
        marked ? `image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "app"}\n` : 'image: ghcr.io/acme/app:1.0.0\n',
      );
    }
    const { repo, auto } = await setup(files);
    const cold = await auto.run(policies('9.9.9'));
    expect(cold.reason, cold.detail).toBe('pushed');
    expect(cold.changes).toHaveLength(50);
    const warm = await auto.run(policies('9.9.10'));
    expect(warm.changes).toHaveLength(50);
    const idle = await auto.run(policies('9.9.10'));
    expect(idle.reason).toBe('no-change');
    console.log(
      `[figures] 200 YAML files, 50 markers: first run (fetch + edit + commit + push) ${cold.durationMs.toFixed(0)} ms; ` +
        `next bump ${warm.durationMs.toFixed(0)} ms; no-change run ${idle.durationMs.toFixed(0)} ms; ${auto.writer.traffic.requests} requests`,
    );
    expect(await git(await clone(repo), 'show', '--stat', '--format=', 'HEAD')).toMatch(
      /50 files changed, 50 insertions\(\+\), 50 deletions\(-\)/,
    );
    await fsck(repo);
  });

  it("Kustomization, kustomization.yml and manifests: each namespaced marker gets its own namespace's tag", async () => {
    const marked = (ns: string, field = '') => `# {"$imagepolicy": "${ns}:web${field}"}`;
    const files = {
      'deploy/team-a/Kustomization': `kind: Kustomization\nimages:\n  - name: web\n    newTag: 1.0.0 ${marked('team-a', ':tag')}\n`,
      'deploy/team-b/kustomization.yml': `kind: Kustomization\nimages:\n  - name: web\n    newTag: 1.0.0 ${marked('team-b', ':tag')}\n`,
      'deploy/team-a/web.yaml': `image: ghcr.io/a/web:1.0.0 ${marked('team-a')}\n`,
      'deploy/team-b/web.yaml': `image: ghcr.io/b/web:1.0.0 ${marked('team-b')}\n`,
      'deploy/team-c/web.yaml': `image: ghcr.io/c/web:1.0.0 ${marked('team-c')}\n`,
      // Not a marker file: kustomize's name is Kustomization, exactly.
      'deploy/team-a/kustomization': `newTag: 1.0.0 ${marked('team-a', ':tag')}\n`,
    };
    const { repo, auto } = await setup(files);
    const web = (ns: string, image: string, tag: string): ImagePolicyEntry => ({
      name: 'web',
      namespaces: [ns],
      matchAnyNamespace: false,
      value: { image, tag },
    });
    const entries = [web('team-a', 'ghcr.io/a/web', '1.1.0'), web('team-b', 'ghcr.io/b/web', '2.2.0')];
    const r = await auto.run(entries);
    expect(r.reason, r.detail).toBe('pushed');
    expect(r.files).toEqual([
      'deploy/team-a/Kustomization',
      'deploy/team-a/web.yaml',
      'deploy/team-b/kustomization.yml',
      'deploy/team-b/web.yaml',
    ]);
    const dir = await clone(repo);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    expect(read('deploy/team-a/Kustomization')).toBe(files['deploy/team-a/Kustomization'].replace('1.0.0', '1.1.0'));
    expect(read('deploy/team-b/kustomization.yml')).toBe(files['deploy/team-b/kustomization.yml'].replace('1.0.0', '2.2.0'));
    expect(read('deploy/team-a/web.yaml')).toBe(files['deploy/team-a/web.yaml'].replace('1.0.0', '1.1.0'));
    expect(read('deploy/team-b/web.yaml')).toBe(files['deploy/team-b/web.yaml'].replace('1.0.0', '2.2.0'));
    expect(read('deploy/team-c/web.yaml')).toBe(files['deploy/team-c/web.yaml']);
    expect(read('deploy/team-a/kustomization')).toBe(files['deploy/team-a/kustomization']);
    expect(auto.status.skipped).toEqual([
      'deploy/team-c/web.yaml:1: team-c:web: no image policy "web" for namespace "team-c" (image policy "web": namespace team-a; namespace team-b); left unchanged',
    ]);
    // The next run has nothing to write, and does not call the skipped marker up to date.
    const again = await auto.run(entries);
    expect(again.reason).toBe('no-change');
    expect(again.detail).toMatch(/^nothing to change at [0-9a-f]{12}; 1 marker\(s\) skipped \(see skipped\)$/);
    expect(auto.status.skipped).toHaveLength(1);
    await fsck(repo);
  });
});
