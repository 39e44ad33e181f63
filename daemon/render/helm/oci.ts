// Charts from an OCI registry with the image scanner's registry client (token/basic auth from
// the challenge, credential references, retries, private CA): pick the tag by semver range or
// take the pinned manifest digest, read the Helm manifest, fetch config and chart layer, each
// checked against its digest. Cached by manifest digest, so a pinned chart seen before needs no
// request at all.

import { readFile } from 'node:fs/promises';
import { credentialsProvider } from '../../images/credentials.js';
import { PolicyError, RegistryError } from '../../images/errors.js';
import { compilePolicy } from '../../images/policy.js';
import { parseImageReference, ReferenceError, type ImageReference } from '../../images/reference.js';
import { RegistryClient } from '../../images/registry-client.js';
import { HelmRenderError, type HelmErrorReason } from './errors.js';
import type { FetchContext, FetchedChart } from './http-repo.js';
import type { ChartIdentity, OciChartSource } from './types.js';

export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';
export const HELM_CHART_MEDIA_TYPES = ['application/vnd.cncf.helm.chart.content.v1.tar+gzip', 'application/tar+gzip'];
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** `oci://host[:port]/path/name` → the registry reference (no tag or digest allowed in the URL). */
export function parseOciChartUrl(url: string): ImageReference {
  if (!url.startsWith('oci://')) throw new ReferenceError(`"${url}" does not start with oci://`);
  const ref = parseImageReference(url.slice('oci://'.length));
  if (ref.tag !== undefined || ref.digest !== undefined)
    throw new ReferenceError(`"${url}": put the version in "version" and a digest in "digest", not in the URL`);
  return ref;
}

/** Helm pushes version `1.2.3+build` as tag `1.2.3_build` (`+` is not allowed in tags). */
export function tagToVersion(tag: string): string {
  return tag.replace(/_/g, '+');
}

export function versionToTag(version: string): string {
  return version.replace(/\+/g, '_');
}

/** The highest chart version among `tags` in `range` (no range: highest stable). */
export function pickOciTag(tags: readonly string[], range: string | undefined): string | undefined {
  const byVersion = new Map<string, string>();
  for (const t of tags) if (!byVersion.has(tagToVersion(t))) byVersion.set(tagToVersion(t), t);
  const picked = compilePolicy({ semver: { range: range ?? '*' } }, undefined, []).select([...byVersion.keys()]);
  return picked ? byVersion.get(picked.tag) : undefined;
}

interface HelmManifest {
  config: { digest: string };
  chart: { digest: string };
}

/** The config and chart layer of a Helm chart manifest, or why it is not one. */
export function parseHelmManifest(body: Buffer): HelmManifest | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return 'manifest is not valid JSON';
  }
  const m = (typeof doc === 'object' && doc !== null ? doc : {}) as {
    config?: { mediaType?: unknown; digest?: unknown };
    layers?: unknown;
  };
  if (m.config?.mediaType !== HELM_CONFIG_MEDIA_TYPE)
    return `not a Helm chart: config media type is ${JSON.stringify(m.config?.mediaType ?? null)}, want ${HELM_CONFIG_MEDIA_TYPE}`;
  if (typeof m.config.digest !== 'string' || !DIGEST.test(m.config.digest)) return 'config has no sha256 digest';
  const layers = Array.isArray(m.layers) ? (m.layers as { mediaType?: unknown; digest?: unknown }[]) : [];
  const charts = layers.filter((l) => typeof l.mediaType === 'string' && HELM_CHART_MEDIA_TYPES.includes(l.mediaType));
  if (charts.length !== 1) return `want exactly one chart layer (${HELM_CHART_MEDIA_TYPES[0]}), found ${charts.length}`;
  const digest = charts[0]?.digest;
  if (typeof digest !== 'string' || !DIGEST.test(digest)) return 'chart layer has no sha256 digest';
  return { config: { digest: m.config.digest }, chart: { digest } };
}

