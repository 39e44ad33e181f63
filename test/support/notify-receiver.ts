// A receiving HTTP server for notification and commit-status tests. The real GitHub, GitLab,
// Gitea, Slack, Teams and Discord cannot run here, so this server checks each request against
// the shape its public API reference documents — method, path, auth header style, content type,
// body fields and allowed values — answers as the API does (2xx, or 400/401/404 naming the
// problem), and records every request for the test to inspect. It is a shape check, not a fake
// of the services' behaviour. References:
//   GitHub  https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
//   GitLab  https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
//   Gitea   https://gitea.com/api/swagger#/repository/repoCreateStatus (Forgejo: same API)
//   Slack   https://api.slack.com/messaging/webhooks (text, blocks)
//   Teams   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using (Adaptive Card message)
//   Discord https://discord.com/developers/docs/resources/webhook#execute-webhook (content ≤ 2000)
// Paths: /github/repos/{o}/{r}/statuses/{sha}, /gitlab/api/v4/projects/{id}/statuses/{sha},
// /gitea/api/v1/repos/{o}/{r}/statuses/{sha}, /slack/…, /teams/…, /discord/…, /hook/….
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type ReceiverKind = 'github' | 'gitlab' | 'gitea' | 'slack' | 'teams' | 'discord' | 'hook';

export interface Received {
  kind: ReceiverKind;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: unknown;
  /** What did not match the documented shape (empty: accepted). */
  problems: string[];
}

export interface ReceiverOptions {
  /** The token each commit-status API expects. */
  tokens?: Partial<Record<'github' | 'gitlab' | 'gitea', string>>;
  /** The generic webhook's HMAC key: the signature header is checked when set. */
  hookSecret?: string;
}

const STATES = {
  github: ['pending', 'success', 'failure', 'error'],
  gitlab: ['pending', 'running', 'success', 'failed', 'canceled'],
  gitea: ['pending', 'success', 'error', 'failure', 'warning'],
} as const;
const SHA = /^[0-9a-f]{40}$/;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fields(body: Record<string, unknown>, allowed: readonly string[], problems: string[]): void {
  for (const k of Object.keys(body)) if (!allowed.includes(k)) problems.push(`unknown field ${k}`);
}

function optString(body: Record<string, unknown>, k: string, problems: string[], max?: number): void {
  const v = body[k];
  if (v === undefined) return;
  if (typeof v !== 'string') problems.push(`${k} must be a string`);
  else if (max !== undefined && [...v].length > max) problems.push(`${k} longer than ${max}`);
}

function checkStatus(
  kind: 'github' | 'gitlab' | 'gitea',
  path: string,
  headers: IncomingMessage['headers'],
  json: unknown,
  opts: ReceiverOptions,
): string[] {
  const p: string[] = [];
  const re = {
    github: /^\/github\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/,
    gitlab: /^\/gitlab\/api\/v4\/projects\/([^/]+)\/statuses\/([^/]+)$/,
    gitea: /^\/gitea\/api\/v1\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/,
  }[kind];
  const m = re.exec(path);
  if (!m) return [`404: no such route ${path}`];
  const sha = m[m.length - 1] ?? '';
  if (!SHA.test(sha)) p.push(`422: sha ${sha} is not a commit id`);
  if (kind === 'gitlab' && !/^\d+$/.test(decodeURIComponent(m[1] ?? '')) && !(m[1] ?? '').includes('%2F'))
    p.push('404: a project path must be URL-encoded (group%2Fproject)');
  const token = opts.tokens?.[kind];
  const auth = kind === 'gitlab' ? headers['private-token'] : headers.authorization;
  const want = kind === 'github' ? `Bearer ${token}` : kind === 'gitea' ? `token ${token}` : token;
  if (token !== undefined && auth !== want) p.push(`401: ${kind === 'gitlab' ? 'PRIVATE-TOKEN' : 'Authorization'} header missing or wrong`);
  if (kind === 'gitlab' && headers.authorization) p.push('GitLab takes PRIVATE-TOKEN, not Authorization');
  if (!String(headers['content-type'] ?? '').startsWith('application/json')) p.push('415: content-type must be application/json');
  if (!isObj(json)) return [...p, '400: body is not a JSON object'];
  if (!(STATES[kind] as readonly string[]).includes(String(json.state)))
    p.push(`422: state ${String(json.state)} is not one of ${STATES[kind].join(', ')}`);
  if (kind === 'gitlab') {
    fields(json, ['state', 'ref', 'name', 'context', 'target_url', 'description', 'coverage', 'pipeline_id'], p);
    optString(json, 'name', p);
    optString(json, 'description', p, 255);
  } else {
    fields(json, ['state', 'target_url', 'description', 'context'], p);
    if (kind === 'github' && typeof json.context !== 'string') p.push('context must be a string');
    optString(json, 'context', p);
    optString(json, 'description', p, kind === 'github' ? 140 : undefined);
  }
  optString(json, 'target_url', p);
  return p;
}

