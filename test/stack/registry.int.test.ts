// Smoke test of the stack's registries (real CNCF Distribution) and of the push helper:
// token auth end to end, tag pagination via Link headers, digests as clients see them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACCEPT_ALL_MANIFESTS, MEDIA, parseChallenge, pushImage, pushIndex, pushManyTags, RegistryPusher, sha256 } from './image-push.js';
import { startRegistry } from './registry.js';
import type { RegistryInfo, StackInfo, Started } from './types.js';

/** Follow `Link: <...>; rel="next"` until the last page; returns every page's tags in order. */
async function listAllTags(c: RegistryPusher, repo: string, pageSize: number): Promise<{ tags: string[]; pages: number }> {
  const tags: string[] = [];
  let pages = 0;
  let next: string | null = `/v2/${repo}/tags/list?n=${pageSize}`;
  while (next) {
    const res = await c.request('GET', next, { repo });
    const body = (await res.json()) as { name: string; tags: string[] | null };
    expect(body.name).toBe(repo);
    const page = body.tags ?? [];
    expect(page.length).toBeLessThanOrEqual(pageSize);
    tags.push(...page);
    pages++;
    const link = res.headers.get('link');
    next = link ? (/<([^>]+)>;\s*rel="?next"?/.exec(link)?.[1] ?? null) : null;
  }
  return { tags, pages };
}

describe('registry (distribution) + push helper', () => {
  let server: Started<RegistryInfo> | undefined;
  let info: RegistryInfo;
  // Unique per run: the stack may be shared with other test files.
  const ns = `smoke-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    // The shared stack of the global setup when there is one, else registries of our own.
    const shared = inject('stack') as StackInfo | undefined;
    if (shared) info = shared.registry;
    else {
      server = await startRegistry();
      info = server.info;
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 401 with the right challenge on both instances without credentials', async () => {
    const basic = await fetch(`${info.basic.url}/v2/`);
    expect(basic.status).toBe(401);
    expect(parseChallenge(basic.headers.get('www-authenticate') ?? '').scheme).toBe('basic');

    const token = await fetch(`${info.token.url}/v2/some/repo/tags/list`);
    expect(token.status).toBe(401);
    const ch = parseChallenge(token.headers.get('www-authenticate') ?? '');
    expect(ch.scheme).toBe('bearer');
    expect(ch.params.realm).toBe(info.token.tokenRealm);
    expect(ch.params.service).toBe(info.token.service);
    expect(ch.params.scope).toBe('repository:some/repo:pull');

    // The issuer refuses wrong credentials, and the registry refuses wrong basic credentials.
    const wrongToken = await fetch(`${info.token.tokenRealm}?service=${info.token.service}`, {
      headers: { Authorization: `Basic ${Buffer.from('seal:wrong').toString('base64')}` },
    });
    expect(wrongToken.status).toBe(401);
    const wrongBasic = await fetch(`${info.basic.url}/v2/`, {
      headers: { Authorization: `Basic ${Buffer.from('seal:wrong').toString('base64')}` },
    });
    expect(wrongBasic.status).toBe(401);
    // A Bearer token the issuer did not sign is rejected.
    const forged = await fetch(`${info.token.url}/v2/`, { headers: { Authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.e30.AAAA' } });
    expect(forged.status).toBe(401);
  });

  it('pushes 1,200 tags through token auth and lists them page by page via Link headers', async () => {
    const c = new RegistryPusher(info.token);
    const repo = `${ns}/many-tags`;
    const tags = Array.from({ length: 1200 }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
    const t0 = Date.now();
    const pushed = await pushManyTags(c, repo, tags);
    const pushMs = Date.now() - t0;
    // One token for the whole run: the client reuses it for every PUT.
    expect(c.tokensFetched).toBe(1);

    const t1 = Date.now();
    const { tags: listed, pages } = await listAllTags(c, repo, 100);
    const listMs = Date.now() - t1;
    console.log(
      `[registry smoke] 1,200 tags: push ${pushMs} ms (tag PUTs ${pushed.tagMillis} ms, ${(pushed.tagMillis / 1199).toFixed(1)} ms/tag); ` +
        `list ${pages} pages of 100 in ${listMs} ms`,
    );
    // Distribution sends a Link after every full page, so 1,200 tags end with an empty 13th page:
    // clients must accept an empty last page (real registries differ on this).
    expect(pages).toBeGreaterThanOrEqual(12);
    expect(pages).toBeLessThanOrEqual(13);
    expect(listed).toEqual([...tags].sort());
    expect(new Set(listed).size).toBe(1200);

    // HEAD with OCI + Docker Accept types: the digest is the one of the bytes we PUT.
    for (const tag of ['1.0.0', '1.11.99', '1.5.7']) {
      const res = await c.request('HEAD', `/v2/${repo}/manifests/${tag}`, { repo, headers: { Accept: ACCEPT_ALL_MANIFESTS } });
      expect(res.headers.get('docker-content-digest')).toBe(pushed.image.digest);
      expect(res.headers.get('content-type')).toBe(MEDIA.ociManifest);
    }
  });

  it('docker schema2 image and multi-arch index digests match what clients see', async () => {
    for (const endpoint of [info.basic, info.token]) {
      const c = new RegistryPusher(endpoint);
      const dockerRepo = `${ns}/docker`;
      const docker = await pushImage(c, dockerRepo, 'v1', { format: 'docker', layers: 2 });
      const head = await c.request('HEAD', `/v2/${dockerRepo}/manifests/v1`, {
        repo: dockerRepo,
        headers: { Accept: ACCEPT_ALL_MANIFESTS },
      });
      expect(head.headers.get('docker-content-digest')).toBe(docker.digest);
      expect(head.headers.get('content-type')).toBe(MEDIA.dockerManifest);
      const layer = await c.request('GET', `/v2/${dockerRepo}/blobs/${docker.layerDigests[1]}`, { repo: dockerRepo });
      expect(sha256(Buffer.from(await layer.arrayBuffer()))).toBe(docker.layerDigests[1]);

      for (const format of ['oci', 'docker'] as const) {
        const repo = `${ns}/multi-${format}`;
        const index = await pushIndex(c, repo, 'latest', { format });
        const res = await c.request('GET', `/v2/${repo}/manifests/latest`, { repo, headers: { Accept: ACCEPT_ALL_MANIFESTS } });
        const bytes = Buffer.from(await res.arrayBuffer());
        expect(res.headers.get('docker-content-digest')).toBe(index.digest);
        expect(res.headers.get('content-type')).toBe(index.mediaType);
        expect(sha256(bytes)).toBe(index.digest);
        const parsed = JSON.parse(bytes.toString()) as { manifests: { digest: string; platform: { architecture: string } }[] };
        expect(parsed.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
        // Each platform manifest is reachable by digest.
        for (const m of index.manifests) {
          const pm = await c.request('HEAD', `/v2/${repo}/manifests/${m.digest}`, { repo, headers: { Accept: ACCEPT_ALL_MANIFESTS } });
          expect(pm.headers.get('docker-content-digest')).toBe(m.digest);
        }
      }
    }
  });

  it('deletes a manifest by digest (delete.enabled)', async () => {
    const c = new RegistryPusher(info.basic);
    const repo = `${ns}/deletable`;
    const img = await pushImage(c, repo, 'gone');
    const del = await c.request('DELETE', `/v2/${repo}/manifests/${img.digest}`, { repo, expect: [202] });
    await del.arrayBuffer();
    const head = await c.request('HEAD', `/v2/${repo}/manifests/gone`, { repo, expect: [404] });
    expect(head.status).toBe(404);
  });
});
