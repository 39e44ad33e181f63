// The proof that readManifests means what kubectl means: a corpus of tricky manifests is decoded by a
// real kubectl (`annotate --local` decodes files exactly like apply/create but needs no apiserver) and
// by us, and the objects must be equal.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readManifests } from './read.js';

/** [yaml, what kubectl makes of it] pairs (testdata/README.md says where they come from). */
const KUBECTL_CASES = JSON.parse(readFileSync(new URL('./testdata/kubectl-cases.json', import.meta.url), 'utf8')) as [string, unknown][];

const run = promisify(execFile);
let kubectl = '';
let dir = '';

beforeAll(async () => {
  kubectl = inject('stack').bins.kubectl;
  dir = await mkdtemp(join(tmpdir(), 'kubectl-parity-'));
});

/** Objects as kubectl decodes them; the no-op annotation removal leaves `annotations: {}` behind. */
async function kubectlObjects(name: string, text: string): Promise<unknown[]> {
  const file = join(dir, name);
  await writeFile(file, text);
  const { stdout } = await run(kubectl, ['annotate', '--local', '-f', file, '-o', 'json', 'gitops-seal.io/parity-'], {
    env: { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig') },
    maxBuffer: 64 << 20,
  });
  // kubectl prints one indented object per input object; JSON.parse keeps its float-valued big
  // numbers (e.g. 18446744073709552000) as the same doubles we produce.
  const values = JSON.parse(`[${stdout.trim().replace(/\n}\n{/g, '\n},\n{')}]`) as unknown[];
  return values
    .map((v) => {
      const o = v as { kind?: string; items?: unknown[]; metadata?: { annotations?: object } };
      const list = o.kind === 'List' && Array.isArray(o.items) ? o.items : [o];
      for (const it of list as { metadata?: { annotations?: object } }[]) {
        if (it.metadata?.annotations && Object.keys(it.metadata.annotations).length === 0) delete it.metadata.annotations;
      }
      return list;
    })
    .flat();
}

function ours(name: string, text: string): unknown[] {
  return readManifests([{ path: name, text }]).objects.map((o) => o.object);
}

const thing = (i: number, body: string): string =>
  `apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t${i}\nspec:\n${body
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;

describe('kubectl parity', () => {
  it('decodes every scalar/structure case of the table identically', async () => {
    const text = KUBECTL_CASES.map(([src], i) => thing(i, src)).join('---\n');
    const theirs = await kubectlObjects('cases.yaml', text);
    expect(ours('cases.yaml', text)).toEqual(theirs);
  });

  it.each([
    ['multi-document with empty and comment-only documents', `---\n# c\n---\n${thing(1, 'a: 1')}---\n\n---\n${thing(2, 'b: yes')}`],
    [
      'v1 List and *List kinds',
      'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {x: "1"}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n',
    ],
    ['CRLF line endings', thing(3, 'a: 0644\nb: on').replace(/\n/g, '\r\n')],
    ['byte order mark', `\uFEFF${thing(4, 'a: 1')}`],
    ['block scalars, last line without newline', thing(5, 'a: |\n  x\n  y\nb: >-\n  p\n  q\nc: |\n  z').replace(/\n$/, '')],
    ['anchors and go-yaml merge order', thing(6, 'base: &b {p: 1, q: 2}\nm1: {q: 9, <<: *b}\nm2: {<<: *b, q: 9}\nm3: {<<: [{p: 5}, *b]}')],
    [
      'JSON stream',
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j1"},"data":{"a":"0644"}}\n{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j2"}}',
    ],
    ['flow mapping that is not JSON', '{apiVersion: v1, kind: ConfigMap, metadata: {name: f}, data: {a: "x"}}'],
    ['tags', thing(7, 'a: !!str 0644\nb: !!int "0x10"\nc: !!float 1\nd: !custom yes\ne: !!binary aGVsbG8=')],
  ])('%s', async (_name, text) => {
    const theirs = await kubectlObjects('case.yaml', text);
    expect(ours('case.yaml', text)).toEqual(theirs);
  });
});
