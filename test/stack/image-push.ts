// Pushing test images to the real registry over the Distribution HTTP API v2, with no docker
// or crane: a config blob, real (tiny) gzipped tar layers, a Docker schema2 or OCI manifest,
// and multi-arch indexes. Digests are sha256 of the exact bytes we PUT, which is what the
// registry reports back in Docker-Content-Digest.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** Every manifest type a client may accept, for Accept headers. */
export const ACCEPT_ALL_MANIFESTS = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

export type ManifestFormat = 'oci' | 'docker';

/** What a client needs to reach a registry; RegistryEndpoint satisfies it. */
export interface RegistryTarget {
  url: string;
  username: string;
  password: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface PushImageOptions {
  format?: ManifestFormat;
  /** Number of random layers (default 1). */
  layers?: number;
  /** Bytes of random content per layer (default 256). */
  layerSize?: number;
  platform?: Platform;
  labels?: Record<string, string>;
}

export interface PushedManifest {
  /** sha256:<hex> of the exact manifest bytes PUT. */
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
}

export interface PushedImage extends PushedManifest {
  configDigest: string;
  layerDigests: string[];
  platform: Platform;
}

export interface PushedIndex extends PushedManifest {
  manifests: PushedImage[];
}

export class RegistryHttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    // The body is a registry error JSON; it never carries the credentials we sent.
    super(`registry ${method} ${url} -> ${status}: ${body.slice(0, 500)}`);
    this.name = 'RegistryHttpError';
  }
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** `Bearer realm="..",service="..",scope=".."` -> scheme and params. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) {
    if (m[1] !== undefined && m[2] !== undefined) params[m[1]] = m[2];
  }
  return { scheme, params };
}

export interface RequestOptions {
  /** Repository the request is about: tokens are cached per repository scope. */
  repo?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Statuses that count as success (default 2xx). */
  expect?: number[];
}

/**
 * The tests' registry client (the daemon's own is daemon/images/registry-client.ts): it pushes
 * images and indexes and lists tags back. It answers 401 challenges (Basic or Bearer) once and
 * then sends the resulting Authorization proactively, so bulk work costs one round trip per
 * operation.
 */
export class RegistryPusher {
  private readonly authByScope = new Map<string, string>();
  private readonly basic: string;
  /** Count of tokens fetched from the realm (for tests of token reuse). */
  tokensFetched = 0;

