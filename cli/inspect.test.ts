import { describe, expect, it } from 'vitest';
import { inspectText } from './inspect.js';
import { containsSecret, parseDocuments, plaintextLeaves } from './k8s-secret.js';

const CANARY = 'Y2FuYXJ5LXBsYWludGV4dA==';
const ENC = 'ENC[AES256_GCM,data:abcd,iv:MTIzNDU2Nzg5MDEyMzQ1Ng==,tag:MTIzNDU2Nzg5MDEyMzQ1Ng==,type:str]';
const SOPS_BLOCK = `sops:
  age:
    - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        xx
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2024-01-01T00:00:00Z"
  mac: ${ENC}
  version: 3.9.0
`;

const plainSecret = (name: string): string => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  namespace: apps
data:
  password: ${CANARY}
`;

describe('inspectText', () => {
  it('flags a plaintext Secret, naming it but not its values', () => {
    const r = inspectText(plainSecret('db'), 'yaml');
    expect(r.encrypted).toBe(false);
    expect(r.problems).toEqual(['Secret apps/db has plaintext data/stringData (not encrypted with sops)']);
    expect(r.problems.join()).not.toContain(CANARY);
  });

  it('flags the plaintext document of a multi-document stream', () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n${plainSecret('db')}---\n`;
    expect(inspectText(text, 'yaml').problems).toEqual([
      'document 2: Secret apps/db has plaintext data/stringData (not encrypted with sops)',
    ]);
  });

  it('flags Secrets inside a List and in JSON', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { a: CANARY } }],
    };
    expect(inspectText(JSON.stringify(list), 'json').problems).toEqual([
      'Secret s has plaintext data/stringData (not encrypted with sops)',
    ]);
  });

  it('ignores non-Secrets, empty Secrets and other apiVersions', () => {
    expect(inspectText('apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n', 'yaml').problems).toEqual([]);
    expect(inspectText('apiVersion: v1\nkind: Secret\nmetadata: {name: e}\ndata: {}\n', 'yaml').problems).toEqual([]);
    expect(inspectText('apiVersion: example.com/v1\nkind: Secret\ndata: {a: b}\n', 'yaml').problems).toEqual([]);
  });

  it('accepts an encrypted Secret and marks the file for decryption', () => {
    const text = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: ${ENC}\n${SOPS_BLOCK}`;
    expect(inspectText(text, 'yaml')).toEqual({ problems: [], encrypted: true });
  });

  it('flags plaintext values left in an encrypted Secret', () => {
    const text = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: ${ENC}\n  added: ${CANARY}\n${SOPS_BLOCK}`;
    const r = inspectText(text, 'yaml');
    expect(r.problems).toEqual(['Secret db has unencrypted values: data.added']);
  });

  it('flags broken sops metadata', () => {
    const text = `a: ${ENC}\nsops:\n  version: 3.9.0\n`;
    expect(inspectText(text, 'yaml').problems).toEqual([
      'sops metadata has no valid mac',
      'sops metadata has no lastmodified',
      'sops metadata lists no recipients',
    ]);
  });

  it('flags a key given twice in a Secret or an encrypted file (the daemon refuses it), with its position', () => {
    // Lost when the yaml package's (quadratic) uniqueKeys check was turned off for item 8.
    const dup = `${plainSecret('db')}  password: ${CANARY}\n`;
    expect(inspectText(dup, 'yaml').problems).toEqual([
      'mapping key "password" defined twice (line 8, column 3)',
      'Secret apps/db has plaintext data/stringData (not encrypted with sops)',
    ]);
    const sealed = `a: ${ENC}\nb:\n  "1": ${ENC}\n  1: ${ENC}\n${SOPS_BLOCK}`;
    expect(inspectText(sealed, 'yaml')).toEqual({ problems: ['mapping key "1" defined twice (line 4, column 3)'], encrypted: true });
    // Elsewhere it is not check's business (kubectl keeps the last value).
    expect(inspectText('kind: ConfigMap\ndata:\n  a: 1\n  a: 2\n', 'yaml').problems).toEqual([]);
  });

  it('reports unparsable files only when they look like Secrets, without content', () => {
    expect(inspectText('{{ if .Values.x }}\nfoo: [\n', 'yaml').problems).toEqual([]);
    const bad = `kind: Secret\ndata:\n  password: [${CANARY}\n`;
    const r = inspectText(bad, 'yaml');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^cannot parse \(invalid YAML/);
    expect(r.problems[0]).not.toContain(CANARY);
  });
});

describe('k8s-secret helpers', () => {
  it('detects Secrets for the default encrypted_regex', () => {
    expect(containsSecret(parseDocuments(plainSecret('x'), 'yaml').docs)).toBe(true);
    expect(containsSecret(parseDocuments('kind: Secret\napiVersion: v2\n', 'yaml').docs)).toBe(false);
  });

  it('lists plaintext leaf paths', () => {
    expect(plaintextLeaves({ a: ENC, b: { c: 'x', d: [ENC, 'y'] }, n: null }, 'data')).toEqual(['data.b.c', 'data.b.d[1]']);
  });
});
