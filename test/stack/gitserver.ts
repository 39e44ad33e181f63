// A smart-HTTP git server for tests: a small Node HTTP front that runs the real
// `git http-backend` as a CGI program, with basic auth and pushes enabled.
//
// Control endpoint (no auth, loopback only), under <url>_control:
//   POST /_control/reject-pushes {"reject": true|false}   → every git-receive-pack gets 403
//   POST /_control/repos {"name": "x", "files"?: {"path": "content"}}
//        → bare repo <reposDir>/x.git with HEAD on main; with files, one seed commit on main
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { StackError } from './procs.js';
import type { GitInfo, Started } from './types.js';

export class GitServerError extends StackError {
  constructor(message: string) {
    super('git', message);
    this.name = 'GitServerError';
  }
}

const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const COMMITTER = ['-c', 'user.name=gitops-seal test', '-c', 'user.email=test@gitops-seal.invalid'];

function gitBin(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  } catch {
    throw new GitServerError('git not found on PATH: apt-get install -y git');
  }
}

/** Runs git synchronously, turning a failure into an error that carries git's stderr. */
function git(args: string[], cwd?: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    throw new GitServerError(`git ${args.join(' ')} failed: ${stderr.trim()}`);
  }
}

/** Create <reposDir>/<name>.git (bare, default branch main), optionally with one seed commit. */
export function initBareRepo(reposDir: string, name: string, files?: Record<string, string>): string {
  if (!REPO_NAME.test(name) || name.includes('..')) throw new GitServerError(`invalid repo name ${JSON.stringify(name)}`);
  const dir = join(reposDir, `${name}.git`);
  if (existsSync(dir)) throw new GitServerError(`repo ${name} already exists at ${dir}`);
  mkdirSync(dirname(dir), { recursive: true });
  git(['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  if (files && Object.keys(files).length > 0) {
    const work = mkdtempSync(join(tmpdir(), 'gitops-seal-seed-'));
    try {
      git(['init', '--quiet', '--initial-branch=main', work]);
      for (const [path, content] of Object.entries(files)) {
        const target = resolve(work, path);
        if (!target.startsWith(work + sep)) throw new GitServerError(`seed path escapes the repo: ${path}`);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
      git(['add', '--all'], work);
      git([...COMMITTER, 'commit', '--quiet', '-m', 'seed'], work);
      git(['push', '--quiet', dir, 'main'], work);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return dir;
}

interface CgiHead {
  status: number;
  headers: [string, string][];
  rest: Buffer;
}

/** Split CGI output at the first blank line; `Status: 403 Forbidden` sets the HTTP status. */
function parseCgiHead(buf: Buffer): CgiHead | null {
  let end = buf.indexOf('\r\n\r\n');
  let sepLen = 4;
  const lf = buf.indexOf('\n\n');
  if (lf >= 0 && (end < 0 || lf < end)) {
    end = lf;
    sepLen = 2;
  }
  if (end < 0) return null;
  let status = 200;
  const headers: [string, string][] = [];
  for (const line of buf.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers.push([key, value]);
  }
  return { status, headers, rest: buf.subarray(end + sepLen) };
}

function runBackend(req: IncomingMessage, res: ServerResponse, url: URL, reposDir: string, user: string): void {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_PROJECT_ROOT: reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    // Pushes over HTTP are off by default; enable them for this server only.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    // gzip bodies are passed through untouched: http-backend inflates them itself.
    HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
    // Protocol v2 negotiation.
    HTTP_GIT_PROTOCOL: (req.headers['git-protocol'] as string | undefined) ?? '',
  };
  // Without CONTENT_LENGTH (chunked upload) http-backend reads the body to EOF.
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined); // backend may exit before reading everything
  let pending: Buffer = Buffer.alloc(0);
  let headSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headSent) {
      res.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const head = parseCgiHead(pending);
    if (!head) return;
    headSent = true;
    res.writeHead(head.status, head.headers);
    res.write(head.rest);
  });
  child.on('close', (code) => {
    if (!headSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`git http-backend exited ${code}: ${stderr.slice(0, 2000)}`);
      return;
    }
    res.end();
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? {} : JSON.parse(text);
}

function isReceivePack(url: URL): boolean {
  return url.pathname.endsWith('/git-receive-pack') || url.searchParams.get('service') === 'git-receive-pack';
}

/** tmpfs when available: git writes many small files, and the stack's disk is busy with builds. */
function fastTmp(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

export async function startGitServer(): Promise<Started<GitInfo>> {
  gitBin();
  const root = mkdtempSync(join(fastTmp(), 'gitops-seal-git-'));
  const reposDir = join(root, 'repos');
  mkdirSync(reposDir);
  const username = 'seal';
  const password = randomBytes(12).toString('hex');
  const expectedAuth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  let rejectPushes = false;

  const control = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === 'POST' && url.pathname === '/_control/reject-pushes') {
        const body = (await readJson(req)) as { reject?: unknown };
        rejectPushes = body.reject === true;
        return reply(200, { reject: rejectPushes });
      }
      if (req.method === 'POST' && url.pathname === '/_control/repos') {
        const body = (await readJson(req)) as { name?: unknown; files?: unknown };
        if (typeof body.name !== 'string') return reply(400, { error: 'name (string) required' });
        const files = body.files as Record<string, string> | undefined;
        const dir = initBareRepo(reposDir, body.name, files);
        return reply(201, { name: body.name, dir });
      }
      reply(404, { error: `unknown control path ${url.pathname}` });
    } catch (e) {
      reply(e instanceof GitServerError ? 409 : 400, { error: e instanceof Error ? e.message : String(e) });
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/_control/')) {
      void control(req, res, url);
      return;
    }
    if (req.headers.authorization !== expectedAuth) {
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="gitops-seal-git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    if (rejectPushes && isReceivePack(url)) {
      req.resume();
      res.writeHead(403, { 'Content-Type': 'text/plain' });
      res.end('pushes are rejected by the test git server (reject-pushes is on)\n');
      return;
    }
    runBackend(req, res, url, reposDir, username);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  server.unref();
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new GitServerError('git server has no TCP address');
  const url = `http://127.0.0.1:${addr.port}/`;
  return {
    info: { url, username, password, reposDir, controlUrl: `${url}_control` },
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(root, { recursive: true, force: true });
          ok();
        });
      }),
  };
}

async function controlPost(info: GitInfo, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${info.controlUrl}/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { error?: string };
  if (!res.ok) throw new GitServerError(`control ${path} -> ${res.status}: ${json.error ?? ''}`);
  return json;
}

/**
 * Create a bare repo on the running server; returns its clone URL (<url><name>.git).
 * With `files`, main starts with one commit holding them.
 */
export async function createRepo(info: GitInfo, name: string, files?: Record<string, string>): Promise<string> {
  await controlPost(info, 'repos', { name, files });
  return `${info.url}${name}.git`;
}

/** Make every push (git-receive-pack) fail with 403 until called again with false. */
export async function setRejectPushes(info: GitInfo, reject: boolean): Promise<void> {
  await controlPost(info, 'reject-pushes', { reject });
}

/** The clone URL with credentials embedded, for the git CLI. */
export function authedUrl(info: GitInfo, name: string): string {
  const u = new URL(`${info.url}${name}.git`);
  u.username = info.username;
  u.password = info.password;
  return u.toString();
}
