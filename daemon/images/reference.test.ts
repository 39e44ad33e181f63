import { describe, expect, it } from 'vitest';
import { parseImageReference, ReferenceError } from './reference.js';

describe('parseImageReference', () => {
  const cases: [string, string, string, string, string | undefined][] = [
    // input, registry, apiHost, repository, tag
    ['nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx', undefined],
    ['nginx:1.27', 'docker.io', 'registry-1.docker.io', 'library/nginx', '1.27'],
    ['docker.io/library/nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx', undefined],
    ['docker.io/nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx', undefined],
    ['index.docker.io/bitnami/redis', 'docker.io', 'registry-1.docker.io', 'bitnami/redis', undefined],
    ['bitnami/redis', 'docker.io', 'registry-1.docker.io', 'bitnami/redis', undefined],
    ['ghcr.io/org/app', 'ghcr.io', 'ghcr.io', 'org/app', undefined],
    ['registry.local:5000/team/api:v2', 'registry.local:5000', 'registry.local:5000', 'team/api', 'v2'],
    ['localhost/app', 'localhost', 'localhost', 'app', undefined],
    ['localhost:5000/a/b/c', 'localhost:5000', 'localhost:5000', 'a/b/c', undefined],
    ['127.0.0.1:5001/x', '127.0.0.1:5001', '127.0.0.1:5001', 'x', undefined],
    ['Registry/app', 'Registry', 'Registry', 'app', undefined],
    ['[::1]:5000/app', '[::1]:5000', '[::1]:5000', 'app', undefined],
    ['team/sub/api', 'docker.io', 'registry-1.docker.io', 'team/sub/api', undefined],
    ['a/b__c-d.e', 'docker.io', 'registry-1.docker.io', 'a/b__c-d.e', undefined],
  ];
  it.each(cases)('%s', (input, registry, apiHost, repository, tag) => {
    const r = parseImageReference(input);
    expect(r.registry).toBe(registry);
    expect(r.apiHost).toBe(apiHost);
    expect(r.repository).toBe(repository);
    expect(r.tag).toBe(tag);
    expect(r.canonical).toBe(`${registry}/${repository}`);
  });

  it('parses a digest', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference(`ghcr.io/org/app:1.0@${d}`)).toMatchObject({ tag: '1.0', digest: d, repository: 'org/app' });
  });

  it.each([
    '',
    'Nginx',
    'ghcr.io/Org/app',
    'https://ghcr.io/org/app',
    'app:',
    'app:-bad',
    'a//b',
    'ghcr.io/',
    'a b',
    'app@sha256:short',
    'reg:99999/app',
    'a/b_-c',
  ])('rejects %j', (input) => {
    expect(() => parseImageReference(input)).toThrow(ReferenceError);
  });
});
