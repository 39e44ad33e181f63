// The web page's routes on the status listener: `/` (every sync), `/syncs/<name>` (one sync),
// their models as JSON under /ui/api/, live updates at /ui/events (server-sent events), the
// script at /ui/app.js and the sign-in form's /ui/login. Every route but the script passes the
// access check first (access.ts). Wired in one place: daemon.ts adds uiRoutes() to the listener.
import { gzipSync } from 'node:zlib';
import type { Reply, RouteRequest, RouteSet } from '../http/index.js';
import { Access, SESSION_COOKIE } from './access.js';
import { loadClientBundle, type Asset } from './assets.js';
import { LiveFeed } from './feed.js';
import { notFoundHtml, PAGE_HEADERS, pageHtml, signInHtml } from './html.js';
import type { UiParts } from './parts.js';
import { SharedStatus } from './shared-status.js';
import { LivePages, MAX_STREAMS } from './sse.js';
import { ViewBuilder } from './view.js';
import type { PageModel } from './web/model.js';

export const SCRIPT_PATH = '/ui/app.js';
/** How often open pages are refreshed from the fleet's status under --shards (UiParts.fleetRefreshMs). */
export const FLEET_REFRESH_MS = 3000;

function acceptsGzip(req: RouteRequest): boolean {
  return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

function htmlReply(req: RouteRequest, status: number, text: string, extra: Record<string, string | string[]> = {}): Reply {
  if (!acceptsGzip(req)) return { status, body: text, headers: { ...PAGE_HEADERS, ...extra } };
  return { status, body: gzipSync(text), headers: { ...PAGE_HEADERS, ...extra, 'content-encoding': 'gzip', vary: 'accept-encoding' } };
}

/** A redirect target from the sign-in form: a path of this server only. */
function localPath(p: string | null | undefined): string {
  return p && p.startsWith('/') && !p.startsWith('//') && !p.includes('\\') ? p : '/';
}

/** The web page's RouteSet; undefined when spec.ui.enabled is false (nothing is routed). */
export function uiRoutes(parts: UiParts): RouteSet | undefined {
  if (parts.config.spec.ui?.enabled === false) return undefined;
  const access = new Access(parts);
  const feed = new LiveFeed(parts.bus);
  // Under --shards every view reads the fleet's status through one shared read (shared-status.ts).
  const shared = parts.fleetRefreshMs ? new SharedStatus(parts.status) : undefined;
  const views = new ViewBuilder(shared ? { ...parts, status: shared } : parts, feed);
  const live = new LivePages(
    feed,
    (err) => parts.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'web page: building an update failed'),
    shared && parts.fleetRefreshMs ? { everyMs: parts.fleetRefreshMs, read: () => shared.refresh() } : undefined,
  );
  let bundle: Asset | undefined;
  const scriptUrl = (): string | undefined => (bundle ? `${SCRIPT_PATH}?v=${bundle.etag}` : undefined);

  /** Refused: the sign-in form for pages (none when no token can open it), a JSON error for data. */
  const refuse = (req: RouteRequest, status: 401 | 403 | 503, why: string, page: boolean, path: string, failed?: string): Reply => {
    if (!page) return { status, json: { error: why } };
    return htmlReply(req, status, signInHtml({ why, form: status !== 403, next: path, ...(failed ? { failed } : {}) }));
  };

  /** `signedIn`: the request came with a session cookie, so the page offers Sign out. */
  const gated =
    (page: boolean, pathOf: (req: RouteRequest) => string, fn: (req: RouteRequest, signedIn: boolean) => Promise<Reply>) =>
    async (req: RouteRequest): Promise<Reply> => {
      const v = await access.check(req.headers);
      if (!v.ok) return refuse(req, v.status, v.why, page, pathOf(req));
      return fn(req, v.session === true);
    };

  const notFound = (req: RouteRequest, name: string): Reply => htmlReply(req, 404, notFoundHtml(name));

  const events = async (req: RouteRequest): Promise<Reply> => {
    const name = req.query?.get('sync') ?? undefined;
    const build = (fresh: boolean): Promise<PageModel | undefined> => (name === undefined ? views.overview() : views.sync(name, fresh));
    const first = await build(false);
    if (!first) return { status: 404, json: { error: `no sync named "${name}"` } };
    if (live.streams >= MAX_STREAMS) return { status: 503, json: { error: 'too many open pages' } };
    return {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
      stream: (out) => live.attach(name === undefined ? 'overview' : `sync:${name}`, build, out, first),
    };
  };

  return {
    routes: [
      {
        method: 'GET',
        path: '/',
        handle: gated(
          true,
          () => '/',
          async (req, signedIn) => htmlReply(req, 200, pageHtml(await views.overview(), scriptUrl(), { signedIn })),
        ),
      },
      {
        method: 'GET',
        path: '/syncs/:name',
        handle: gated(
          true,
          (req) => `/syncs/${encodeURIComponent(req.name)}`,
          async (req, signedIn) => {
            const m = await views.sync(req.name);
            return m ? htmlReply(req, 200, pageHtml(m, scriptUrl(), { signedIn })) : notFound(req, req.name);
          },
        ),
      },
      {
        method: 'GET',
        path: '/ui/api/overview',
        handle: gated(
          false,
          () => '/',
          async () => ({ status: 200, json: await views.overview() }),
        ),
      },
      {
        method: 'GET',
        path: '/ui/api/syncs/:name',
        handle: gated(
          false,
          () => '/',
          async (req) => {
            const m = await views.sync(req.name);
            return m ? { status: 200, json: m } : { status: 404, json: { error: `no sync named "${req.name}"` } };
          },
        ),
      },
      { method: 'GET', path: '/ui/events', handle: gated(false, () => '/', events) },
      {
        // The script holds no data: served to anyone, so the sign-in page needs no exception.
        method: 'GET',
        path: SCRIPT_PATH,
        handle: (req) => {
          if (!bundle) return { status: 404, json: { error: 'no client bundle: the page works without it' } };
          const headers = {
            'content-type': 'text/javascript; charset=utf-8',
            'cache-control': 'public, max-age=31536000, immutable',
            'x-content-type-options': 'nosniff',
            etag: `"${bundle.etag}"`,
          };
          return acceptsGzip(req)
            ? { status: 200, body: bundle.gzip, headers: { ...headers, 'content-encoding': 'gzip', vary: 'accept-encoding' } }
            : { status: 200, body: bundle.body, headers };
        },
      },
      {
        method: 'POST',
        path: '/ui/login',
        readBody: true,
        handle: async (req) => {
          const form = new URLSearchParams(req.body.toString('utf8'));
          const next = localPath(form.get('next'));
          if (access.open) return { status: 303, body: '', headers: { location: next } };
          if (!access.configured) {
            const v = await access.check(req.headers);
            return refuse(req, 403, v.ok ? 'the page is closed' : v.why, true, next);
          }
          const r = await access.signIn(form.get('token') ?? '');
          if (!('session' in r))
            return r.status === 401
              ? refuse(req, 401, 'sign in with a bearer token', true, next, 'That token was not accepted.')
              : refuse(req, r.status, r.why, true, next, r.status === 503 ? 'The daemon could not check the token.' : undefined);
          const id = r.session;
          return {
            status: 303,
            body: '',
            headers: {
              location: next,
              'set-cookie': `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800`,
              'cache-control': 'no-store',
            },
          };
        },
      },
      {
        method: 'POST',
        path: '/ui/logout',
        handle: (req) => {
          access.signOut(req.headers);
          return {
            status: 303,
            body: '',
            headers: { location: '/', 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` },
          };
        },
      },
    ],
    open: () => {
      bundle = loadClientBundle((why) => parts.log.warn({ why }, 'web page served without its script'));
      const closeFeed = feed.open();
      feed.onChange(() => shared?.invalidate());
      const closeLive = live.open();
      return () => {
        closeLive();
        closeFeed();
      };
    },
  };
}