function checkChat(
  kind: 'slack' | 'teams' | 'discord' | 'hook',
  headers: IncomingMessage['headers'],
  body: string,
  json: unknown,
  opts: ReceiverOptions,
): string[] {
  const p: string[] = [];
  if (!String(headers['content-type'] ?? '').startsWith('application/json')) p.push('content-type must be application/json');
  if (!isObj(json)) return [...p, 'body is not a JSON object'];
  if (kind === 'slack') {
    if (typeof json.text !== 'string' || json.text === '') p.push('text is required');
    if (json.blocks !== undefined) {
      if (!Array.isArray(json.blocks) || json.blocks.length > 50) p.push('blocks must be a list of at most 50');
      else
        for (const b of json.blocks) {
          if (!isObj(b) || typeof b.type !== 'string') p.push('a block without type');
          else if (isObj(b.text) && typeof b.text.text === 'string' && [...b.text.text].length > 3000)
            p.push('a section text longer than 3000');
        }
    }
  } else if (kind === 'teams') {
    const a = Array.isArray(json.attachments) ? json.attachments[0] : undefined;
    if (json.type !== 'message' || !isObj(a) || a.contentType !== 'application/vnd.microsoft.card.adaptive')
      p.push('not a message with an Adaptive Card attachment');
    else if (
      !isObj(a.content) ||
      a.content.type !== 'AdaptiveCard' ||
      typeof a.content.version !== 'string' ||
      !Array.isArray(a.content.body)
    )
      p.push('the attachment is not an AdaptiveCard with version and body');
  } else if (kind === 'discord') {
    if (typeof json.content !== 'string' || json.content === '') p.push('content is required');
    else if ([...json.content].length > 2000) p.push('content longer than 2000');
  } else if (opts.hookSecret !== undefined) {
    const sig = String(headers['x-gitops-seal-signature'] ?? '');
    const want = `sha256=${createHmac('sha256', opts.hookSecret).update(body).digest('hex')}`;
    if (sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(want))) p.push('401: signature missing or wrong');
  }
  return p;
}

export class NotifyReceiver {
  readonly received: Received[] = [];
  /** Answers to give before the checks, by kind: a status code, consumed one per request. */
  readonly failNext: Partial<Record<ReceiverKind, number[]>> = {};
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(opts: ReceiverOptions = {}): Promise<NotifyReceiver> {
    let self: NotifyReceiver | undefined;
    const server = createServer((req, res) => void self?.handle(req, res, opts));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new NotifyReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, opts: ReceiverOptions): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const kind = (path.split('/')[1] ?? '') as ReceiverKind;
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const code = this.failNext[kind]?.shift();
    if (code !== undefined) {
      res.writeHead(code, code === 429 ? { 'retry-after': '0' } : {}).end();
      return;
    }
    let problems: string[];
    if (req.method !== 'POST') problems = ['405: method must be POST'];
    else if (kind === 'github' || kind === 'gitlab' || kind === 'gitea') problems = checkStatus(kind, path, req.headers, json, opts);
    else if (kind === 'slack' || kind === 'teams' || kind === 'discord' || kind === 'hook')
      problems = checkChat(kind, req.headers, body, json, opts);
    else problems = [`404: no such route ${path}`];
    this.received.push({ kind, method: req.method ?? '', path, headers: req.headers, body, json, problems });
    if (problems.length > 0) {
      const status = Number(/^(\d{3}):/.exec(problems[0] ?? '')?.[1] ?? 400);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: problems.join('; ') }));
      return;
    }
    const ok = { github: 201, gitlab: 201, gitea: 201, slack: 200, teams: 202, discord: 204, hook: 200 }[kind];
    res
      .writeHead(ok, ok === 204 ? {} : { 'content-type': 'application/json' })
      .end(ok === 204 ? undefined : JSON.stringify({ id: this.received.length }));
  }

  /** Requests of one kind. */
  of(kind: ReceiverKind): Received[] {
    return this.received.filter((r) => r.kind === kind);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** A TCP port that accepts connections and never answers (a hung endpoint). */
export async function silentServer(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createNetServer((s) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => count,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
