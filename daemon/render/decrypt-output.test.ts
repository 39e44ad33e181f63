import { describe, expect, it } from 'vitest';
import { decodeRendered } from './decrypt-output.js';
import type { CiphertextOrigin } from './sops-sources.js';

const c1 = 'ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]';
const c2 = 'ENC[AES256_GCM,data:DDDD,iv:EEEE,tag:FFFF,type:int]';
const map = new Map<string, CiphertextOrigin>([
  [c1, { file: 'apps/base/db.enc.yaml', value: 'pw' }],
  [c2, { file: 'apps/base/db.enc.yaml', value: '5' }],
]);
const sops = 'sops:\n  mac: ENC[AES256_GCM,data:ZZZZ,iv:ZZZZ,tag:ZZZZ,type:str]\n  version: 3.13.3\n';

describe('decodeRendered', () => {
  it('decrypts verified ciphertext in sops-marked documents, keeps overlay metadata, drops the sops block', () => {
    const out = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod-db\n  namespace: secure\n  labels:\n    env: prod\nstringData:\n  password: ${c1}\n  count: ${c2}\n${sops}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n`;
    const r = decodeRendered(out, 'apps/prod/kustomization.yaml', map);
    expect(r.problems).toEqual([]);
    expect(r.objects).toEqual([
      { object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'prod-db', namespace: 'secure', labels: { env: 'prod' } }, stringData: { password: 'pw', count: '5' } }, file: 'apps/base/db.enc.yaml', decrypted: true },
      { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } }, file: 'apps/prod/kustomization.yaml', decrypted: false },
    ]);
  });

  it('refuses ciphertext that did not come from a verified file, naming the object and field', () => {
    const forged = 'ENC[AES256_GCM,data:XXXX,iv:YYYY,tag:ZZZZ,type:str]';
    const r = decodeRendered(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: ${c1}\n  b: ${forged}\n${sops}`, 'k/kustomization.yaml', map);
    expect(r.objects).toEqual([]);
    expect(r.problems).toEqual(['k/kustomization.yaml: Secret/s: stringData.b holds SOPS ciphertext that did not come from a verified file of this render; refusing to decrypt it']);
  });

  it('refuses ciphertext in a document without a sops block, and a sops block with no verified value', () => {
    const noBlock = decodeRendered(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: copied\ndata:\n  x: ${c1}\n`, 'k/kustomization.yaml', map);
    expect(noBlock.problems.join('\n')).toMatch(/data\.x holds SOPS ciphertext/);
    const empty = decodeRendered(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: plain\n${sops}`, 'k/kustomization.yaml', map);
    expect(empty.problems.join('\n')).toMatch(/Secret\/s: has a sops block but no encrypted value/);
  });
});
