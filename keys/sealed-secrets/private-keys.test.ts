import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KeyFileError } from './errors.js';
import { mergeSealingKeys, parseSealingKeys } from './private-keys.js';

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const a = rsa();
const b = rsa();
const pkcs1 = (k: typeof a) => k.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string;
const pkcs8 = (k: typeof a) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const certLike = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const keySecret = (name: string, key: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'kubernetes.io/tls',
  metadata: { name, namespace: 'kube-system', labels: { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'active' } },
  data: { 'tls.crt': Buffer.from(certLike).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
});

describe('parseSealingKeys', () => {
  it('reads PEM files: PKCS#1 or PKCS#8, certificates beside them skipped, several keys in one file', () => {
    expect(parseSealingKeys(pkcs1(a), 'k.pem')).toHaveLength(1);
    const both = parseSealingKeys(`${certLike}${pkcs8(a)}${pkcs1(b)}`, 'both.pem');
    expect(both.map((k) => k.source)).toEqual(['both.pem', 'both.pem']);
    expect(both[0]?.fingerprint).not.toBe(both[1]?.fingerprint);
    // The same key in either encoding has the same fingerprint.
    expect(parseSealingKeys(pkcs1(a), 'x')[0]?.fingerprint).toBe(both[0]?.fingerprint);
  });

  it('reads the kubectl List of key Secrets (rotated keys), YAML or JSON, and a single Secret', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [keySecret('sealed-secrets-keyaaaaa', pkcs1(a)), keySecret('sealed-secrets-keybbbbb', pkcs1(b))],
    };
    const fromYaml = parseSealingKeys(stringify(list), 'keys.yaml');
    expect(fromYaml.map((k) => k.source)).toEqual([
      'keys.yaml: Secret kube-system/sealed-secrets-keyaaaaa',
      'keys.yaml: Secret kube-system/sealed-secrets-keybbbbb',
    ]);
    expect(parseSealingKeys(JSON.stringify(list), 'keys.json')).toHaveLength(2);
    expect(parseSealingKeys(stringify(keySecret('one', pkcs8(b))), 'one.yaml')).toHaveLength(1);
  });

  it('refuses files without a usable key, naming the file and object, never key material', () => {
    const bad = (text: string) => {
      try {
        parseSealingKeys(text, 'f');
      } catch (e) {
        expect(e).toBeInstanceOf(KeyFileError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('')).toMatch(/^f: no RSA private key found/);
    expect(bad(certLike)).toMatch(/no RSA private key/);
    expect(bad(stringify({ kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data: { other: 'eA==' } }))).toBe(
      'f: Secret n/s: has no data.tls.key (not a Sealed Secrets key Secret)',
    );
    expect(bad(stringify({ kind: 'ConfigMap' }))).toMatch(/document 1 is a ConfigMap/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expect(bad(ec)).toMatch(/ec key: Sealed Secrets keys are RSA/);
    const enc = a.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'p' }) as string;
    expect(bad(enc)).toMatch(/passphrase-protected/);
    expect(bad('-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n')).toMatch(/does not parse/);
  });

  it('merges key files without duplicates', () => {
    const k1 = parseSealingKeys(pkcs1(a), 'one');
    const k2 = parseSealingKeys(`${pkcs8(a)}${pkcs1(b)}`, 'two');
    expect(mergeSealingKeys([k1, k2]).map((k) => k.source)).toEqual(['one', 'two']);
  });
});
