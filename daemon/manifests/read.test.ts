import { describe, expect, it } from 'vitest';
import { ManifestError } from './errors.js';
import { parseKubeYaml } from './kube-yaml.js';
import { objectKey } from './kube-object.js';
import { decodeFiles, objectsFromDecrypted, objectsFromDocuments, readManifests } from './read.js';

const cm = (name: string, extra = ''): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;

function problemsOf(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ManifestError) return e;
    throw e;
  }
  throw new Error('expected a ManifestError');
}

describe('documents', () => {
  it('splits on --- lines, skips empty and comment-only documents, keeps indexes and lines', () => {
    const text = `---\n${cm('a')}---\n# only a comment\n---\n\n--- # trailing comment ok\n${cm('b')}`;
    const { objects } = readManifests([{ path: 'x.yaml', text }]);
    expect(objects.map((o) => [o.index, o.line, (o.object.metadata as { name: string }).name])).toEqual([
      [0, 2, 'a'],
      [3, 11, 'b'],
    ]);
  });

  it('rejects text after --- like kubectl ("invalid Yaml document separator")', () => {
    const e = problemsOf(() => parseKubeYaml(`${cm('a')}--- foo: 1\n`, 'bad.yaml'));
    expect(e.problems[0]).toMatchObject({ file: 'bad.yaml', line: 5 });
    expect(e.message).toMatch(/invalid YAML document separator/);
  });

  it('reports malformed YAML as file:line:col and collects problems from every file', () => {
    const e = problemsOf(() =>
      readManifests([
        { path: 'a.yaml', text: `${cm('a')}---\nkey: [unclosed\n` },
        { path: 'b.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' },
      ]),
    );
    expect(e.problems.map((p) => [p.file, p.index, p.line])).toEqual([
      ['a.yaml', 1, expect.any(Number)],
      ['b.yaml', 0, 1],
    ]);
    expect(e.problems[0]?.line).toBeGreaterThanOrEqual(6);
    expect(e.message).toMatch(/^2 problems in manifests:\n {2}a\.yaml:\d+:\d+ \(document 1\): YAML syntax error/);
    expect(e.message).toMatch(/b\.yaml:1 \(document 0\): ConfigMap: metadata\.name is missing/);
  });

  it('reports problems file by file (decoding, then documents) though the two steps run apart', () => {
    const bad = `${cm('x')}---\nkey: [unclosed\n`;
    const noName = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n';
    const files = [
      { path: 'a.yaml', text: `${noName}---\n${bad}` },
      { path: 'b.yaml', text: `${noName}---\nkey: [unclosed\n` },
    ];
    const decoded = decodeFiles(files);
    expect(decoded.problems.map((p) => p.file)).toEqual(['a.yaml', 'b.yaml']);
    const e = problemsOf(() => objectsFromDocuments(decoded));
    expect(e.problems.map((p) => [p.file, p.index])).toEqual([
      ['a.yaml', 2],
      ['a.yaml', 0],
      ['b.yaml', 1],
      ['b.yaml', 0],
    ]);
    expect(problemsOf(() => readManifests(files)).message).toBe(e.message);
  });

  it('never echoes a value in error messages', () => {
    const e = problemsOf(() => parseKubeYaml('data:\n  password: !!int s3cr3t-value\n', 'x.yaml'));
    expect(e.message).not.toContain('s3cr3t');
    const j = problemsOf(() => parseKubeYaml('{"a": "s3cr3t-value", }\n{"b": 1}', 'x.json'));
    expect(j.message).not.toContain('s3cr3t');
  });

  it('resolves anchors, aliases and merge keys', () => {
    const [doc] = parseKubeYaml('base: &b {p: 1, q: 2}\nm:\n  <<: *b\n  q: 3\nref: *b\n', 'x.yaml');
    expect(doc).toEqual({ base: { p: 1, q: 2 }, m: { p: 1, q: 3 }, ref: { p: 1, q: 2 } });
  });

  it('rejects alias bombs', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 8; i++)
      text += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    expect(() => parseKubeYaml(text, 'bomb.yaml')).toThrow(/too many nodes/);
  });

  it('stores a "__proto__" key as data, not as the prototype', () => {
    const [doc] = parseKubeYaml('__proto__: {polluted: true}\n', 'x.yaml') as Record<string, unknown>[];
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(Object.keys(doc ?? {})).toEqual(['__proto__']);
  });
});

describe('JSON', () => {
  it('reads JSON files and concatenated JSON streams by content, as kubectl does', () => {
    const one = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { n: '0644' } });
    const { objects } = readManifests([{ path: 'x.json', text: `${one}\n${one.replace('"a"', '"b"')}` }]);
    expect(objects.map((o) => objectKey(o.object))).toEqual(['/ConfigMap//a', '/ConfigMap//b']);
    expect(objects[0]?.object.data).toEqual({ n: '0644' });
  });

  it('falls back to YAML for a flow mapping that is not JSON', () => {
    expect(parseKubeYaml('{a: 0644, b: yes}', 'x.yaml')).toEqual([{ a: 420, b: true }]);
  });

  it('rejects integers JSON.parse would round', () => {
    expect(() => parseKubeYaml('{"a": 1}\n{"b": 9007199254740993}', 'x.json')).toThrow(/outside ±\(2\^53−1\)/);
  });
});

