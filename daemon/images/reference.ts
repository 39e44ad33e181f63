// Image references with Docker's naming rules (distribution/reference's ParseNormalizedNamed):
// `nginx` is `docker.io/library/nginx`, served by `registry-1.docker.io`; the first path component
// is a registry host only when it looks like one (has a "." or ":" or is `localhost`), so
// `team/api` is a Docker Hub repository, while `registry.local:5000/team/api` is not.

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API actually lives. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

export interface ImageReference {
  /** Registry as users write it (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  registry: string;
  /** host[:port] the API requests go to (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository`, the name status and errors use (`docker.io/library/nginx`). */
  canonical: string;
}

export class ReferenceError extends Error {
  override readonly name = 'ReferenceError';
}

// The grammar of distribution/reference (regexp.go), as JavaScript regular expressions.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9A-Fa-f:.]+\]$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const MAX_NAME = 255;

function validHost(host: string): boolean {
  const colon = host.lastIndexOf(':');
  const hasPort = colon > 0 && !host.endsWith(']') && /^\d{1,5}$/.test(host.slice(colon + 1));
  const name = hasPort ? host.slice(0, colon) : host;
  if (hasPort && Number(host.slice(colon + 1)) > 65535) return false;
  if (IPV6_HOST.test(name)) return true;
  return name.split('.').every((c) => DOMAIN_COMPONENT.test(c));
}

/** Whether the first path component names a registry rather than a Docker Hub namespace. */
function looksLikeHost(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

/** Parse `[host[:port]/]path[:tag][@digest]`; throws ReferenceError naming what is wrong. */
export function parseImageReference(input: string): ImageReference {
  const ref = input.trim();
  if (ref === '') throw new ReferenceError('image reference is empty');
  if (/\s/.test(ref)) throw new ReferenceError(`image reference "${input}" contains whitespace`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) throw new ReferenceError(`image reference "${input}" must not have a URL scheme`);

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ReferenceError(`image reference "${input}" has an invalid digest "${digest}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ReferenceError(`image reference "${input}" has an invalid tag "${tag}"`);
  }

  const slash = rest.indexOf('/');
  let registry = DOCKER_HUB;
  let path = rest;
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && looksLikeHost(first)) {
    registry = first;
    path = rest.slice(slash + 1);
    if (!validHost(registry)) throw new ReferenceError(`image reference "${input}" has an invalid registry host "${registry}"`);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;

  if (path === '') throw new ReferenceError(`image reference "${input}" has no repository`);
  for (const c of path.split('/')) {
    if (!PATH_COMPONENT.test(c)) {
      throw new ReferenceError(
        `image reference "${input}": repository component "${c}" must be lowercase letters and digits separated by ".", "_", "__" or "-"`,
      );
    }
  }
  if (registry.length + 1 + path.length > MAX_NAME)
    throw new ReferenceError(`image reference "${input}" is longer than ${MAX_NAME} characters`);

  const out: ImageReference = {
    registry,
    apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry,
    repository: path,
    canonical: `${registry}/${path}`,
  };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** Whether a host[:port] is a loopback address (tests and local registries). */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
