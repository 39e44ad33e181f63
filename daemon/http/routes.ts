// The route table of the daemon's one HTTP listener. Each route is contributed by the part
// that owns it (status, metrics, webhooks, the reconcile trigger) as a RouteSet; the table is
// assembled in one place (daemon.ts) and a path given twice for one method is refused there.
import type { IncomingHttpHeaders } from 'node:http';

export type Method = 'GET' | 'POST';

export interface RouteRequest {
  /** For a `/prefix/:name` route: the decoded last segment ('' for a malformed %-escape, which names nothing). */
  name: string;
  headers: IncomingHttpHeaders;
  /** The body (routes with readBody only; otherwise empty). */
  body: Buffer;
  /** The query string's parameters (empty when there is none). */
  query?: URLSearchParams;
  /** The peer's address as the socket reports it ('' when unknown): the web page's loopback rule reads it. */
  remoteAddress?: string;
}

/** What a streaming reply writes to (server-sent events): chunks until end() or the peer leaves. */
export interface ReplyStream {
  write(chunk: string): void;
  end(): void;
  /** Called once when the peer went away or the server closes (not after end()). */
  onClose(fn: () => void): void;
}

/**
 * JSON (pretty-printed, application/json), text (text/plain; charset=utf-8 unless given), a body
 * with headers of the route's choosing (the web page: HTML, its script, cookies, redirects), or
 * a stream the route keeps writing to (server-sent events).
 */
export type Reply =
  | { status: number; json: unknown }
  | { status: number; text: string; contentType?: string }
  | { status: number; body: string | Buffer; headers: Readonly<Record<string, string | readonly string[]>> }
  | { status: number; headers: Readonly<Record<string, string>>; stream: (out: ReplyStream) => void };

export interface Route {
  method: Method;
  /** An exact path ('/status'), or a prefix and one path segment ('/hooks/:name'). */
  path: string;
  /** Read the body first (capped: 413 past the limit, see body.ts). */
  readBody?: boolean;
  handle(req: RouteRequest): Reply | Promise<Reply>;
}

/** One owner's routes, and what it does while the server is up. */
export interface RouteSet {
  routes: readonly Route[];
  /** Runs when the server listens; what it returns runs when the server closes. */
  open?: () => () => void;
}

export class DuplicateRouteError extends Error {
  constructor(method: Method, path: string) {
    super(`HTTP route ${method} ${path} is given twice`);
    this.name = 'DuplicateRouteError';
  }
}

const PARAM = '/:name';

/** A path segment as a name; malformed %-escapes name nothing (404), they are not a server error. */
function decodeName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

export class RouteTable {
  private readonly exact = new Map<string, Route>();
  /** By method and prefix (with its trailing slash). */
  private readonly prefixed = new Map<string, Route>();

  constructor(sets: readonly RouteSet[]) {
    for (const r of sets.flatMap((s) => s.routes)) {
      const prefix = r.path.endsWith(PARAM) ? r.path.slice(0, -PARAM.length + 1) : undefined;
      const map = prefix === undefined ? this.exact : this.prefixed;
      const key = `${r.method} ${prefix ?? r.path}`;
      if (map.has(key)) throw new DuplicateRouteError(r.method, r.path);
      map.set(key, r);
    }
  }

  /** The route for a request, with the name its path gives; undefined: 404. */
  match(method: string, path: string): { route: Route; name: string } | undefined {
    const route = this.exact.get(`${method} ${path}`);
    if (route) return { route, name: '' };
    const slash = path.lastIndexOf('/');
    const segment = path.slice(slash + 1);
    if (slash <= 0 || segment === '') return undefined;
    const prefixed = this.prefixed.get(`${method} ${path.slice(0, slash + 1)}`);
    return prefixed ? { route: prefixed, name: decodeName(segment) } : undefined;
  }
}
