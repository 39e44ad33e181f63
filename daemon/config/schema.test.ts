import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from './errors.js';
import { FIELDS } from './fields.js';
import { parseConfig } from './parse.js';
import { validate, type Schema } from '../../test/support/json-schema-subset.js';

const schema = JSON.parse(readFileSync(new URL('./daemonconfig.schema.json', import.meta.url), 'utf8')) as Schema;
const example = readFileSync(new URL('./example.yaml', import.meta.url), 'utf8');
const defs = schema.$defs as Record<string, { properties: Record<string, unknown> }>;

describe('daemonconfig.schema.json', () => {
  it('is draft 2020-12', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it("declares exactly the validator's objects and fields", () => {
    const all: Record<string, readonly string[]> = FIELDS;
    expect(Object.keys(defs).sort()).toEqual(Object.keys(all).sort());
    for (const [name, fields] of Object.entries(all)) {
      expect(Object.keys(defs[name]?.properties ?? {}).sort(), name).toEqual([...fields].sort());
    }
  });

  it('accepts the example config, which the validator accepts too', () => {
    expect(validate(schema, parse(example))).toEqual([]);
    expect(() => parseConfig(example, 'example.yaml')).not.toThrow();
  });

  // Each case must be rejected by both the schema and the validator.
  const base = parse(example) as {
    spec: {
      sources: Record<string, unknown>[];
      syncs: Record<string, unknown>[];
      images: Record<string, unknown>[];
      notifications: { providers: Record<string, unknown>[]; alerts: Record<string, unknown>[] };
      commitStatus: Record<string, unknown>[];
    };
  };
  const mutate = (f: (c: typeof base) => void): unknown => {
    const c = structuredClone(base);
    f(c);
    return c;
  };
  it.each([
    ['unknown top-level field', () => mutate((c) => Object.assign(c, { specs: {} }))],
    ['two refs', () => mutate((c) => Object.assign(c.spec.sources[0] ?? {}, { ref: { branch: 'main', tag: 'v1' } }))],
    ['inline password', () => mutate((c) => Object.assign(c.spec.sources[0] ?? {}, { credentials: { password: 'x' } }))],
    [
      'Secret form where no cluster reads it',
      () =>
        mutate((c) =>
          Object.assign(c.spec.sources[0] ?? {}, { credentials: { passwordFrom: { secret: { namespace: 'a', name: 'b', key: 'c' } } } }),
        ),
    ],
    [
      'env and file in one ref',
      () => mutate((c) => Object.assign(c.spec.sources[0] ?? {}, { webhook: { secretFrom: { env: 'A', file: '/b' } } })),
    ],
    [
      'ssh url without ssh.privateKeyFrom',
      () => mutate((c) => Object.assign(c.spec.sources[0] ?? {}, { url: 'ssh://git@example.com/x.git' })),
    ],
    ['bad duration', () => mutate((c) => Object.assign(c.spec.syncs[0] ?? {}, { interval: '5 minutes' }))],
    ['prune ratio above 1', () => mutate((c) => Object.assign(c.spec.syncs[0] ?? {}, { maxPruneRatio: 2 }))],
    ['empty decryption', () => mutate((c) => Object.assign(c.spec.syncs[0] ?? {}, { decryption: {} }))],
    ['image namespace not a DNS label', () => mutate((c) => Object.assign(c.spec.images[0] ?? {}, { namespace: 'Team_A' }))],
    ['empty image namespace list', () => mutate((c) => Object.assign(c.spec.images[0] ?? {}, { namespace: [] }))],
    [
      'two image policies',
      () => mutate((c) => Object.assign(c.spec.images[0] ?? {}, { policy: { semver: { range: '1.x' }, numerical: {} } })),
    ],
    ['helm and path', () => mutate((c) => Object.assign(c.spec.syncs[3] ?? {}, { path: 'apps' }))],
    [
      'two chart sources',
      () => mutate((c) => Object.assign(c.spec.syncs[3] ?? {}, { helm: { chart: { git: { path: 'c' }, oci: { url: 'oci://r/c' } } } })),
    ],
    [
      'remote host with a scheme',
      () => mutate((c) => Object.assign(c.spec.syncs[2] ?? {}, { render: { kustomize: { allowRemoteHosts: ['https://github.com'] } } })),
    ],
    ['unknown alert event', () => mutate((c) => Object.assign(c.spec.notifications.alerts[0] ?? {}, { events: ['exploded'] }))],
    [
      'provider with url and urlFrom',
      () => mutate((c) => Object.assign(c.spec.notifications.providers[0] ?? {}, { url: 'https://x.example/' })),
    ],
    ['inline commit-status token', () => mutate((c) => Object.assign(c.spec.commitStatus[0] ?? {}, { token: 'ghp_x' }))],
    ['unknown commit-status provider', () => mutate((c) => Object.assign(c.spec.commitStatus[0] ?? {}, { provider: 'bitbucket' }))],
    [
      'two vault auths',
      () =>
        mutate((c) =>
          Object.assign(c.spec.syncs[1] ?? {}, {
            decryption: { vault: { address: 'http://v', auth: { token: { from: { env: 'T' } }, kubernetes: { role: 'r' } } } },
          }),
        ),
    ],
  ])('%s', (_name, make) => {
    const cfg = make();
    expect(validate(schema, cfg).length).toBeGreaterThan(0);
    expect(() => parseConfig(JSON.stringify(cfg), 'case.yaml')).toThrow(ConfigError);
  });
});
