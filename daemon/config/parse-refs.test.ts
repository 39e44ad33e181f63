import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './parse.js';

// Every secret reference is read by parse-refs.ts. The Kubernetes Secret form is allowed where
// the reference's consumer has a cluster to read it from (decryption: the sync's cluster).
const config = (source: string, decryption: string): string => `apiVersion: gitops-seal.io/v1alpha1
kind: DaemonConfig
spec:
  sources:
    - name: repo
      url: https://git.example/repo.git
      ref: {branch: main}
${source}
  syncs:
    - name: apps
      source: repo
      decryption:
${decryption}
`;
const secret = '{secret: {namespace: gitops-seal, name: keys, key: token}}';

function issuesOf(text: string): string[] {
  try {
    parseConfig(text, 'cfg.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('secret references', () => {
  it('reads a Kubernetes Secret for every reference under decryption', () => {
    const c = parseConfig(
      config(
        '',
        `        age: {identitiesFrom: [${secret}]}\n        vault: {address: https://vault.example, auth: {approle: {roleIdFrom: ${secret}, secretIdFrom: {env: SID}}}}`,
      ),
      'cfg.yaml',
    );
    const ref = { secret: { namespace: 'gitops-seal', name: 'keys', key: 'token' } };
    expect(c.spec.syncs[0]?.decryption).toEqual({
      age: { identitiesFrom: [ref] },
      vault: {
        address: 'https://vault.example',
        transitMount: 'transit',
        auth: { approle: { mount: 'approle', roleIdFrom: ref, secretIdFrom: { env: 'SID' } } },
      },
    });
    const t = parseConfig(config('', `        vault: {address: https://vault.example, auth: {token: {from: ${secret}}}}`), 'cfg.yaml');
    expect(t.spec.syncs[0]?.decryption?.vault?.auth).toEqual({ token: { from: ref } });
  });

  it('reads decryption.sealedSecrets.keysFrom, alone or beside age/vault, in every reference form', () => {
    const c = parseConfig(config('', `        sealedSecrets: {keysFrom: [${secret}, {file: /keys/sealed.pem}]}`), 'cfg.yaml');
    expect(c.spec.syncs[0]?.decryption).toEqual({
      sealedSecrets: { keysFrom: [{ secret: { namespace: 'gitops-seal', name: 'keys', key: 'token' } }, { file: '/keys/sealed.pem' }] },
    });
    expect(issuesOf(config('', '        sealedSecrets: {keysFrom: []}'))).toEqual([
      expect.stringContaining('decryption.sealedSecrets.keysFrom: must list at least one key'),
    ]);
    expect(issuesOf(config('', '        sealedSecrets: {keys: [{file: /k}]}')).join('\n')).toMatch(/sealedSecrets/);
  });

  it('checks the Secret form the same way wherever it is allowed', () => {
    expect(
      issuesOf(
        config('', '        vault: {address: https://vault.example, auth: {token: {from: {secret: {namespace: Bad_NS, name: k}}}}}'),
      ),
    ).toEqual([
      'spec.syncs[0].decryption.vault.auth.token.from.secret.namespace: must be a DNS label: lowercase letters, digits and "-", at most 63 characters',
      'spec.syncs[0].decryption.vault.auth.token.from.secret.key: is required',
    ]);
  });

  it('keeps references without a cluster to env and file, as before', () => {
    expect(issuesOf(config(`      credentials: {passwordFrom: ${secret}}`, '        age: {identitiesFrom: [{env: AGE}]}'))).toEqual([
      'spec.sources[0].credentials.passwordFrom.secret: unknown field; known fields: env, file',
      'spec.sources[0].credentials.passwordFrom: must set exactly one of env, file',
    ]);
  });
});
