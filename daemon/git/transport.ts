// What a consumer asks of a remote, independent of how it is reached. The HTTP transport
// (isomorphic-git's smart-HTTP client) is one implementation; SSH will be another. Nothing here
// names a protocol: credentials, headers, sockets and timeouts belong to the implementation.
// Every method fails with a GitError (errors.ts), redacted of the credentials it used.
import type { ObjectStore } from './object-io.js';

/** One advertised ref (`peeled`: the commit an annotated tag points at). */
export interface AdvertisedRef {
  ref: string;
  oid: string;
  peeled?: string;
}

export interface ListRefsRequest {
  /** Only refs starting with this (e.g. `refs/heads/`); all refs when absent. */
  prefix?: string;
  /** Report the commit behind annotated tags as `peeled`. */
  peelTags?: boolean;
}

/**
 * Fetch one remote ref (or a sha, where the server allows it) into `store`. Tags are never
 * fetched along; only the one ref's history is negotiated. No local ref is moved: the caller
 * points its own refs at the returned commit.
 */
export interface FetchRequest {
  store: ObjectStore;
  /**
   * Full remote ref name, a 40-hex sha, or `refs/heads/*` (every branch tip). Never resolved
   * through the remote HEAD, which may name a branch that does not exist.
   */
  remoteRef: string;
  /** Local ref whose commit is offered as a "have", so the server sends only what it lacks. */
  haveRef: string;
  /** Shallow depth; full history when absent. */
  depth?: number;
  /**
   * The oid `remoteRef` is known to name (just advertised, or a signed webhook's new head). A
   * transport that can send a want without reading the advertisement first (stateless smart
   * HTTP, once it knows the server's capabilities) asks for this oid directly: one round trip.
   * Others fetch `remoteRef` as usual; `fetchHead` says which commit came.
   */
  knownOid?: string;
}

export interface FetchResult {
  /** The commit that was fetched (the remote may have moved since it was listed), when known. */
  fetchHead: string | null;
}

/** Push `localRef` of `store` to `remoteRef`, fast-forward only. There is no force push. */
export interface PushRequest {
  store: ObjectStore;
  localRef: string;
  remoteRef: string;
}

/** `conflict`: the remote ref moved (not a fast-forward, or the server's compare-and-swap failed). */
export type PushResult = { ok: true } | { ok: false; conflict: string };

/** Traffic of one transport; exported as metrics and asserted on by tests. */
export interface TrafficStats {
  /** Round trips to the remote. */
  requests: number;
  /** Bytes received from it (ref advertisements and packs). */
  bytesReceived: number;
  /**
   * Thin packs that could not be completed safely (upload-pack.ts `pack: 'fallback'`) and were
   * fetched again whole. Each costs a round trip and the changed blobs in full; more than a rare
   * one means a server sends deltas we refuse (a cycle, a chain too deep) — worth a look.
   */
  thinPackFallbacks: number;
}

export interface GitTransport {
  /** The remote's URL without credentials: safe to log. */
  readonly url: string;
  /**
   * Whether `fetch` with `knownOid` costs one round trip (no advertisement of its own), so a
   * caller may run it alongside `listRefs` instead of after it.
   */
  readonly wantsWithoutAdvertisement: boolean;
  readonly stats: Readonly<TrafficStats>;
  listRefs(req?: ListRefsRequest): Promise<AdvertisedRef[]>;
  fetch(req: FetchRequest): Promise<FetchResult>;
  push(req: PushRequest): Promise<PushResult>;
  /** `text` without any credential this transport has used (for consumers' own messages). */
  redact(text: string): string;
}
