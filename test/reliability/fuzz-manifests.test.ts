// Fuzzing the manifest reader (daemon/manifests: document splitting, kubectl-style YAML 1.1 and
// JSON-stream decoding, List expansion). Whatever a commit holds, readManifests returns objects
// or throws a ManifestError naming the file — never a TypeError/RangeError, never a hang — and
// valid manifests written as YAML, as a JSON stream or inside a List come back unchanged.
import fc from 'fast-check';
import { Document } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ManifestError, readManifests, type ManifestObject } from '../../daemon/manifests/index.js';
import { dnsLabel, expectTyped, fuzzParams, fuzzTimeout, jsonishText, mutated, timed, trickyString, yamlishText } from './arbitraries.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function read(path: string, text: string): ManifestObject[] | ManifestError {
  try {
    return timed(`readManifests(${path})`, () => readManifests([{ path, text }]).objects);
  } catch (err) {
    const e = expectTyped(err, [ManifestError], path) as ManifestError;
    expect(e.problems.length).toBeGreaterThan(0);
    for (const p of e.problems) expect(p.file).toBe(path);
    return e;
  }
}

/** Realistic manifests (anchors, merge keys, block scalars, a List, a JSON file) to mutate. */
const REAL: { path: string; text: string }[] = [
  {
    path: 'apps/deploy.yaml',
    text: `# app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
  labels: &labels {app: web, tier: "front"}
spec:
  replicas: 3
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels:
        <<: *labels
        extra: yes
    spec:
      containers:
        - name: web
          image: nginx:1.27 # {"$imagepolicy": "apps:web"}
          args: ["--port", '8080', 0x1F]
          env:
            - {name: A, value: "1"}
            - name: B
              value: |
                multi
                line
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: apps}
data:
  key: >-
    folded
    text
  n: "017"
`,
  },
  {
    path: 'lists/list.yaml',
    text: `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: {name: svc, namespace: apps}
    spec: {ports: [{port: 80, targetPort: 8080}]}
  - apiVersion: v1
    kind: ConfigMapList
    items:
      - {apiVersion: v1, kind: ConfigMap, metadata: {name: nested}}
`,
  },
  {
    path: 'json/objects.json',
    text: `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}
{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "apps"}, "stringData": {"a": "b"}}`,
  },
];

describe('fuzz: manifests never crash', () => {
  it(
    'random YAML-token text, JSON-ish text and arbitrary strings',
    () => {
      fc.assert(
        fc.property(
          fc.oneof(yamlishText, jsonishText, fc.string({ maxLength: 200 })),
          fc.constantFrom('a.yaml', 'dir/b.yml', 'c.json'),
          (text, path) => {
            read(path, text);
          },
        ),
        fuzzParams('manifests/random-text'),
      );
    },
    fuzzTimeout(5),
  );

  it(
    'mutated real manifests',
    () => {
      let errors = 0;
      fc.assert(
        fc.property(
          fc.constantFrom(...REAL).chain((f) => mutated(fc.constant(f.text)).map((text) => ({ path: f.path, text }))),
          ({ path, text }) => {
            if (read(path, text) instanceof ManifestError) errors++;
          },
        ),
        fuzzParams('manifests/mutated-real'),
      );
      // The mutations must reach the error paths, not only harmless whitespace.
      expect(errors).toBeGreaterThan(0);
    },
    fuzzTimeout(5),
  );

  it('the unmutated real manifests read cleanly (the mutation base is valid)', () => {
    for (const f of REAL) {
      const r = read(f.path, f.text);
      expect(r).not.toBeInstanceOf(ManifestError);
    }
  });
});

// ---- round trip -------------------------------------------------------------------------------

const leaf: fc.Arbitrary<Json> = fc.oneof(
  trickyString,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(0.5, -2.25, 1e-7, 123456.75),
);
const value: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

