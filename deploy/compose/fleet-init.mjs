// One-shot init of docker-compose.yml, run in the daemon's own image (node, the gitops-seal CLI
// and isomorphic-git are there; no git binary needed). Does what `npm run demo` does before
// starting the daemon (demo/setup.ts), for the compose services:
//   1. the daemon's kubeconfig: k3s's admin kubeconfig with the server reachable in the network
//   2. an age identity (gitops-seal keygen), kept across restarts in the keys volume
//   3. examples/fleet pushed to the git server with its Secret encrypted by gitops-seal
//      create-secret — only when the repository has no commit yet, so a restart never rewrites
//      history (image automation commits to it); examples/rendered (a Kustomize overlay and a Helm
//      chart) pushed to its branch `rendered` likewise, its Secret and values file encrypted
//   4. the first image tags in the registry (tiny OCI images) for image automation to scan
// Every input is an environment variable (see docker-compose.yml); secrets are never printed.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

// isomorphic-git from the daemon's node_modules (working directory /app in the image).
const require = createRequire(join(process.cwd(), 'package.json'));
const git = require('isomorphic-git');
const http = require('isomorphic-git/http/node');

const IMAGE_PLACEHOLDER = 'registry.example:5000/demo/';
const SECRET_FILE = 'apps/podinfo/credentials.enc.yaml';
const RENDERED_BRANCH = 'rendered';
const OVERLAY_SECRET = 'apps/base/greeter/credentials.enc.yaml';
const VALUES_SECRET = 'clusters/demo/greeter-secrets.enc.yaml';
const IMAGES = [['podinfo', '6.4.0'], ['podinfo', '6.5.0'], ['worker', '1.4.2']];

function env(name, dflt) {
  const v = process.env[name] ?? dflt;
  if (v === undefined || v === '') throw new Error(`fleet-init: environment variable ${name} is not set`);
  return v;
}
const log = (msg) => process.stdout.write(`fleet-init: ${msg}\n`);

async function waitFor(what, fn, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`fleet-init: timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** 1. k3s writes its kubeconfig for https://127.0.0.1:6443; the daemon reaches it as $KUBE_SERVER. */
async function kubeconfig() {
  const src = env('K3S_KUBECONFIG');
  const dest = env('KUBECONFIG_OUT');
  const text = await waitFor(`k3s kubeconfig ${src}`, () => fs.existsSync(src) && fs.readFileSync(src, 'utf8'));
  const out = text.replace(/server: https:\/\/(127\.0\.0\.1|localhost):\d+/g, `server: ${env('KUBE_SERVER')}`);
  writePrivate(dest, out);
  log(`kubeconfig for ${env('KUBE_SERVER')} written to ${dest}`);
}

/** Owned by the daemon's uid, readable by nobody else. */
function writePrivate(path, text) {
  fs.mkdirSync(dirname(path), { recursive: true });
  fs.writeFileSync(path, text, { mode: 0o600 });
  const uid = Number(process.env.OWNER_UID ?? '');
  if (Number.isInteger(uid) && uid > 0 && process.getuid?.() === 0) fs.chownSync(path, uid, uid);
}

/** The gitops-seal CLI; `input` goes to its stdin. Errors name the subcommand, never the arguments. */
function cli(args, cwd, input) {
  const [cmd, ...prefix] = env('GITOPS_SEAL_CLI', 'gitops-seal').split(' ');
  return new Promise((resolve, reject) => {
    // Through `cat |`: node's stdin for a child is a socket, which /dev/stdin cannot open.
    const child = spawn('sh', ['-c', 'cat | "$0" "$@"', cmd, ...prefix, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => reject(new Error(`fleet-init: gitops-seal ${args[0]}: ${err.message}`)));
    child.on('close', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`fleet-init: gitops-seal ${args[0]} exited ${code}: ${stderr.trim().slice(0, 500)}`))));
    child.stdin.end(input ?? '');
  });
}

/** 2. The age identity; its recipient is the `# public key:` line of the identity file. */
async function ageKey() {
  const file = env('AGE_KEY_FILE');
  if (!fs.existsSync(file)) {
    const tmp = `${file}.new`;
    fs.mkdirSync(dirname(file), { recursive: true });
    fs.rmSync(tmp, { force: true });
    await cli(['keygen', '-o', tmp]);
    writePrivate(file, fs.readFileSync(tmp, 'utf8'));
    fs.rmSync(tmp);
    log(`age identity generated in ${file}`);
  }
  const recipient = /public key: (age1[0-9a-z]+)/.exec(fs.readFileSync(file, 'utf8'))?.[1];
  if (!recipient) throw new Error(`fleet-init: ${file} has no "# public key: age1…" line`);
  return recipient;
}

function copyFleet(src, dest, imageBase) {
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const from = join(src, e.name);
    const to = join(dest, e.name);
    if (e.isDirectory()) {
      fs.mkdirSync(to, { recursive: true });
      copyFleet(from, to, imageBase);
    } else if (/\.ya?ml$/.test(e.name)) {
      fs.writeFileSync(to, fs.readFileSync(from, 'utf8').replaceAll(IMAGE_PLACEHOLDER, `${imageBase}/`));
    } else fs.copyFileSync(from, to);
  }
}

