// SSH remote URLs as git accepts them: `ssh://[user@]host[:port]/path` and the scp-like
// `[user@]host:path` (a path relative to the login's home unless it starts with `/`).

export interface SshUrl {
  user: string;
  host: string;
  port: number;
  /** The repository path as sent to git-upload-pack / git-receive-pack. */
  path: string;
}

/** The user when the URL names none: every Git host's deploy keys log in as `git`. */
const DEFAULT_USER = 'git';
const SCP_LIKE = /^(?:([^@/:\s]+)@)?(\[[^\]]+\]|[^@/:\s]+):(?!\/\/)(.+)$/;

/** Whether git would treat `url` as an SSH remote. */
export function isSshUrl(url: string): boolean {
  if (/^(ssh|git\+ssh|ssh\+git):\/\//i.test(url)) return true;
  // scp-like: a colon before any slash, and not a scheme (`https://…`) or a Windows drive (`C:\`).
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && SCP_LIKE.test(url) && !/^[a-zA-Z]:[\\/]/.test(url);
}

/** Parses an SSH URL; a string says why it cannot be used. */
export function parseSshUrl(url: string): SshUrl | string {
  if (/^(ssh|git\+ssh|ssh\+git):\/\//i.test(url)) {
    let u: URL;
    try {
      u = new URL(url.replace(/^[^:]+:/, 'ssh:'));
    } catch {
      return `"${url}" is not a valid ssh:// URL`;
    }
    if (u.password !== '') return 'an ssh:// URL must not carry a password: give the private key as a reference (ssh.privateKeyFrom)';
    if (u.hostname === '') return `"${url}" names no host`;
    const path = decodeURIComponent(u.pathname);
    if (path === '' || path === '/') return `"${url}" names no repository path`;
    const port = u.port === '' ? 22 : Number(u.port);
    // `ssh://host/~user/repo` is home-relative in git; keep git's meaning.
    return {
      user: u.username === '' ? DEFAULT_USER : decodeURIComponent(u.username),
      host: stripBrackets(u.hostname),
      port,
      path: path.startsWith('/~') ? path.slice(1) : path,
    };
  }
  const m = SCP_LIKE.exec(url);
  if (m === null || /^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    return `"${url}" is not an SSH URL (ssh://[user@]host[:port]/path or user@host:path)`;
  return { user: m[1] ?? DEFAULT_USER, host: stripBrackets(m[2] as string), port: 22, path: m[3] as string };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** How the URL is shown: the form it was given in (an ssh URL carries no secret once a password is refused). */
export function sshDisplay(u: SshUrl): string {
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  return u.port === 22 && !u.path.startsWith('/')
    ? `${u.user}@${host}:${u.path}`
    : `ssh://${u.user}@${host}${u.port === 22 ? '' : `:${u.port}`}${u.path.startsWith('/') ? '' : '/'}${u.path}`;
}

/** The argument git's client passes to the remote command: single-quoted for the shell. */
export function shellQuote(path: string): string {
  return `'${path.replace(/'/g, `'\\''`)}'`;
}
