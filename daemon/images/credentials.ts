// Registry credentials from the config: a dockerconfigjson (`{"auths": {"host": {...}}}`, what
// `docker login` and Kubernetes image pull secrets store), a username/password pair, or nothing
// (anonymous). Resolved on every scan so rotated files are picked up without a restart.

import { resolveSecretRef, SecretRefError, describeSecretRef } from '../secret-ref.js';
import { DOCKER_HUB } from './reference.js';
import type { ImageCredentialsSpec } from './types.js';

export interface BasicCredentials {
  username: string;
  password: string;
}

/** What the registry client calls to get credentials; undefined means anonymous. */
export type CredentialsProvider = () => Promise<BasicCredentials | undefined>;

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** `https://index.docker.io/v1/`, `docker.io`, `http://reg:5000/x` → the registry key we match on. */
export function normalizeConfigKey(key: string): string {
  let k = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  k = k.split('/')[0] ?? '';
  k = k.toLowerCase();
  if (k === 'index.docker.io' || k === 'registry-1.docker.io' || k === 'registry.hub.docker.com') return DOCKER_HUB;
  return k;
}

/** Credentials for `registry` in a dockerconfigjson text; undefined when it lists none for it. */
export function credentialsFromDockerConfig(text: string, registry: string, what: string): BasicCredentials | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CredentialsError(`${what} is not valid JSON`);
  }
  const auths = typeof doc === 'object' && doc !== null ? (doc as { auths?: unknown }).auths : undefined;
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) throw new CredentialsError(`${what} has no "auths" mapping`);
  const want = normalizeConfigKey(registry);
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    if (normalizeConfigKey(key) !== want || typeof entry !== 'object' || entry === null) continue;
    const e = entry as { auth?: unknown; username?: unknown; password?: unknown };
    if (typeof e.username === 'string' && typeof e.password === 'string' && e.username !== '') {
      return { username: e.username, password: e.password };
    }
    if (typeof e.auth === 'string') {
      const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new CredentialsError(`${what}: the "auth" entry for ${key} is not base64 of user:password`);
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    throw new CredentialsError(`${what}: the entry for ${key} has neither username/password nor auth`);
  }
  return undefined;
}

/** A provider reading the configured references each time it is called. */
export function credentialsProvider(
  spec: ImageCredentialsSpec | undefined,
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): CredentialsProvider {
  return async () => {
    if (!spec) return undefined;
    try {
      if ('dockerConfigJsonFrom' in spec) {
        const text = await resolveSecretRef(spec.dockerConfigJsonFrom, env);
        return credentialsFromDockerConfig(text, registry, `dockerconfigjson from ${describeSecretRef(spec.dockerConfigJsonFrom)}`);
      }
      const [username, password] = await Promise.all([resolveSecretRef(spec.usernameFrom, env), resolveSecretRef(spec.passwordFrom, env)]);
      return { username, password };
    } catch (e) {
      // SecretRefError messages name the reference, never the value.
      if (e instanceof SecretRefError || e instanceof CredentialsError) throw new CredentialsError(e.message, { cause: e });
      throw e;
    }
  };
}