/** The branches of the fleet repository (none while Gitea has not created it). */
async function remoteHeads(url, onAuth) {
  return waitFor(`git server ${url}`, async () => {
    try {
      const info = await git.getRemoteInfo2({ http, url, onAuth, protocolVersion: 1 });
      return { refs: info.refs ?? [] };
    } catch (err) {
      // Gitea creates the repository on the first push: "not found" means empty, not down.
      if (err?.data?.statusCode === 404 || /404/.test(String(err?.message))) return { refs: [] };
      throw err;
    }
  });
}

/** Commit every file of `dir` as the first commit of `branch` and push it. */
async function pushTree(dir, url, onAuth, branch, message) {
  await git.init({ fs, dir, defaultBranch: branch });
  const files = walk(dir).filter((f) => !f.startsWith('.git/'));
  for (const filepath of files) await git.add({ fs, dir, filepath });
  const author = { name: 'gitops-seal compose', email: 'compose@gitops-seal.invalid' };
  const sha = await git.commit({ fs, dir, message, author });
  await git.push({ fs, http, dir, url, ref: branch, remoteRef: `refs/heads/${branch}`, onAuth }).catch((err) => {
    throw new Error(`fleet-init: push to ${url} failed: ${err.message}`);
  });
  log(`${files.length} files pushed to ${url} (${branch} ${sha.slice(0, 7)})`);
}