describe('objects', () => {
  it('flattens v1 List and *List kinds, validating each item', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- ${cm('a').replace(/\n/g, '\n  ')}\n- apiVersion: v1\n  kind: SecretList\n  items:\n  - {apiVersion: v1, kind: Secret, metadata: {name: s, namespace: ns}}\n`;
    const { objects } = readManifests([{ path: 'list.yaml', text }]);
    expect(objects.map((o) => [objectKey(o.object), o.item])).toEqual([
      ['/ConfigMap//a', 0],
      ['/Secret/ns/s', 0],
    ]);
    const e = problemsOf(() => readManifests([{ path: 'l.yaml', text: 'apiVersion: v1\nkind: List\nitems:\n- {kind: ConfigMap}\n- 5\n' }]));
    expect(e.problems.map((p) => p.message)).toEqual([
      'items[0]: apiVersion is missing or not a string',
      'items[0]: metadata is missing or not a mapping',
      'items[1]: is not a mapping (an object needs apiVersion, kind and metadata)',
    ]);
  });

  it('requires apiVersion, kind, metadata.name; rejects generateName and bad names/namespaces', () => {
    const msgs = (text: string): string[] => problemsOf(() => readManifests([{ path: 'o.yaml', text }])).problems.map((p) => p.message);
    expect(msgs('apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n')).toEqual([
      'Pod: metadata.generateName is not supported (apply needs a fixed metadata.name)',
    ]);
    expect(msgs('apiVersion: v1\nkind: Pod\nmetadata: {name: a/b, namespace: Bad_NS}\n')).toEqual([
      expect.stringMatching(/metadata\.name is not a valid object name/),
      expect.stringMatching(/metadata\.namespace is not a valid namespace name/),
    ]);
    expect(msgs('apiVersion: 1\nkind: ConfigMap\nmetadata: {name: a}\n')).toEqual(['ConfigMap/a: apiVersion is missing or not a string']);
    expect(msgs('just a string\n')).toEqual(['is not a mapping (an object needs apiVersion, kind and metadata)']);
  });

  it('accepts RBAC-style names with colons and uppercase', () => {
    const text = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "system:Controller:x"}\n';
    expect(readManifests([{ path: 'r.yaml', text }]).objects).toHaveLength(1);
  });

  it('marks SOPS documents encrypted, keeps their text, and validates them after decryption', () => {
    const enc = 'apiVersion: ENC[AES256_GCM,data:abc,type:str]\nkind: Secret\nsops:\n  version: 3.9.0\n';
    const { objects } = readManifests([{ path: 's.yaml', text: `${cm('a')}---\n${enc}` }]);
    expect(objects.map((o) => o.encrypted)).toEqual([false, true]);
    const encrypted = objects[1];
    if (!encrypted) throw new Error('missing');
    expect(encrypted.text).toBe(enc);
    const dec = objectsFromDecrypted(encrypted, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, sops: {} });
    expect(dec).toEqual([
      { file: 's.yaml', index: 1, line: 6, object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }, encrypted: false },
    ]);
    expect(() => objectsFromDecrypted(encrypted, { kind: 'Secret', sops: {} })).toThrow(/s\.yaml:6 \(document 1\): apiVersion is missing/);
  });

  it('ignores kustomization files with a warning and .sops.yaml silently', () => {
    const r = readManifests([
      { path: 'app/kustomization.yaml', text: 'resources: [a.yaml]\n' },
      { path: 'app/.sops.yaml', text: 'creation_rules: []\n' },
      { path: 'app/a.yaml', text: cm('a') },
    ]);
    expect(r.warnings).toEqual(['app/kustomization.yaml: kustomize not supported, file ignored']);
    expect(r.objects).toHaveLength(1);
  });

  it('objectKey is group/Kind/namespace/name', () => {
    expect(objectKey({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'prod' } })).toBe(
      'apps/Deployment/prod/w',
    );
    expect(objectKey({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } })).toBe('/Namespace//prod');
  });
});

describe('large input', () => {
  // Speed is measured by bench/, not asserted here: a timed assertion measures the CI machine's
  // neighbours. This checks that a 5,000-document file is read completely and exactly.
  it("reads 5,000 small objects from one file with kubectl's scalar semantics", () => {
    const docs: string[] = [];
    for (let i = 0; i < 5000; i++) {
      docs.push(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: ns-${i % 7}\n  labels: {app: web, tier: "${i % 3}"}\ndata:\n  key: value-${i}\n  mode: 0644\n  on: yes\n`,
      );
    }
    const { objects } = readManifests([{ path: 'big.yaml', text: docs.join('---\n') }]);
    expect(objects).toHaveLength(5000);
    expect(objects.map((o) => (o.object.metadata as { name?: string } | undefined)?.name)).toEqual(docs.map((_, i) => `cm-${i}`));
    expect(objects[4999]?.object.data).toEqual({ key: 'value-4999', mode: 420, true: true });
  }, 60_000);
});

describe('ciphertext without a sops block', () => {
  const sealed = 'ENC[AES256_GCM,data:c2VjcmV0,iv:aXY=,tag:dGFn,type:str]';
  it('refuses a document whose sops block was removed, naming the file and field, not the value', () => {
    const text = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: a\nstringData:\n  password: ${sealed}\n`;
    expect(() => readManifests([{ path: 'apps/secret.enc.yaml', text }])).toThrow(ManifestError);
    try {
      readManifests([{ path: 'apps/secret.enc.yaml', text: `${text}sopz:\n  version: 3.9.0\n` }]);
      expect.unreachable();
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('apps/secret.enc.yaml');
      expect(msg).toContain('stringData.password');
      expect(msg).toContain('no sops metadata');
      expect(msg).not.toContain('c2VjcmV0');
    }
  });
  it('still reads a value that merely mentions ENC[ and an intact sops document', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  doc: "values look like ENC[AES256_GCM,...]"\n';
    expect(readManifests([{ path: 'c.yaml', text }]).objects).toHaveLength(1);
    const enc = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  p: ${sealed}\nsops:\n  version: 3.9.0\n`;
    expect(readManifests([{ path: 's.yaml', text: enc }]).objects[0]?.encrypted).toBe(true);
  });
});
