import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../manifests/index.js';
import { parseRendered, splitBySource } from './output.js';

const out = `---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
---
# Source: web/templates/multi.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
# Source: web/templates/multi.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
data:
  script: |
    echo "---"
`;

describe('splitBySource', () => {
  it('groups documents by their # Source template, first-seen order, mapped paths', () => {
    const files = splitBySource(out, (s) => s.replace(/^web\//, 'charts/web/'));
    expect(files.map((f) => f.path)).toEqual(['charts/web/templates/service.yaml', 'charts/web/templates/multi.yaml']);
    expect(files[1]?.text.split('---\n')).toHaveLength(2);
  });
});

describe('parseRendered', () => {
  it('reads every object with its template and document index', () => {
    const objs = parseRendered(out);
    expect(objs.map((o) => [o.file, o.index, (o.object.metadata as { name: string }).name])).toEqual([
      ['web/templates/service.yaml', 0, 'web'],
      ['web/templates/multi.yaml', 0, 'a'],
      ['web/templates/multi.yaml', 1, 'b'],
    ]);
    expect((objs[2]?.object.data as { script: string }).script).toBe('echo "---"\n');
  });

  it('refuses invalid objects and sops blocks, naming the template', () => {
    const bad = `---\n# Source: web/templates/x.yaml\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nsops: {mac: x}\n---\n# Source: web/templates/y.yaml\nkind: ConfigMap\nmetadata: {name: c}\n`;
    let err: unknown;
    try {
      parseRendered(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toMatch(/web\/templates\/y\.yaml.*apiVersion/);
    const sops = parseRendered.bind(
      null,
      `---\n# Source: web/templates/x.yaml\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nsops: {mac: x}\n`,
    );
    expect(sops).toThrow(/web\/templates\/x\.yaml.*sops block/);
  });
});
