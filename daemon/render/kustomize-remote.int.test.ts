// renderKustomize's remote bases and its cache, against the real kustomize (v5.8.1) and the
// stack's git http-backend, on the plain fixtures of daemon/render/testdata/repo (no SOPS here:
// kustomize.int.test.ts has the encrypted inputs and the no-plaintext-at-rest sweep).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirRevision } from '../../test/support/dir-revision.js';
import { findRenderer } from '../../test/stack/tools.js';
import { authedUrl, createRepo } from '../../test/stack/gitserver.js';
import { sharedOrOwnGitServer } from '../../test/support/git-server.js';
import { RenderCache, RenderError, renderKustomize, type KustomizeRenderInput, type KustomizeRenderResult } from './index.js';

const repoDir = fileURLToPath(new URL('./testdata/repo', import.meta.url));
let kustomize: string;
let scratchRoot: string;

function input(over: Partial<KustomizeRenderInput> & Pick<KustomizeRenderInput, 'path' | 'revision'>): KustomizeRenderInput {
  return { sync: 'apps', keys: {}, kustomize, scratchRoot, timeoutMs: 60_000, ...over };
}

beforeAll(() => {
  kustomize = findRenderer('kustomize');
  scratchRoot = mkdtempSync(join(tmpdir(), 'render-scratch-'));
});

afterAll(() => {
  rmSync(scratchRoot, { recursive: true, force: true });
});

describe('renderKustomize: remote base from an allow-listed host', () => {
  it('is refused by default and fetched (real git http-backend) when the host is allow-listed; credentials never in messages', async () => {
    const server = await sharedOrOwnGitServer();
    try {
      const name = `render-remote-${Date.now()}`;
      await createRepo(server.info, name, {
        'base/kustomization.yaml': 'resources:\n  - cm.yaml\n',
        'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote-cm\ndata:\n  a: b\n',
      });
      const url = `${authedUrl(server.info, name)}//base?ref=main`;
      const revision = dirRevision(repoDir, { 'apps/remote-ok/kustomization.yaml': `namespace: team\nresources:\n  - ${url}\n` });
      const host = new URL(server.info.url).hostname;
      const refused = await renderKustomize(input({ path: 'apps/remote-ok', revision })).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RenderError);
      expect((refused as Error).message).toContain(`is a remote reference to ${host}`);
      expect((refused as Error).message).not.toContain(server.info.password);
      const cache = new RenderCache<KustomizeRenderResult>();
      const r = await renderKustomize(input({ path: 'apps/remote-ok', revision, allowRemoteHosts: [host], cache }));
      expect(r.objects.map((o) => [o.object.kind, o.object.metadata.name, o.object.metadata.namespace])).toEqual([
        ['ConfigMap', 'remote-cm', 'team'],
      ]);
      expect(r.warnings.join('\n')).toContain(`allow-listed host ${host}`);
      expect(r.warnings.join('\n')).not.toContain(server.info.password);
      // A remote can move without a commit here: never served from the cache.
      expect((await renderKustomize(input({ path: 'apps/remote-ok', revision, allowRemoteHosts: [host], cache }))).cached).toBe(false);
      expect(readdirSync(scratchRoot)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

describe('renderKustomize: cache', () => {
  it('an unchanged revision and a commit outside the rendered tree do not re-render; a change inside does', async () => {
    const cache = new RenderCache<KustomizeRenderResult>();
    const first = await renderKustomize(input({ path: 'apps/staging', revision: dirRevision(repoDir), cache }));
    expect(first.cached).toBe(false);
    const again = await renderKustomize(input({ path: 'apps/staging', revision: dirRevision(repoDir), cache }));
    expect(again.cached).toBe(true);
    const outside = await renderKustomize(
      input({ path: 'apps/staging', revision: dirRevision(repoDir, { 'apps/production/extra.yaml': 'kind: X\n' }), cache }),
    );
    expect(outside.cached).toBe(true);
    const inside = await renderKustomize(
      input({ path: 'apps/staging', revision: dirRevision(repoDir, { 'apps/base/app.properties': 'log.level=warn\n' }), cache }),
    );
    expect(inside.cached).toBe(false);
    expect(inside.key).not.toBe(first.key);
  });
});
