// Where the daemon finds its renderers. An explicit path wins (GITOPS_SEAL_KUSTOMIZE /
// GITOPS_SEAL_HELM, absolute), else the first executable on the daemon's PATH. The image ships
// both in /usr/local/bin at the versions pinned in test/stack/versions.env; tests pass the
// stack's cached builds explicitly (test/stack/tools.ts findRenderers).
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export type Renderer = 'kustomize' | 'helm';

export class RendererNotFoundError extends Error {
  override readonly name = 'RendererNotFoundError';
  constructor(
    readonly renderer: Renderer,
    detail: string,
  ) {
    super(`${renderer} not found: ${detail}`);
  }
}

const ENV: Record<Renderer, string> = { kustomize: 'GITOPS_SEAL_KUSTOMIZE', helm: 'GITOPS_SEAL_HELM' };

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findRenderer(name: Renderer, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[ENV[name]];
  if (override) {
    if (!isAbsolute(override) || !executable(override)) throw new RendererNotFoundError(name, `${ENV[name]}=${override} is not an absolute path to an executable`);
    return override;
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d !== '')) {
    const p = join(dir, name);
    if (executable(p)) return p;
  }
  throw new RendererNotFoundError(name, `not on PATH; install it or set ${ENV[name]} to its absolute path`);
}
