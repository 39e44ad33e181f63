// Watch: `?watch=1&resourceVersion=` streams line-delimited JSON events. The apiserver
// ends a watch after its timeout; we reconnect from the last resourceVersion seen (objects
// and BOOKMARKs), with a bounded number of consecutive failures. A 410 Gone means our
// resourceVersion is too old: the caller must re-list, so it surfaces as WatchExpiredError.
import type { KubeClient, Query } from './client.js';
import { KubeApiError, parseJsonBody } from './errors.js';
import type { KubeObject, KubeStatus } from './types.js';
import { hideCause } from '../hidden-cause.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions {
  /** Start after this resourceVersion (usually the list's). */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Stops the watch; the generator then returns. */
  signal?: AbortSignal;
  /** Consecutive failed (re)connects tolerated before giving up (default 5). */
  maxReconnects?: number;
  /** First reconnect delay, doubled per consecutive failure (default 500 ms, max 15 s). */
  backoffMs?: number;
  /** Server-side timeout of one watch request (default 300 s). */
  timeoutSeconds?: number;
}

export class WatchExpiredError extends Error {
  override readonly name = 'WatchExpiredError';
  constructor(
    readonly path: string,
    readonly resourceVersion: string | undefined,
  ) {
    super(`watch ${path}: resourceVersion ${resourceVersion ?? '(none)'} expired (410 Gone); re-list required`);
  }
}

export class WatchFailedError extends Error {
  override readonly name = 'WatchFailedError';
  constructor(
    readonly path: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`watch ${path}: gave up after ${attempts} consecutive failures: ${cause instanceof Error ? cause.message : String(cause)}`);
    hideCause(this, cause);
  }
}

/** Split a byte stream into lines; returns the complete lines and keeps the remainder. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    return parts.filter((l) => l.trim() !== '');
  }
}

type RawEvent = { type: WatchEventType | 'ERROR'; object: KubeObject | KubeStatus };

/** Watch a collection path (e.g. `/api/v1/namespaces/x/configmaps`). */
export async function* watch<T extends KubeObject = KubeObject>(
  client: KubeClient,
  path: string,
  opts: WatchOptions = {},
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const maxReconnects = opts.maxReconnects ?? 5;
  const backoff = opts.backoffMs ?? 500;
  let rv = opts.resourceVersion;
  let failures = 0;
  while (!(opts.signal?.aborted ?? false)) {
    const query: Query = {
      watch: 1,
      allowWatchBookmarks: true,
      timeoutSeconds: opts.timeoutSeconds ?? 300,
      resourceVersion: rv,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
    };
    let res;
    try {
      res = await client.stream(path, { query, ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      if (opts.signal?.aborted) return;
      if (err instanceof KubeApiError && err.status === 410) throw new WatchExpiredError(path, rv);
      if (err instanceof KubeApiError && err.status >= 400 && err.status < 500 && err.status !== 429) throw err;
      failures++;
      if (failures > maxReconnects) throw new WatchFailedError(path, failures, err);
      await delay(Math.min(backoff * 2 ** (failures - 1), 15_000), opts.signal);
      continue;
    }
    const lines = new LineSplitter();
    res.setEncoding('utf8');
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        for (const line of lines.push(chunk)) {
          const ev = parseJsonBody<RawEvent>('GET', path, line);
          if (ev.type === 'ERROR') {
            const st = ev.object as KubeStatus;
            if (st.code === 410) throw new WatchExpiredError(path, rv);
            throw new KubeApiError({
              method: 'GET',
              path,
              status: st.code ?? 500,
              reason: st.reason ?? 'Unknown',
              message: st.message ?? 'watch error',
            });
          }
          const obj = ev.object as KubeObject;
          if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
          failures = 0;
          if (ev.type === 'BOOKMARK') continue;
          yield { type: ev.type, object: obj as T };
        }
      }
    } catch (err) {
      if (err instanceof WatchExpiredError || err instanceof KubeApiError) throw err;
      if (opts.signal?.aborted) return;
      // Stream broken mid-way (reset, apiserver restart): reconnect from the last rv.
      failures++;
      if (failures > maxReconnects) throw new WatchFailedError(path, failures, err);
      await delay(Math.min(backoff * 2 ** (failures - 1), 15_000), opts.signal);
    } finally {
      res.destroy();
    }
  }
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