/** 3. Push the fleet unless the repository already has a main branch. */
async function fleet(recipient) {
  const url = env('GIT_URL');
  const onAuth = () => ({ username: env('GIT_USERNAME'), password: env('GIT_PASSWORD') });
  const heads = await remoteHeads(url, onAuth);
  if (heads.refs.some((r) => r.ref === 'refs/heads/main')) {
    log(`${url} already has main: left as it is`);
    return;
  }
  const dir = fs.mkdtempSync(join(tmpdir(), 'fleet-'));
  try {
    copyFleet(env('FLEET_DIR'), dir, `${env('REGISTRY_HOST')}/${env('IMAGE_PREFIX', 'demo')}`);
    fs.writeFileSync(
      join(dir, '.sops.yaml'),
      `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`,
    );
    // A generated demo value: never printed nor on a command line (stdin), only its fingerprint.
    const password = `demo-${randomBytes(12).toString('base64url')}`;
    await cli(['create-secret', 'podinfo-credentials', '-n', 'demo-web', '--from-literal', 'username=demo', '--from-file', 'password=/dev/stdin', '-o', SECRET_FILE], dir, password);
    log(`${SECRET_FILE} encrypted to ${recipient} (password sha256 ${createHash('sha256').update(password).digest('hex').slice(0, 12)}…)`);
    await pushTree(dir, url, onAuth, 'main', 'Initial fleet: namespaces, CRD, podinfo, worker, encrypted Secret');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** 3b. Push examples/rendered to branch `rendered` unless it exists (as demo/rendered.ts does). */
async function rendered(recipient) {
  const url = env('GIT_URL');
  const onAuth = () => ({ username: env('GIT_USERNAME'), password: env('GIT_PASSWORD') });
  const heads = await remoteHeads(url, onAuth);
  if (heads.refs.some((r) => r.ref === `refs/heads/${RENDERED_BRANCH}`)) {
    log(`${url} already has ${RENDERED_BRANCH}: left as it is`);
    return;
  }
  const dir = fs.mkdtempSync(join(tmpdir(), 'rendered-'));
  try {
    copyFleet(env('RENDERED_DIR'), dir, `${env('REGISTRY_HOST')}/${env('IMAGE_PREFIX', 'demo')}`);
    // Values files: every value encrypted; Secrets: data/stringData only (kustomize reads the rest).
    fs.writeFileSync(
      join(dir, '.sops.yaml'),
      `creation_rules:\n  - path_regex: ^clusters/.*\\.enc\\.yaml$\n    age: ${recipient}\n  - path_regex: \\.enc\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`,
    );
    const token = `tok-${randomBytes(12).toString('base64url')}`;
    const apiToken = `api-${randomBytes(12).toString('base64url')}`;
    await cli(['create-secret', 'greeter-credentials', '-n', 'default', '--from-file', 'token=/dev/stdin', '-o', OVERLAY_SECRET], dir, token);
    await cli(['encrypt', '-', '--filename-override', VALUES_SECRET, '-o', VALUES_SECRET], dir, `apiToken: ${apiToken}\n`);
    log(`${OVERLAY_SECRET} and ${VALUES_SECRET} encrypted to ${recipient}`);
    await pushTree(dir, url, onAuth, RENDERED_BRANCH, 'Rendered examples: a Kustomize overlay and a Helm chart, secrets encrypted');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function walk(root, dir = root) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(root, p) : [relative(root, p)];
  });
}

const sha256 = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** 4. A tiny OCI image per tag (one gzipped tar layer holding /TAG), over the Distribution API. */
async function pushImages() {
  const base = env('REGISTRY_URL').replace(/\/+$/, '');
  const user = process.env.REGISTRY_USERNAME;
  const auth = user ? { authorization: `Basic ${Buffer.from(`${user}:${process.env.REGISTRY_PASSWORD ?? ''}`).toString('base64')}` } : {};
  const req = async (method, url, body, headers = {}) => {
    const res = await fetch(url.startsWith('http') ? url : `${base}${url}`, { method, body, headers: { ...auth, ...headers }, redirect: 'manual' });
    if (res.status >= 400) throw new Error(`fleet-init: registry ${method} ${url} -> ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return res;
  };
  await waitFor(`registry ${base}`, async () => (await req('GET', '/v2/')).ok);
  const blob = async (name, bytes) => {
    const digest = sha256(bytes);
    if ((await fetch(`${base}/v2/${name}/blobs/${digest}`, { method: 'HEAD', headers: auth })).ok) return digest;
    const start = await req('POST', `/v2/${name}/blobs/uploads/`);
    const loc = new URL(start.headers.get('location') ?? '', `${base}/`);
    loc.searchParams.set('digest', digest);
    await req('PUT', loc.toString(), bytes, { 'content-type': 'application/octet-stream' });
    return digest;
  };
  for (const [repo, tag] of IMAGES) {
    const name = `${env('IMAGE_PREFIX', 'demo')}/${repo}`;
    const tar = tarOne(tag, `${repo} ${tag}\n`);
    const layer = gzipSync(tar);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await blob(name, config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await blob(name, layer), size: layer.length }],
    }));
    await req('PUT', `/v2/${name}/manifests/${tag}`, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    log(`pushed ${env('REGISTRY_HOST')}/${name}:${tag}`);
  }
}

/** A POSIX tar with one regular file. */
function tarOne(name, content) {
  const data = Buffer.from(content);
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}

try {
  await kubeconfig();
  const recipient = await ageKey();
  await fleet(recipient);
  await rendered(recipient);
  await pushImages();
  log('done');
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
