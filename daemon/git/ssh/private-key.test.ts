import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { parsePrivateKey } from './private-key.js';

type Kind = ['rsa', { modulusLength: number }] | ['ec', { namedCurve: string }] | ['ed25519', Record<string, never>];
const KINDS: Kind[] = [
  ['rsa', { modulusLength: 2048 }],
  ['ec', { namedCurve: 'P-256' }],
  ['ec', { namedCurve: 'P-384' }],
  ['ed25519', {}],
];

/** A PKCS#8 PEM pair from Node (`-----BEGIN [ENCRYPTED] PRIVATE KEY-----`, what `openssl genpkey` writes). */
function pkcs8(kind: Kind, passphrase?: string): { privateKey: string; publicKey: string } {
  const enc = passphrase !== undefined ? { cipher: 'aes-256-cbc', passphrase } : {};
  return generateKeyPairSync(kind[0] as 'rsa', {
    ...(kind[1] as { modulusLength: number }),
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', ...enc },
  });
}

describe('PKCS#8 private keys (ssh2 alone refuses them)', () => {
  it('ssh2 alone does refuse them: the reason this file exists', () => {
    expect(ssh2.utils.parseKey(pkcs8(['ed25519', {}]).privateKey)).toBeInstanceOf(Error);
  });

  for (const kind of KINDS) {
    for (const passphrase of [undefined, 'correct horse']) {
      it(`${kind[0]} ${JSON.stringify(kind[1])}${passphrase ? ', encrypted' : ''}: signs what its public key verifies`, () => {
        const pair = pkcs8(kind, passphrase);
        const parsed = parsePrivateKey(pair.privateKey, passphrase);
        if (parsed instanceof Error || Array.isArray(parsed)) throw new Error(`not parsed: ${String(parsed)}`);
        expect(parsed.isPrivateKey()).toBe(true);
        const data = Buffer.from('session id and userauth request');
        const hash =
          kind[0] === 'ed25519' ? undefined : kind[0] === 'rsa' ? 'sha256' : kind[1].namedCurve === 'P-384' ? 'sha384' : 'sha256';
        const sig = parsed.sign(data, hash);
        expect(sig).toBeInstanceOf(Buffer);
        // ssh2 signs ECDSA in SSH's (r, s) wire form; Node verifies the DER or IEEE-P1363 form.
        const pub = createPublicKey(pair.publicKey);
        const ok = kind[0] === 'ec' ? parsed.verify(data, sig as Buffer, hash) === true : verify(hash ?? null, data, pub, sig as Buffer);
        expect(ok).toBe(true);
        // The public half ssh2 would offer is the key's own.
        const spki = pub.export({ format: 'der', type: 'spki' });
        // (Ed25519: the 32-byte key; EC: the uncompressed point; RSA: verified by Node above.)
        const tail = kind[0] === 'ed25519' ? 32 : kind[0] === 'ec' ? (kind[1].namedCurve === 'P-384' ? 97 : 65) : 0;
        if (tail > 0) expect(parsed.getPublicSSH().subarray(-tail)).toEqual(spki.subarray(-tail));
      });
    }
  }

  it('a missing or wrong passphrase says so, without the key', () => {
    const { privateKey } = pkcs8(['ed25519', {}], 'the-right-one');
    const none = parsePrivateKey(privateKey, undefined);
    expect(none).toBeInstanceOf(Error);
    expect((none as Error).message).toMatch(/Encrypted PKCS#8 private key detected, but no passphrase given/);
    const wrong = parsePrivateKey(privateKey, 'the-wrong-one');
    expect((wrong as Error).message).toMatch(/cannot decrypt it with the passphrase given/);
    for (const e of [none, wrong]) {
      expect((e as Error).message).not.toContain(privateKey.split('\n')[1]);
      expect((e as Error).message).not.toContain('the-wrong-one');
    }
  });

  it('other formats go to ssh2 unchanged', () => {
    expect(parsePrivateKey('not a key', undefined)).toBeInstanceOf(Error);
  });
});
