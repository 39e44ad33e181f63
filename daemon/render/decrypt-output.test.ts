import { describe, expect, it } from 'vitest';
import { decodeRendered } from './decrypt-output.js';
import type { CiphertextOrigin } from './sops-sources.js';

const c1 = 'ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]';
const c2 = 'ENC[AES256_GCM,data:DDDD,iv:EEEE,tag:FFFF,type:int]';
const map = new Map<string, CiphertextOrigin>([
  [c1, { file: 'apps/base/db.enc.yaml', value: 'pw', doc: 0, path: ['stringData', 'password'] }],
  [c2, { file: 'apps/base/db.enc.yaml', value: '5', doc: 0, path: ['stringData', 'count'] }],
]);
const sops = 'sops:\n  mac: ENC[AES256_GCM,data:ZZZZ,iv:ZZZZ,tag:ZZZZ,type:str]\n  version: 3.13.3\n';

describe('decodeRendered', () => {
  it('decrypts verified ciphertext in sops-marked documents, keeps overlay metadata, drops the sops block', () => {
    const out = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod-db\n  namespace: secure\n  labels:\n    env: prod\nstringData:\n  password: ${c1}\n  count: ${c2}\n${sops}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n`;
    const r = decodeRendered(out, 'apps/prod/kustomization.yaml', map);
    expect(r.problems).toEqual([]);
    expect(r.objects).toEqual([
      {
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'prod-db', namespace: 'secure', labels: { env: 'prod' } },
          stringData: { password: 'pw', count: '5' },
        },
        file: 'apps/base/db.enc.yaml',
        decrypted: true,
        seal: { origins: [{ file: 'apps/base/db.enc.yaml', doc: 0 }] },
      },
      {
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } },
        file: 'apps/prod/kustomization.yaml',
        decrypted: false,
      },
    ]);
  });

  it('refuses ciphertext that did not come from a verified file, naming the object and field', () => {
    const forged = 'ENC[AES256_GCM,data:XXXX,iv:YYYY,tag:ZZZZ,type:str]';
    const r = decodeRendered(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: ${c1}\n  b: ${forged}\n${sops}`,
      'k/kustomization.yaml',
      map,
    );
    expect(r.objects).toEqual([]);
    expect(r.problems).toEqual([
      'k/kustomization.yaml: Secret/s: stringData.b holds SOPS ciphertext that did not come from a verified file of this render; refusing to decrypt it',
    ]);
  });

  it('refuses ciphertext in a document without a sops block, and a sops block with no verified value', () => {
    const noBlock = decodeRendered(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: copied\ndata:\n  x: ${c1}\n`,
      'k/kustomization.yaml',
      map,
    );
    expect(noBlock.problems.join('\n')).toMatch(/data\.x holds SOPS ciphertext/);
    const empty = decodeRendered(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: plain\n${sops}`,
      'k/kustomization.yaml',
      map,
    );
    expect(empty.problems.join('\n')).toMatch(/Secret\/s: has a sops block but no encrypted value/);
  });

  it('records where each ciphertext was committed, and the scope claim only when its ciphertext was committed at the claim path', () => {
    const claim = 'ENC[AES256_GCM,data:CLAIM,iv:I,tag:T,type:str]';
    const other = 'ENC[AES256_GCM,data:OTHER,iv:I,tag:T,type:str]';
    const m = new Map<string, CiphertextOrigin>([
      ...map,
      [
        claim,
        { file: 'apps/base/db.enc.yaml', value: 'secure/prod-db', doc: 0, path: ['metadata', 'annotations', 'gitops-seal.dev/scope'] },
      ],
      [other, { file: 'apps/base/b.enc.yaml', value: 'team-b', doc: 0, path: ['metadata', 'annotations', 'note'] }],
    ]);
    const doc = (ann: string, extra = ''): string =>
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod-db\n  annotations:\n    gitops-seal.dev/scope: ${ann}\nstringData:\n  password: ${c1}\n${extra}${sops}`;
    const bound = decodeRendered(doc(claim), 'k', m).objects[0];
    expect(bound?.seal).toEqual({ origins: [{ file: 'apps/base/db.enc.yaml', doc: 0 }], claim: { file: 'apps/base/db.enc.yaml', doc: 0 } });
    expect(bound?.object.metadata.annotations?.['gitops-seal.dev/scope']).toBe('secure/prod-db');
    // Ciphertext an overlay moved to the claim path from another path is no claim.
    const moved = decodeRendered(doc(other), 'k', m).objects[0];
    expect(moved?.seal?.claim).toBeUndefined();
    expect(moved?.seal?.origins).toEqual([
      { file: 'apps/base/b.enc.yaml', doc: 0 },
      { file: 'apps/base/db.enc.yaml', doc: 0 },
    ]);
  });
});