  constructor(readonly target: RegistryTarget) {
    this.basic = `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  }

  /** Absolute URL for a path like /v2/... or for a Location header (which may be relative). */
  resolve(pathOrUrl: string): string {
    return new URL(pathOrUrl, this.target.url).toString();
  }

  async request(method: string, pathOrUrl: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.resolve(pathOrUrl);
    const key = opts.repo ?? '';
    const send = (auth: string | undefined): Promise<Response> =>
      fetch(url, {
        method,
        headers: { ...opts.headers, ...(auth ? { Authorization: auth } : {}) },
        // A view, not the Buffer: with the DOM lib in the program (preact's types) fetch's BodyInit has no Buffer.
        body: opts.body && new Uint8Array(opts.body),
        redirect: 'follow',
      });
    let res = await send(this.authByScope.get(key));
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate');
      await res.arrayBuffer();
      if (!challenge) throw new RegistryHttpError(method, url, 401, 'no WWW-Authenticate challenge');
      const auth = await this.authorize(challenge, opts.repo);
      this.authByScope.set(key, auth);
      res = await send(auth);
    }
    const ok = opts.expect ? opts.expect.includes(res.status) : res.ok;
    if (!ok) throw new RegistryHttpError(method, url, res.status, await res.text());
    return res;
  }

  private async authorize(challenge: string, repo: string | undefined): Promise<string> {
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === 'basic') return this.basic;
    if (scheme !== 'bearer' || !params.realm) {
      throw new RegistryHttpError('GET', this.target.url, 401, `unsupported challenge: ${challenge}`);
    }
    const realm = new URL(params.realm);
    if (params.service) realm.searchParams.set('service', params.service);
    // Ask for pull+push on the repository up front so one token covers every later request.
    const scopes = new Set<string>();
    if (params.scope) for (const s of params.scope.split(' ')) scopes.add(s);
    if (repo) scopes.add(`repository:${repo}:pull,push`);
    for (const s of scopes) realm.searchParams.append('scope', s);
    const res = await fetch(realm, { headers: { Authorization: this.basic } });
    const text = await res.text();
    if (!res.ok) throw new RegistryHttpError('GET', `${realm.origin}${realm.pathname}`, res.status, text);
    const body = JSON.parse(text) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryHttpError('GET', `${realm.origin}${realm.pathname}`, res.status, 'token response without token');
    this.tokensFetched++;
    return `Bearer ${token}`;
  }

  /** Upload a blob unless the registry has it: POST to open an upload, one PUT with the bytes. */
  async pushBlob(repo: string, bytes: Buffer, digest = sha256(bytes)): Promise<string> {
    const head = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { repo, expect: [200, 404] });
    await head.arrayBuffer();
    if (head.status === 200) return digest;
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { repo, expect: [202] });
    await start.arrayBuffer();
    const location = start.headers.get('location');
    if (!location) throw new RegistryHttpError('POST', `/v2/${repo}/blobs/uploads/`, 202, 'no Location header');
    const put = new URL(this.resolve(location));
    put.searchParams.set('digest', digest);
    const done = await this.request('PUT', put.toString(), {
      repo,
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
      expect: [201],
    });
    await done.arrayBuffer();
    return digest;
  }

  /** PUT manifest bytes under a tag or digest; checks the registry computed the same digest. */
  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const digest = sha256(bytes);
    const res = await this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      repo,
      body: bytes,
      headers: { 'Content-Type': mediaType },
      expect: [201],
    });
    await res.arrayBuffer();
    const echoed = res.headers.get('docker-content-digest');
    if (echoed && echoed !== digest) {
      throw new RegistryHttpError('PUT', `/v2/${repo}/manifests/${reference}`, 201, `registry digest ${echoed} != ${digest}`);
    }
    return digest;
  }
}

/** A one-file ustar archive: real tar bytes, so the layer is a valid (tiny) filesystem diff. */
function tarOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
    'ascii',
  );
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0' + '00', 257, 'ascii');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)]);
}

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

function client(target: RegistryTarget | RegistryPusher): RegistryPusher {
  return target instanceof RegistryPusher ? target : new RegistryPusher(target);
}

/**
 * Push one single-platform image and tag it (`tag` may be null to push by digest only, as the
 * platform manifests of an index are). Pass a RegistryPusher to reuse its token across calls.
 */
export async function pushImage(
  target: RegistryTarget | RegistryPusher,
  repo: string,
  tag: string | null,
  opts: PushImageOptions = {},
): Promise<PushedImage> {
  const c = client(target);
  const oci = (opts.format ?? 'oci') === 'oci';
  const platform = opts.platform ?? DEFAULT_PLATFORM;
  const layers: { digest: string; size: number; diffId: string }[] = [];
  for (let i = 0; i < (opts.layers ?? 1); i++) {
    const tar = tarOneFile(`layer-${i}.bin`, randomBytes(opts.layerSize ?? 256));
    const gz = gzipSync(tar);
    layers.push({ digest: await c.pushBlob(repo, gz), size: gz.length, diffId: sha256(tar) });
  }
  const config = Buffer.from(
    JSON.stringify({
      created: new Date().toISOString(),
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Labels: { ...opts.labels } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created_by: 'gitops-seal test stack' })),
    }),
  );
  const configDigest = await c.pushBlob(repo, config);
  const mediaType = oci ? MEDIA.ociManifest : MEDIA.dockerManifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: oci ? MEDIA.ociLayer : MEDIA.dockerLayer, digest: l.digest, size: l.size })),
    }),
  );
  const digest = sha256(manifest);
  await c.putManifest(repo, tag ?? digest, manifest, mediaType);
  return { digest, mediaType, size: manifest.length, bytes: manifest, configDigest, layerDigests: layers.map((l) => l.digest), platform };
}

export interface PushIndexOptions {
  format?: ManifestFormat;
  /** Default: linux/amd64 and linux/arm64. */
  platforms?: Platform[];
}

/** Push one image per platform (by digest), then an OCI index / Docker manifest list under `tag`. */
export async function pushIndex(
  target: RegistryTarget | RegistryPusher,
  repo: string,
  tag: string,
  opts: PushIndexOptions = {},
): Promise<PushedIndex> {
  const c = client(target);
  const format = opts.format ?? 'oci';
  const platforms = opts.platforms ?? [DEFAULT_PLATFORM, { os: 'linux', architecture: 'arm64', variant: 'v8' }];
  const manifests: PushedImage[] = [];
  for (const platform of platforms) manifests.push(await pushImage(c, repo, null, { format, platform }));
  const mediaType = format === 'oci' ? MEDIA.ociIndex : MEDIA.dockerList;
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform })),
    }),
  );
  const digest = await c.putManifest(repo, tag, bytes, mediaType);
  return { digest, mediaType, size: bytes.length, bytes, manifests };
}

export interface PushManyTagsOptions extends PushImageOptions {
  /** Parallel manifest PUTs (default 16: measured 3.6 ms/tag vs 6.8 at 8 on 2 busy cores). */
  concurrency?: number;
}

export interface PushedTags {
  image: PushedImage;
  tags: string[];
  /** Wall time of the tag PUTs alone, in milliseconds. */
  tagMillis: number;
}

/**
 * Push one image, then PUT the same manifest bytes under every tag. Blobs are uploaded once and
 * the token is fetched once, so each extra tag costs a single manifest PUT.
 */
export async function pushManyTags(
  target: RegistryTarget | RegistryPusher,
  repo: string,
  tags: string[],
  opts: PushManyTagsOptions = {},
): Promise<PushedTags> {
  const c = client(target);
  const [first, ...rest] = tags;
  if (first === undefined) throw new Error('pushManyTags: no tags given');
  const image = await pushImage(c, repo, first, opts);
  const started = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rest.length) {
      const tag = rest[next++] as string;
      await c.putManifest(repo, tag, image.bytes, image.mediaType);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 16) }, worker));
  return { image, tags, tagMillis: Date.now() - started };
}
