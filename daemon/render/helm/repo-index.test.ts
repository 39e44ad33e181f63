import { describe, expect, it } from 'vitest';
import { indexUrl, IndexError, pickChartVersion, resolveChartUrl } from './repo-index.js';

const D = (c: string): string => c.repeat(64);
const index = `apiVersion: v1
entries:
  web:
    - {name: web, version: 1.2.0, appVersion: "2.0", digest: ${D('a')}, urls: [web-1.2.0.tgz]}
    - {name: web, version: 1.10.0, digest: ${D('b')}, urls: ["charts/web-1.10.0.tgz"]}
    - {name: web, version: 2.0.0-rc.1, digest: ${D('c')}, urls: [https://cdn.example.com/web-2.0.0-rc.1.tgz]}
    - {name: web, version: 1.11.0, urls: [web-1.11.0.tgz]}
  other:
    - {name: other, version: 0.1.0, digest: ${D('d')}, urls: []}
`;

describe('indexUrl and resolveChartUrl (Helm ResolveReferenceURL)', () => {
  it('puts index.yaml under the repository path, with or without a trailing slash', () => {
    expect(indexUrl('https://h/charts')).toBe('https://h/charts/index.yaml');
    expect(indexUrl('https://h/charts/')).toBe('https://h/charts/index.yaml');
    expect(indexUrl('https://h')).toBe('https://h/index.yaml');
  });
  it('resolves relative URLs inside the repository directory and keeps absolute ones', () => {
    expect(resolveChartUrl('https://h/charts', 'web-1.0.0.tgz')).toBe('https://h/charts/web-1.0.0.tgz');
    expect(resolveChartUrl('https://h/charts/', 'sub/web.tgz')).toBe('https://h/charts/sub/web.tgz');
    expect(resolveChartUrl('https://h/charts?token=x', 'web.tgz')).toBe('https://h/charts/web.tgz?token=x');
    expect(resolveChartUrl('https://h/charts', 'https://cdn/x.tgz')).toBe('https://cdn/x.tgz');
  });
});

describe('pickChartVersion', () => {
  it('picks the highest stable version in range, numerically not lexically', () => {
    const e = pickChartVersion(index, 'https://h/r', 'web', '^1.0.0 <1.11.0');
    expect(e).toEqual({ name: 'web', version: '1.10.0', url: 'https://h/r/charts/web-1.10.0.tgz', digest: `sha256:${D('b')}` });
  });
  it('keeps appVersion and takes prereleases only when the range names one', () => {
    expect(pickChartVersion(index, 'https://h/r', 'web', '~1.2').appVersion).toBe('2.0');
    expect(pickChartVersion(index, 'https://h/r', 'web', '>=2.0.0-0').version).toBe('2.0.0-rc.1');
  });
  it('refuses an entry without a digest rather than downloading unverifiable bytes', () => {
    expect(() => pickChartVersion(index, 'https://h/r', 'web', undefined)).toThrow(/1\.11\.0 has no sha256 digest/);
  });
  it('names what is missing: chart, version in range, URL', () => {
    const notFound = (f: () => unknown): IndexError => {
      try {
        f();
      } catch (e) {
        return e as IndexError;
      }
      throw new Error('expected an error');
    };
    const a = notFound(() => pickChartVersion(index, 'https://h/r', 'nope', undefined));
    expect(a.message).toMatch(/chart "nope" is not in the repository index/);
    expect(a.notFound).toBe(true);
    const b = notFound(() => pickChartVersion(index, 'https://h/r', 'web', '^3'));
    expect(b.message).toMatch(/no version of "web" matches "\^3" \(index lists 1\.2\.0, 1\.10\.0/);
    expect(b.notFound).toBe(true);
    expect(() => pickChartVersion(index, 'https://h/r', 'other', undefined)).toThrow(/has no URL/);
    expect(() => pickChartVersion(index, 'https://h/r', 'web', '>>1')).toThrow(IndexError);
    expect(() => pickChartVersion('entries: [1', 'https://h/r', 'web', undefined)).toThrow(/not valid YAML/);
    expect(() => pickChartVersion('apiVersion: v1', 'https://h/r', 'web', undefined)).toThrow(/no "entries"/);
  });
});