const object: fc.Arbitrary<Record<string, Json>> = fc
  .record({
    apiVersion: fc.constantFrom('v1', 'apps/v1', 'example.com/v1alpha1'),
    kind: fc.constantFrom('ConfigMap', 'Secret', 'Deployment', 'Widget'),
    name: dnsLabel,
    namespace: fc.option(dnsLabel, { nil: undefined }),
    labels: fc.option(fc.dictionary(dnsLabel, trickyString, { maxKeys: 3 }), { nil: undefined }),
    body: fc.dictionary(
      fc.string({ maxLength: 12 }).filter((k) => !['apiVersion', 'kind', 'metadata', 'sops', 'items'].includes(k)),
      value,
      { maxKeys: 4 },
    ),
  })
  .map(({ apiVersion, kind, name, namespace, labels, body }) => ({
    ...body,
    apiVersion,
    kind,
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}), ...(labels !== undefined ? { labels } : {}) },
  }));

/** YAML with every string quoted: the property tests the reader, not a serializer's YAML 1.1 knowledge. */
function toYaml(o: Json): string {
  return new Document(o).toString({ defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'QUOTE_DOUBLE', lineWidth: 0 });
}

/** JSON cannot tell -0 from 0 once parsed, nor can kubectl; compare on the JSON text. */
const canon = (v: unknown): string => JSON.stringify(v);

describe('fuzz: generated valid manifests round-trip', () => {
  it(
    'as multi-document YAML, as a JSON stream and inside a List, objects come back equal',
    () => {
      fc.assert(
        fc.property(fc.array(object, { minLength: 1, maxLength: 4 }), fc.boolean(), (objs, leadingSeparator) => {
          const yaml = (leadingSeparator ? '---\n' : '') + objs.map(toYaml).join('---\n');
          const fromYaml = read('rt.yaml', yaml);
          if (fromYaml instanceof ManifestError) throw new Error(`valid YAML refused: ${fromYaml.message}\n${yaml}`);
          expect(fromYaml.map((o) => canon(o.object))).toEqual(objs.map(canon));
          expect(fromYaml.map((o) => o.index)).toEqual(objs.map((_, i) => i));

          const fromJson = read('rt.json', objs.map((o) => JSON.stringify(o)).join('\n'));
          if (fromJson instanceof ManifestError) throw new Error(`valid JSON refused: ${fromJson.message}`);
          expect(fromJson.map((o) => canon(o.object))).toEqual(objs.map(canon));

          const list = read('list.yaml', toYaml({ apiVersion: 'v1', kind: 'List', items: objs }));
          if (list instanceof ManifestError) throw new Error(`valid List refused: ${list.message}`);
          expect(list.map((o) => canon(o.object))).toEqual(objs.map(canon));
          expect(list.map((o) => o.item)).toEqual(objs.map((_, i) => i));
        }),
        fuzzParams('manifests/round-trip'),
      );
    },
    fuzzTimeout(10),
  );
});

describe('fuzz: large files read in linear time', () => {
  // 8,000 objects (2.5 MB) as one JSON stream took 24 s before the line counting was made
  // incremental, 24× the same objects as YAML (4,000: 9×). The JSON stream must read faster than the YAML
  // (a ratio, so a busy machine slows both alike); 30 s per file catches a hang outright.
  it('4,000–5,000-object JSON streams read faster than the same YAML, with exact document lines', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4000, max: 5000 }), (n) => {
        const objs = Array.from({ length: n }, (_, i) => ({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i}`, namespace: 'big' },
          data: { payload: 'x'.repeat(200) },
        }));
        const json = objs.map((o) => JSON.stringify(o)).join('\n');
        const yaml = objs
          .map(
            (o) =>
              `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${o.metadata.name}\n  namespace: big\ndata:\n  payload: ${o.data.payload}\n`,
          )
          .join('---\n');
        let t = performance.now();
        const fromJson = timed('readManifests(big.json)', () => readManifests([{ path: 'big.json', text: json }]).objects, 30_000);
        const jsonMs = performance.now() - t;
        t = performance.now();
        const fromYaml = timed('readManifests(big.yaml)', () => readManifests([{ path: 'big.yaml', text: yaml }]).objects, 30_000);
        const yamlMs = performance.now() - t;
        expect(fromJson).toHaveLength(n);
        expect(fromYaml).toHaveLength(n);
        expect(fromJson.map((o) => o.line)).toEqual(objs.map((_, i) => i + 1));
        expect(jsonMs, `JSON ${jsonMs.toFixed(0)} ms vs YAML ${yamlMs.toFixed(0)} ms`).toBeLessThan(yamlMs);
      }),
      { ...fuzzParams('manifests/large-files'), numRuns: 2 },
    );
  }, 300_000);
});