export async function fetchOciChart(src: OciChartSource, ctx: FetchContext): Promise<FetchedChart> {
  const fail = (reason: HelmErrorReason, detail: string, cause?: unknown): HelmRenderError =>
    new HelmRenderError({ sync: ctx.sync, reason, subject: src.url, detail, cause });
  let ref: ImageReference;
  try {
    ref = parseOciChartUrl(src.url);
  } catch (e) {
    throw fail('config', (e as Error).message, e);
  }
  if (src.digest !== undefined && !DIGEST.test(src.digest)) throw fail('config', `digest "${src.digest}" is not sha256:<64 hex>`);
  const identityOf = (digest: string, c: { name: string; version: string; appVersion?: string }): ChartIdentity => ({
    name: c.name,
    version: c.version,
    digest,
    source: src.url,
    ...(c.appVersion !== undefined ? { appVersion: c.appVersion } : {}),
  });
  if (src.digest !== undefined) {
    const hit = ctx.cache.get(src.digest);
    if (hit) return { archive: hit.archive, identity: identityOf(src.digest, hit) };
  }

  let ca: Buffer | undefined;
  if (src.caFile !== undefined) {
    try {
      ca = await readFile(src.caFile);
    } catch (e) {
      throw fail('config', `cannot read caFile ${src.caFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, e);
    }
  }
  const client = new RegistryClient({
    ref,
    credentials: credentialsProvider(src.credentials, ref.registry, ctx.env),
    insecure: src.insecure === true,
    timeoutMs: ctx.timeoutMs,
    retry: { maxAttempts: 3 },
    ...(ca !== undefined ? { ca } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  try {
    let reference = src.digest;
    if (reference === undefined) {
      const { tags } = await client.listTags();
      let tag: string | undefined;
      try {
        tag = pickOciTag(tags, src.version);
      } catch (e) {
        if (e instanceof PolicyError) throw fail('config', e.message, e);
        throw e;
      }
      if (tag === undefined) throw fail('not-found', `no tag matches version "${src.version ?? '*'}" (${tags.length} tags)`);
      reference = tag;
    }
    const manifest = await client.getManifest(reference, OCI_MANIFEST);
    const hit = ctx.cache.get(manifest.digest);
    if (hit) return { archive: hit.archive, identity: identityOf(manifest.digest, hit) };
    const parsed = parseHelmManifest(manifest.body);
    if (typeof parsed === 'string') throw fail('fetch', `${reference}: ${parsed}`);
    const config = parseConfig(await client.getBlob(parsed.config.digest));
    if (typeof config === 'string') throw fail('fetch', `${reference}: chart config ${config}`);
    if (src.digest === undefined && versionToTag(config.version) !== reference) {
      throw fail('digest', `tag ${reference} holds chart version ${config.version}`);
    }
    const archive = await client.getBlob(parsed.chart.digest);
    ctx.cache.set(manifest.digest, { archive, ...config });
    return { archive, identity: identityOf(manifest.digest, config) };
  } catch (e) {
    if (e instanceof RegistryError) {
      const reason: HelmErrorReason =
        e.reason === 'not-found' ? 'not-found' : e.reason === 'malformed' && /digest/.test(e.detail) ? 'digest' : 'fetch';
      throw fail(reason, `${e.reason}: ${e.detail}`, e);
    }
    throw e;
  } finally {
    client.close();
  }
}

function parseConfig(body: Buffer): { name: string; version: string; appVersion?: string } | string {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return 'is not valid JSON';
  }
  const c = (typeof doc === 'object' && doc !== null ? doc : {}) as { name?: unknown; version?: unknown; appVersion?: unknown };
  if (typeof c.name !== 'string' || typeof c.version !== 'string') return 'has no name or version';
  return { name: c.name, version: c.version, ...(typeof c.appVersion === 'string' ? { appVersion: c.appVersion } : {}) };
}
