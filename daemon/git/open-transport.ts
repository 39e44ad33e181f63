// Picks the transport for a remote URL. Only http(s) exists today; an `ssh://` (or scp-like)
// URL will select the SSH transport here, and nothing else in the daemon changes.
import { stripUserinfo, type CredentialProvider } from './credentials.js';
import { HttpTransport } from './http-transport.js';
import type { GitTransport } from './transport.js';

export interface TransportOptions {
  /** Called before every remote operation, so rotated credentials are picked up. */
  auth?: CredentialProvider;
  /** A connection silent for this long fails the operation with reason `network` (default 60 s). */
  idleTimeoutMs?: number;
}

/** Why a URL cannot be used, or undefined when a transport exists for it. */
export function unsupportedUrl(url: string): string | undefined {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed === undefined || !['http:', 'https:'].includes(parsed.protocol)) return `url must be http(s) (got "${stripUserinfo(url)}")`;
  return undefined;
}

/** A remote URL no transport serves (its text carries no credentials). */
export class UnsupportedUrlError extends Error {
  override readonly name = 'UnsupportedUrlError';
}

/** The transport for `url` (which may carry userinfo); UnsupportedUrlError for a URL `unsupportedUrl` refuses. */
export function openTransport(url: string, options: TransportOptions = {}): GitTransport {
  const why = unsupportedUrl(url);
  if (why !== undefined) throw new UnsupportedUrlError(why);
  return new HttpTransport(url, options);
}
