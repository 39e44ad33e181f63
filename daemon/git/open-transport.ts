// Picks the transport for a remote URL: smart HTTP for http(s), SSH for `ssh://` and the
// scp-like `user@host:path`. Nothing else in the daemon knows which one it talks to.
import { stripUserinfo, type CredentialProvider } from './credentials.js';
import { HttpTransport } from './http-transport.js';
import { isSshUrl, parseSshUrl, SshTransport, type SshAuth } from './ssh/index.js';
import type { GitTransport } from './transport.js';

export interface TransportOptions {
  /** Called before every remote operation, so rotated credentials are picked up. */
  auth?: CredentialProvider;
  /** A connection silent for this long fails the operation with reason `network` (default 60 s). */
  idleTimeoutMs?: number;
  /** Private key and known_hosts for an SSH URL (read before every operation). */
  ssh?: SshAuth;
}

/** Why a URL cannot be used, or undefined when a transport exists for it. */
export function unsupportedUrl(url: string): string | undefined {
  if (isSshUrl(url)) {
    const parsed = parseSshUrl(url);
    return typeof parsed === 'string' ? parsed : undefined;
  }
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed === undefined || !['http:', 'https:'].includes(parsed.protocol)) {
    return `url must be http(s), ssh:// or user@host:path (got "${stripUserinfo(url)}")`;
  }
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
  if (isSshUrl(url)) return new SshTransport(url, options.ssh, options.idleTimeoutMs);
  return new HttpTransport(url, options);
}
