import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeScalar } from './edit.js';
import { YamlEditError } from './errors.js';
import { findMarkers, isMarkerFile, markerOf, parseMarkerRef } from './markers.js';
import { applyPolicies, type ChangedFile, type ImagePolicyEntry, type PolicyValue } from './update.js';

const dir = new URL('./testdata/', import.meta.url);
const decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
const corpus = readdirSync(dir)
  .sort()
  .map((name) => ({ path: name, bytes: readFileSync(new URL(name, dir)) }));
const files = corpus.map((f) => ({ path: f.path, text: decoder.decode(f.bytes) }));

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const entry = (name: string, value: PolicyValue | undefined, namespaces: string[] = [], matchAnyNamespace = false): ImagePolicyEntry => ({
  name,
  namespaces,
  matchAnyNamespace,
  ...(value ? { value } : {}),
});
// The corpus's Flux markers name flux-system (podinfo, init) and apps (api).
const policies: ImagePolicyEntry[] = [
  entry('podinfo', { image: 'ghcr.io/stefanprodan/podinfo', tag: '6.5.4' }, ['flux-system']),
  entry('init', { image: 'ghcr.io/acme/init', tag: '1.1.0' }, ['flux-system']),
  entry('sidecar', { image: 'ghcr.io/acme/sidecar', tag: 'v0.2.0' }),
  entry('report', { image: 'ghcr.io/acme/report', tag: '2.4.0', digest: DIGEST }),
  entry('api', { image: 'ghcr.io/acme/api', tag: '1.3.0', digest: DIGEST }, ['apps']),
  entry('num', { image: 'x', tag: '2.0' }),
];

function lines(s: string): string[] {
  return s.split(/(?<=\n)/);
}

/**
 * Independent of the edit code: the two texts have the same lines, every differing line is a
 * reported change, and within it the differing span lies inside the old and the new value.
 */
function assertOnlyMarkedBytesChanged(before: string, after: ChangedFile): void {
  const a = lines(before);
  const b = lines(after.text);
  expect(b.length).toBe(a.length);
  const changedLines = new Set(after.changes.map((c) => c.line - 1));
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (!changedLines.has(i)) {
      expect(Buffer.from(y)).toEqual(Buffer.from(x));
      continue;
    }
    const c = after.changes.find((ch) => ch.line - 1 === i);
    let p = 0;
    while (p < x.length && p < y.length && x[p] === y[p]) p++;
    let s = 0;
    while (s < x.length - p && s < y.length - p && x[x.length - 1 - s] === y[y.length - 1 - s]) s++;
    const midA = x.slice(p, x.length - s);
    const midB = y.slice(p, y.length - s).replace(/^"|"$/g, '');
    expect(c?.old.includes(midA.replace(/^"|"$/g, '')), `line ${i + 1}: ${midA}`).toBe(true);
    expect(c?.new.includes(midB), `line ${i + 1}: ${midB}`).toBe(true);
  }
}

describe('marker comments', () => {
  it.each([
    ['# {"$imagepolicy": "p"}', 'p'],
    ['#{"$imagepolicy":"ns:p:tag"}', 'ns:p:tag'],
    ['##   {"$imagepolicy": "p", "other": "x"}   ', 'p'],
    ['# {"$imagepolicy": "p"} trailing text', undefined],
    ['# {"$imagepolicy": 1}', undefined],
    ['# {"$imagepolicy": "p", "n": 2}', undefined],
    ['# {"$imagepolicy": ""}', undefined],
    ['# $imagepolicy p', undefined],
  ])('%s → %s', (comment, want) => {
    expect(markerOf(comment)).toBe(want);
  });

  it.each([
    ['podinfo', { policy: 'podinfo', field: 'image' }],
    ['podinfo:tag', { policy: 'podinfo', field: 'tag' }],
    ['podinfo:name', { policy: 'podinfo', field: 'name' }],
    ['podinfo:digest', { policy: 'podinfo', field: 'digest' }],
    ['flux-system:podinfo', { namespace: 'flux-system', policy: 'podinfo', field: 'image' }],
    ['flux-system:podinfo:tag', { namespace: 'flux-system', policy: 'podinfo', field: 'tag' }],
  ])('ref %s', (raw, want) => {
    expect(parseMarkerRef(raw)).toEqual({ raw, ...want });
  });

  it.each(['a:b:c:d', 'ns:p:tags', ':p', 'p:', ' p'])('malformed ref %s', (raw) => {
    expect(parseMarkerRef(raw)).toBeUndefined();
  });

  it('anchored and tagged scalars are markers; flow items, keys and top-level scalars are skipped with a reason', () => {
    const text =
      'a: {\n  tag: 1.0.0, # {"$imagepolicy": "api:tag"}\n}\nb: # {"$imagepolicy": "api"}\n  c:1\nl:\n  - &z foo:1 # {"$imagepolicy": "api"}\n  - !!str foo:2 # {"$imagepolicy": "api"}\n';
    const r = findMarkers('x.yaml', text);
    expect(r.markers.map((m) => [m.line, m.value])).toEqual([
      [7, 'foo:1'],
      [8, 'foo:2'],
    ]);
    expect(r.skipped.map((x) => [x.line, x.raw])).toEqual([
      [2, 'api:tag'],
      [4, 'api'],
    ]);
  });

  it('finds markers only on scalars followed by the comment on their line', () => {
    const text = files.find((f) => f.path === 'deployment.yaml')?.text ?? '';
    const found = findMarkers('deployment.yaml', text).markers.map((m) => [m.line, m.style, m.value, m.ref.raw]);
    expect(found).toEqual([
      [17, 'double', 'ghcr.io/acme/init:1.0.0', 'flux-system:init'],
      [20, 'plain', 'ghcr.io/stefanprodan/podinfo:5.0.0', 'flux-system:podinfo'],
      [25, 'single', 'ghcr.io/acme/sidecar:v0.1.0', 'sidecar'],
      [44, 'plain', 'ghcr.io/acme/report:2.3.4', 'report'],
    ]);
  });
});

