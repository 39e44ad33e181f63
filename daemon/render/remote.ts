// Remote references in a kustomization (URLs, `git::`, `github.com/org/repo//path?ref=`,
// `git@host:org/repo`): kustomize fetches them at build time, so a commit could make the daemon
// fetch any URL. Refused unless the sync allow-lists the host. Only a reference that does not
// exist in the revision is considered remote: kustomize itself tries the local path first.

/** The host a remote reference would contact, or undefined when it does not look remote. */
export function remoteHost(value: string): string | undefined {
  let v = value.trim();
  if (v.startsWith('git::')) v = v.slice(5);
  // scp-like `git@github.com:org/repo`
  const scp = /^[\w.-]+@([\w.-]+):(?!\/\/)/.exec(v);
  if (scp?.[1]) return scp[1].toLowerCase();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(v);
  if (scheme?.[2] !== undefined) {
    const authority = scheme[2].replace(/^[^@]*@/, '');
    return authority.replace(/:\d+$/, '').toLowerCase() || undefined;
  }
  // `github.com/org/repo`, `gitlab.example.com/group/repo//dir?ref=v1`: a first segment with a
  // dot that is not a relative path segment.
  const host = /^([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::\d+)?\//i.exec(v);
  if (host?.[1]) return host[1].toLowerCase();
  return undefined;
}

/** Whether `host` is on the allow-list (exact, case-insensitive; `*.example.com` matches subdomains). */
export function hostAllowed(host: string, allow: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allow.some((a) => {
    const p = a.toLowerCase();
    return p.startsWith('*.') ? h.endsWith(p.slice(1)) : h === p;
  });
}
