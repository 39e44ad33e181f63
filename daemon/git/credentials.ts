// Credentials of one remote: where they come from (a provider called before every remote
// operation, else userinfo in the URL), how they go out (HTTP Basic), and the one place that
// remembers which secrets were used so that every error text can be scrubbed of them.
import { hideCause } from '../hidden-cause.js';

export interface GitCredentials {
  username: string;
  password: string;
}

/** Reads credentials from their reference (env, file, Secret) on every call, so rotations need no restart. */
export type CredentialProvider = () => Promise<GitCredentials | undefined>;

/** `https://user:pass@host/x.git` → `https://host/x.git`. Non-URLs are returned unchanged. */
export function stripUserinfo(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    // Not a parseable URL: remove anything that looks like userinfo conservatively.
    return url.replace(/\/\/[^/@\s]*@/g, '//');
  }
}

/** Replace every occurrence of each secret (and its URL-encoded form) in `text` with `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1');
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    for (const form of new Set([s, encodeURIComponent(s), Buffer.from(s).toString('base64')])) {
      out = out.split(form).join('***');
    }
  }
  return out;
}

/** The userinfo of a URL as credentials (percent-decoded), or undefined when it has none. */
export function urlCredentials(url: string): GitCredentials | undefined {
  const u = URL.canParse(url) ? new URL(url) : undefined;
  if (u === undefined || (u.username === '' && u.password === '')) return undefined;
  return { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

/** `Authorization` header value for HTTP Basic. */
export function basicAuthorization(creds: GitCredentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}

/** Why the provider could not be read; its own message may quote what it read, so only the first line is kept. */
export class CredentialProviderError extends Error {
  override readonly name = 'CredentialProviderError';
  constructor(cause: unknown) {
    const msg = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0] ?? '';
    super(`credentials provider failed: ${msg}`);
    hideCause(this, cause);
  }
}

/**
 * The credentials of one remote. The provider wins over URL userinfo; the secrets of the last
 * resolution are remembered for `redact` and `hadCredentials` (a 401 reads differently with and
 * without them).
 */
export class RemoteCredentials {
  private readonly fromUrl: GitCredentials | undefined;
  private lastSecrets: string[] = [];

  constructor(
    rawUrl: string,
    private readonly provider?: CredentialProvider,
  ) {
    this.fromUrl = urlCredentials(rawUrl);
  }

  /** Credentials for the next operation; throws CredentialProviderError when the provider fails. */
  async resolve(): Promise<GitCredentials | undefined> {
    let fromProvider: GitCredentials | undefined;
    try {
      fromProvider = await this.provider?.();
    } catch (err) {
      throw new CredentialProviderError(err);
    }
    const creds = fromProvider ?? this.fromUrl;
    this.lastSecrets = creds === undefined ? [] : [creds.password, `${creds.username}:${creds.password}`];
    return creds;
  }

  /** Whether the last resolution produced credentials. */
  get hadCredentials(): boolean {
    return this.lastSecrets.length > 0;
  }

  /** `text` without URL userinfo and without any secret used so far (plain, URL-encoded, base64). */
  redact(text: string): string {
    return redact(text, [...this.lastSecrets, this.fromUrl?.password]);
  }
}