describe('scalar encoding keeps the style unless plain would change the type', () => {
  it.each([
    ['1.2.3', 'plain', '1.2.3'],
    ['2.0', 'plain', '"2.0"'],
    ['1.10', 'plain', '"1.10"'],
    ['yes', 'plain', '"yes"'],
    ['null', 'plain', '"null"'],
    ['0x1f', 'plain', '"0x1f"'],
    ['v1.0', 'plain', 'v1.0'],
    ["it's", 'single', "'it''s'"],
    ['a"b', 'double', '"a\\"b"'],
  ] as const)('%s as %s → %s', (v, style, want) => {
    expect(encodeScalar(v, style, false)).toBe(want);
  });
});

describe('applyPolicies on a real-world-shaped corpus', () => {
  const res = applyPolicies(files, policies);
  const byPath = new Map(res.changed.map((c) => [c.path, c]));

  it('changes only the marked bytes of every file, byte for byte', () => {
    expect([...byPath.keys()].sort()).toEqual([
      'Kustomization',
      'crlf-bom-nonl.yaml',
      'deployment.yaml',
      'kustomization.yaml',
      'odd.yaml',
      'values.yaml',
    ]);
    for (const c of res.changed) {
      const before = files.find((f) => f.path === c.path)?.text ?? '';
      assertOnlyMarkedBytesChanged(before, c);
    }
  });

  it('writes what each Flux setter kind writes', () => {
    expect(byPath.get('deployment.yaml')?.changes.map((c) => [c.line, c.new])).toEqual([
      [17, 'ghcr.io/acme/init:1.1.0'],
      [20, 'ghcr.io/stefanprodan/podinfo:6.5.4'],
      [25, 'ghcr.io/acme/sidecar:v0.2.0'],
      [44, `ghcr.io/acme/report:2.4.0@${DIGEST}`],
    ]);
    const dep = byPath.get('deployment.yaml')?.text ?? '';
    expect(dep).toContain('image: "ghcr.io/acme/init:1.1.0" # {"$imagepolicy": "flux-system:init"}\n');
    expect(dep).toContain('image: \'ghcr.io/acme/sidecar:v0.2.0\'  #   {"$imagepolicy": "sidecar"}\n');
    expect(dep).toContain(`image: &rep ghcr.io/acme/report:2.4.0@${DIGEST} # {"$imagepolicy": "report"}\n`);
    // The block scalar that quotes a marker is text, not a marker.
    expect(dep).toContain('echo "image: x:1 # {\\"$imagepolicy\\": \\"sidecar\\"}"');
    expect(byPath.get('values.yaml')?.changes.map((c) => [c.marker, c.old, c.new])).toEqual([
      // api:name already names ghcr.io/acme/api: no change.
      ['api:tag', '1.2.3', '1.3.0'],
      ['apps:api:tag', '1.2.3', '1.3.0'],
      ['api:digest', `sha256:${'0'.repeat(64)}`, DIGEST],
    ]);
    expect(byPath.get('values.yaml')?.text).toContain('tag: "1.3.0" # {"$imagepolicy": "api:tag"}');
    expect(byPath.get('kustomization.yaml')?.changes.map((c) => c.new)).toEqual(['6.5.4']);
    // The extension-less Kustomization: only the tag differs (the name is already the policy's).
    expect(byPath.get('Kustomization')?.changes.map((c) => [c.line, c.marker, c.old, c.new])).toEqual([
      [9, 'flux-system:init:tag', '1.0.0', '1.1.0'],
    ]);
    expect(byPath.get('odd.yaml')?.text).toContain('numeric: "2.0" # {"$imagepolicy": "num:tag"}');
  });

  it('keeps BOM, CRLF and the missing final newline', () => {
    const c = byPath.get('crlf-bom-nonl.yaml') as ChangedFile;
    const out = Buffer.from(c.text);
    const orig = corpus.find((f) => f.path === 'crlf-bom-nonl.yaml')?.bytes as Buffer;
    expect(out.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(out.toString().split('\r\n').length).toBe(orig.toString().split('\r\n').length);
    expect(out.toString().replace(/\r\n/g, '')).not.toContain('\n');
    expect(out.toString().endsWith('    text')).toBe(true);
    expect(out.toString()).toBe(orig.toString().replaceAll('ghcr.io/acme/api:1.2.3', `ghcr.io/acme/api:1.3.0@${DIGEST}`));
  });

  it('reports a file that does not parse by name and position, and leaves it alone', () => {
    expect(res.errors).toHaveLength(1);
    const e = res.errors[0] as YamlEditError;
    expect(e).toBeInstanceOf(YamlEditError);
    expect(e.file).toBe('broken.yaml');
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/^broken\.yaml:3:\d+: YAML does not parse/);
    expect(byPath.has('broken.yaml')).toBe(false);
  });

  it('skips markers it cannot set, saying why', () => {
    const s = res.skipped.map((x) => [x.file, x.line, x.marker]);
    expect(s).toEqual(
      expect.arrayContaining([
        ['values.yaml', 13, 'nobody:tag'],
        ['odd.yaml', 2, 'api'],
        ['odd.yaml', 4, 'api'],
        ['odd.yaml', 5, 'a:b:c:d'],
        ['Kustomization', 11, 'team-z:init:tag'],
      ]),
    );
    expect(res.skipped).toHaveLength(5);
    // A namespace no entry serves: left as it was, and said so.
    expect(byPath.get('Kustomization')?.text).toContain('newTag: 0.0.1 # {"$imagepolicy": "team-z:init:tag"}');
    expect(res.skipped.find((x) => x.file === 'Kustomization')?.why).toBe(
      'no image policy "init" for namespace "team-z" (image policy "init": namespace flux-system); left unchanged',
    );
    // Not markers at all: unquoted JSON and text after the object.
    expect(byPath.get('odd.yaml')?.text).toContain('notjson: foo:1 #');
    expect(byPath.get('odd.yaml')?.text).toContain('trailing: foo:1 #');
  });

  it('is idempotent: applying again changes nothing', () => {
    const again = applyPolicies(
      files.map((f) => ({ path: f.path, text: byPath.get(f.path)?.text ?? f.text })),
      policies,
    );
    expect(again.changed).toEqual([]);
    expect(again.markers).toBe(res.markers);
  });

  it('ignores files that are not YAML or lack the quoted token', () => {
    const r = applyPolicies(
      [
        { path: 'a.json', text: 'x: a:1 # {"$imagepolicy": "api"}\n' },
        { path: 'b.yaml', text: 'x: a:1 # {$imagepolicy: api}\n' },
        { path: 'c.yml', text: 'x: a:1 # {"$imagepolicy": "api"}\n' },
      ],
      policies,
    );
    expect(r.changed.map((c) => c.path)).toEqual(['c.yml']);
  });
});

