import { describe, expect, it } from 'vitest';
import { parseHelmManifest, parseOciChartUrl, pickOciTag, tagToVersion, versionToTag } from './oci.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const manifest = (layers: { mediaType: string; digest: string }[], configType = 'application/vnd.cncf.helm.config.v1+json'): Buffer =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: configType, digest: d('a') }, layers }));

describe('OCI chart references', () => {
  it('parses oci:// URLs into registry and repository, refusing tags and digests in the URL', () => {
    expect(parseOciChartUrl('oci://127.0.0.1:5000/charts/web')).toMatchObject({ apiHost: '127.0.0.1:5000', repository: 'charts/web' });
    expect(() => parseOciChartUrl('https://h/c')).toThrow(/oci:\/\//);
    expect(() => parseOciChartUrl('oci://h.io/c:1.0.0')).toThrow(/version/);
    expect(() => parseOciChartUrl(`oci://h.io/c@${d('b')}`)).toThrow(/digest/);
  });

  it('maps build metadata between versions and tags as helm push does', () => {
    expect(versionToTag('1.2.3+build.1')).toBe('1.2.3_build.1');
    expect(tagToVersion('1.2.3_build.1')).toBe('1.2.3+build.1');
  });

  it('picks the highest tag in range, ignoring non-semver tags and prereleases unless asked', () => {
    const tags = ['latest', '0.9.0', '1.0.0', '1.2.0_b1', '1.10.0', '2.0.0-rc.1', 'sha256-abc.sig'];
    expect(pickOciTag(tags, '^1')).toBe('1.10.0');
    expect(pickOciTag(tags, '~1.2')).toBe('1.2.0_b1');
    expect(pickOciTag(tags, undefined)).toBe('1.10.0');
    expect(pickOciTag(tags, '>=2.0.0-0')).toBe('2.0.0-rc.1');
    expect(pickOciTag(tags, '^3')).toBeUndefined();
  });
});

describe('parseHelmManifest', () => {
  it('finds the config and the single chart layer', () => {
    const m = parseHelmManifest(
      manifest([
        { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: d('c') },
        { mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov', digest: d('e') },
      ]),
    );
    expect(m).toEqual({ config: { digest: d('a') }, chart: { digest: d('c') } });
  });
  it('says why a manifest is not a usable chart', () => {
    expect(parseHelmManifest(Buffer.from('{'))).toMatch(/not valid JSON/);
    expect(parseHelmManifest(manifest([], 'application/vnd.oci.image.config.v1+json'))).toMatch(/not a Helm chart/);
    expect(parseHelmManifest(manifest([]))).toMatch(/found 0/);
    expect(parseHelmManifest(manifest([{ mediaType: 'application/tar+gzip', digest: 'md5:x' }]))).toMatch(/no sha256 digest/);
  });
});
