// Fuzzing parseConfig (daemon/config): generated valid DaemonConfigs are accepted with their
// values intact; the same configs with one field of a wrong type, out of range or unknown are
// refused with a ConfigError naming the config file and that field's path; arbitrary values
// dropped anywhere in the tree and random YAML text only ever produce a config or a ConfigError.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type DaemonConfig } from '../../daemon/config/index.js';
import { dnsLabel, expectTyped, fuzzParams, fuzzTimeout, timed, yamlishText } from './arbitraries.js';

const FILE = 'fuzz/daemon.yaml';

/** Node's timers hold at most 2^31−1 ms; a longer delay fires after 1 ms instead. */
const TIMER_MAX_MS = 2 ** 31 - 1;

function parse(text: string): DaemonConfig | ConfigError {
  try {
    return timed('parseConfig', () => parseConfig(text, FILE));
  } catch (err) {
    const e = expectTyped(err, [ConfigError], FILE) as ConfigError;
    expect(e.issues.length).toBeGreaterThan(0);
    expect(e.source).toBe(FILE);
    return e;
  }
}

const duration = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 240 }), fc.constantFrom('s', 'm', 'h')).map(([n, u]) => `${n}${u}`),
  fc.constantFrom('1h30m', '90s', '1.5h', '2m30s', '500ms', '240h'),
);
const secretRef = fc.oneof(
  fc.constantFrom('GIT_TOKEN', 'HOOK_SECRET', '_X1').map((env) => ({ env })),
  fc.constantFrom('/run/secrets/t', 'rel/token').map((file) => ({ file })),
);
const ref = fc.oneof(
  fc.constantFrom('main', 'release/1.x', 'dev').map((branch) => ({ branch })),
  fc.constantFrom('v1.2.3', 'latest').map((tag) => ({ tag })),
  fc.constantFrom('>=1.0.0 <2', '~1.4', '1.x').map((semver) => ({ semver })),
  fc.stringMatching(/^[0-9a-f]{40}$/).map((commit) => ({ commit })),
);

interface Gen {
  sources: Record<string, unknown>[];
  syncs: Record<string, unknown>[];
  listen?: string;
}

const validConfig: fc.Arbitrary<Gen> = fc.uniqueArray(dnsLabel, { minLength: 1, maxLength: 2 }).chain((names) =>
  fc.record({
    sources: fc.tuple(
      ...names.map((name) =>
        fc.record(
          {
            name: fc.constant(name),
            url: fc.constantFrom('https://git.example.com/org/repo.git', 'http://127.0.0.1:8080/r.git', 'https://[::1]:9443/x'),
            ref,
            interval: duration,
            jitter: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constantFrom('10%', '2.5%', '0%')),
            credentials: fc.record({ usernameFrom: secretRef, passwordFrom: secretRef }, { requiredKeys: ['passwordFrom'] }),
            webhook: fc.record({ type: fc.constantFrom('github', 'gitlab', 'generic'), secretFrom: secretRef }),
          },
          { requiredKeys: ['name', 'url', 'ref'] },
        ),
      ),
    ),
    syncs: fc.uniqueArray(dnsLabel, { minLength: 1, maxLength: 2 }).chain((syncNames) =>
      fc.tuple(
        ...syncNames.map((name) =>
          fc.record(
            {
              name: fc.constant(name),
              source: fc.constantFrom(...names),
              path: fc.constantFrom('', './clusters/prod', 'apps/', '/deploy'),
              prune: fc.boolean(),
              interval: duration,
              timeout: duration,
              wait: fc.boolean(),
              force: fc.boolean(),
              maxPruneRatio: fc.double({ min: 0, max: 1, noNaN: true }),
              allowEmpty: fc.boolean(),
              targetNamespace: fc.constant('apps'),
              allowedNamespaces: fc.constant(['apps', 'monitoring']),
            },
            { requiredKeys: ['name', 'source'] },
          ),
        ),
      ),
    ),
    listen: fc.option(fc.constantFrom('127.0.0.1:9797', ':8080', '[::1]:65535', '0.0.0.0:1'), { nil: undefined }),
  }),
);

function document(g: Gen): Record<string, unknown> {
  return {
    apiVersion: 'gitops-seal.io/v1alpha1',
    kind: 'DaemonConfig',
    metadata: { name: 'fuzz' },
    spec: { ...(g.listen !== undefined ? { listen: g.listen } : {}), sources: g.sources, syncs: g.syncs },
  };
}