describe('marker files: *.yaml, *.yml and Kustomization, as Flux reads them', () => {
  it.each([
    ['kustomization.yaml', true],
    ['apps/kustomization.yml', true],
    ['apps/base/Kustomization', true],
    ['Kustomization', true],
    ['apps/kustomization', false],
    ['apps/MyKustomization', false],
    ['apps/Kustomization.txt', false],
    ['values.YAML', false],
    ['a.json', false],
  ])('%s → %s', (path, want) => {
    expect(isMarkerFile(path)).toBe(want);
  });
});

describe('namespaced markers answer only an entry of their namespace', () => {
  const A: PolicyValue = { image: 'ghcr.io/team-a/web', tag: '1.1.0' };
  const B: PolicyValue = { image: 'ghcr.io/team-b/web', tag: '2.2.0' };
  const file = (path: string, marker: string, value = 'ghcr.io/x/web:0.1.0') => ({
    path,
    text: `image: ${value} # {"$imagepolicy": "${marker}"}\n`,
  });

  it("two namespaces, one policy name: each file gets exactly its own namespace's value", () => {
    const r = applyPolicies(
      [
        file('a.yaml', 'team-a:web'),
        file('b.yaml', 'team-b:web'),
        file('b/Kustomization', 'team-b:web:tag', '0.1.0'),
        file('c.yaml', 'team-c:web'),
      ],
      [entry('web', A, ['team-a']), entry('web', B, ['team-b', 'team-b-staging'])],
    );
    expect(r.changed.map((c) => [c.path, c.text])).toEqual([
      ['a.yaml', 'image: ghcr.io/team-a/web:1.1.0 # {"$imagepolicy": "team-a:web"}\n'],
      ['b.yaml', 'image: ghcr.io/team-b/web:2.2.0 # {"$imagepolicy": "team-b:web"}\n'],
      ['b/Kustomization', 'image: 2.2.0 # {"$imagepolicy": "team-b:web:tag"}\n'],
    ]);
    // Each change names the entry that answered it (the web page's last bump per policy).
    expect(r.changed.flatMap((c) => c.changes.map((x) => [c.path, x.policy]))).toEqual([
      ['a.yaml', { name: 'web', namespaces: ['team-a'] }],
      ['b.yaml', { name: 'web', namespaces: ['team-b', 'team-b-staging'] }],
      ['b/Kustomization', { name: 'web', namespaces: ['team-b', 'team-b-staging'] }],
    ]);
    expect(r.skipped).toEqual([
      {
        file: 'c.yaml',
        line: 1,
        marker: 'team-c:web',
        why: 'no image policy "web" for namespace "team-c" (image policy "web": namespace team-a; namespaces team-b, team-b-staging); left unchanged',
      },
    ]);
  });

  it('an entry without a namespace does not answer a namespaced marker (it used to, by name)', () => {
    const r = applyPolicies([file('b.yaml', 'team-b:web'), file('plain.yaml', 'web')], [entry('web', A)]);
    expect(r.changed.map((c) => c.path)).toEqual(['plain.yaml']);
    expect(r.skipped).toEqual([
      {
        file: 'b.yaml',
        line: 1,
        marker: 'team-b:web',
        why: 'no image policy "web" for namespace "team-b" (image policy "web": markers without a namespace only; give it namespace: team-b to answer this marker); left unchanged',
      },
    ]);
  });

  it("matchAnyNamespace is the explicit name-only match; an entry of the marker's namespace wins over it", () => {
    const r = applyPolicies(
      [file('x.yaml', 'team-x:web'), file('b.yaml', 'team-b:web')],
      [entry('web', A, [], true), entry('web', B, ['team-b'])],
    );
    expect(r.changed.map((c) => [c.path, c.changes[0]?.new])).toEqual([
      ['x.yaml', 'ghcr.io/team-a/web:1.1.0'],
      ['b.yaml', 'ghcr.io/team-b/web:2.2.0'],
    ]);
    expect(r.skipped).toEqual([]);
  });

  it('a marker without a namespace: the one entry of that name, else skipped as ambiguous', () => {
    const one = applyPolicies([file('a.yaml', 'web:tag', '0.1.0')], [entry('web', A, ['team-a'])]);
    expect(one.changed[0]?.text).toBe('image: 1.1.0 # {"$imagepolicy": "web:tag"}\n');
    const two = applyPolicies([file('a.yaml', 'web:tag', '0.1.0')], [entry('web', A, ['team-a']), entry('web', B, ['team-b'])]);
    expect(two.changed).toEqual([]);
    expect(two.skipped.map((s) => s.why)).toEqual([
      'ambiguous: 2 image policies are named "web" (namespace team-a; namespace team-b); write the marker as <namespace>:web',
    ]);
  });

  it('an entry that has not chosen a tag yet leaves its markers alone and says so', () => {
    const r = applyPolicies([file('a.yaml', 'team-a:web')], [entry('web', undefined, ['team-a'])]);
    expect(r.changed).toEqual([]);
    expect(r.skipped.map((s) => s.why)).toEqual(['image policy "web" (namespace team-a) has not chosen a tag yet']);
  });
});