describe('fuzz: daemon config', () => {
  it(
    'generated valid configs are accepted, values intact, timers in range',
    () => {
      fc.assert(
        fc.property(validConfig, (g) => {
          const c = parse(stringify(document(g)));
          if (c instanceof ConfigError) throw new Error(`valid config refused: ${c.message}\n${stringify(document(g))}`);
          expect(c.spec.sources.map((s) => s.name)).toEqual(g.sources.map((s) => s.name));
          expect(c.spec.syncs.map((s) => [s.name, s.source])).toEqual(g.syncs.map((s) => [s.name, s.source]));
          for (const s of c.spec.sources) {
            // The poller waits interval + up to jitter% more: that sum must fit a Node timer.
            expect(s.intervalMs * (1 + s.jitterPercent / 100)).toBeLessThanOrEqual(TIMER_MAX_MS);
            expect(s.intervalMs).toBeGreaterThan(0);
          }
          for (const s of c.spec.syncs) {
            expect(s.intervalMs).toBeLessThanOrEqual(TIMER_MAX_MS);
            expect(s.timeoutMs).toBeLessThanOrEqual(TIMER_MAX_MS);
            expect(s.maxPruneRatio).toBeGreaterThanOrEqual(0);
            expect(s.maxPruneRatio).toBeLessThanOrEqual(1);
          }
        }),
        fuzzParams('config/valid'),
      );
    },
    fuzzTimeout(5),
  );

  // One wrong field: [where (relative to a source or sync), wrong value].
  const WRONG_SOURCE: [string, unknown][] = [
    ['name', 123],
    ['name', 'Bad_Name'],
    ['name', ''],
    ['url', 'ftp://x/y'],
    ['url', 42],
    ['url', 'http://u:p@h/x'],
    ['url', 'not a url'],
    ['interval', 5],
    ['interval', 'five'],
    ['interval', '-1m'],
    ['interval', '0'],
    ['interval', '1e3s'],
    ['interval', '100000h'],
    ['interval', true],
    ['jitter', 'lots'],
    ['jitter', 101],
    ['jitter', -1],
    ['ref', 'main'],
    ['ref', { branch: 'a', tag: 'b' }],
    ['ref', {}],
    ['ref', { commit: 'abc' }],
    ['ref', { semver: 'not-a-range!' }],
    ['webhook', { type: 'bitbucket', secretFrom: { env: 'X' } }],
    ['webhook', { type: 'github' }],
    ['credentials', { passwordFrom: { env: '1BAD' } }],
    ['credentials', { passwordFrom: { env: 'A', file: '/b' } }],
    ['credentials', 'secret'],
  ];
  const WRONG_SYNC: [string, unknown][] = [
    ['name', ['x']],
    ['source', 'no-such-source'],
    ['source', 7],
    ['prune', 'yes'],
    ['prune', 1],
    ['wait', 'true'],
    ['force', 'no'],
    ['maxPruneRatio', 2],
    ['maxPruneRatio', 'half'],
    ['maxPruneRatio', -0.1],
    ['path', '../outside'],
    ['path', 7],
    ['timeout', '3 minutes'],
    ['interval', '100000h'],
    ['targetNamespace', 'Not_Valid'],
    ['allowedNamespaces', ['ok', 'NOT OK']],
    ['allowedNamespaces', 'apps'],
    ['decryption', { age: { identitiesFrom: [] } }],
    ['decryption', { vault: { address: 'vault', auth: {} } }],
    ['kubeconfig', 'file'],
  ];
  const KNOWN = new Set(
    [...WRONG_SOURCE, ...WRONG_SYNC]
      .map(([k]) => k)
      .concat(['credentials', 'webhook', 'verify', 'decryption', 'kubeconfig', 'wait', 'force', 'allowEmpty', 'timeout']),
  );

  const wrong = fc.oneof(
    fc.tuple(fc.constant('sources' as const), fc.constantFrom(...WRONG_SOURCE)),
    fc.tuple(fc.constant('syncs' as const), fc.constantFrom(...WRONG_SYNC)),
    fc.tuple(
      fc.constantFrom('sources' as const, 'syncs' as const),
      fc.tuple(
        fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !KNOWN.has(k) && !/[.[\]]/.test(k)),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    ),
  );

  it(
    'one wrong or unknown field → ConfigError naming the file and the field path',
    () => {
      fc.assert(
        fc.property(validConfig, wrong, fc.nat(), (g, [list, [field, bad]], pick) => {
          const items = g[list];
          const i = pick % items.length;
          const item = items[i] as Record<string, unknown>;
          // defineProperty: a generated `__proto__` must become a key, not the item's prototype.
          Object.defineProperty(item, field, { value: bad, enumerable: true, writable: true, configurable: true });
          const text = stringify(document(g));
          const r = parse(text);
          if (!(r instanceof ConfigError)) throw new Error(`spec.${list}[${i}].${field} = ${JSON.stringify(bad)} was accepted`);
          const at = `spec.${list}[${i}].${field}`;
          // The field itself, one of its sub-fields, or (a sync's unknown source) the field by name.
          expect(
            r.issues.some((x) => x.path === at || x.path.startsWith(`${at}.`) || x.path.startsWith(`${at}[`)),
            `${r.message}\n--- no issue at ${at}`,
          ).toBe(true);
        }),
        fuzzParams('config/one-wrong-field'),
      );
    },
    fuzzTimeout(5),
  );

  it(
    'arbitrary values anywhere in the tree, and random YAML text: a config or a ConfigError',
    () => {
      const placed = fc
        .tuple(
          validConfig,
          fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 3 }),
        )
        .map(([g, drops]) => {
          const doc = document(g);
          for (const [n, key, v] of drops) {
            // Walk n steps into the tree (by object/array members) and set `key` there.
            let node: unknown = doc;
            for (let s = n % 5; s > 0; s--) {
              const kids =
                node !== null && typeof node === 'object' ? Object.values(node).filter((x) => x !== null && typeof x === 'object') : [];
              if (kids.length === 0) break;
              node = kids[(n >> s) % kids.length];
            }
            if (Array.isArray(node)) node[n % (node.length + 1)] = v;
            else if (node !== null && typeof node === 'object') (node as Record<string, unknown>)[key] = v;
          }
          return stringify(doc);
        });
      fc.assert(
        fc.property(fc.oneof(placed, yamlishText, fc.string({ maxLength: 200 })), (text) => {
          parse(text);
        }),
        fuzzParams('config/anything'),
      );
    },
    fuzzTimeout(5),
  );
});
