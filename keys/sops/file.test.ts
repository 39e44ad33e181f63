import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYamlText, parseAllDocuments } from 'yaml';

import {
  decryptText,
  encryptText,
  FormatError,
  generateAgeIdentity,
  isSopsEncrypted,
  NoMatchingKeyError,
  reencryptText,
  SopsError,
  TamperedError,
  UnsupportedKeyTypeError,
} from '../index.js';

const CANARY = 'canary-s3cr3t-Zq9';
let alice: { identity: string; recipient: string };
let bob: { identity: string; recipient: string };

beforeAll(async () => {
  alice = await generateAgeIdentity();
  bob = await generateAgeIdentity();
});

const YAML_SRC = `# top comment
apiVersion: v1
stringData:
    password: ${CANARY} # line comment
    port: 5432
    big: 123456789012345678901234567890
    ratio: 1.5
    whole: 2.0
    enabled: true
    disabled: false
    empty: ""
    nothing:
    multiline: |
        line one
        line two
    nested:
        deeper:
            - a
            # before b
            - b
            - k: v
    user_unencrypted: admin
---
second: doc
`;

const enc = (text: string, extra: Partial<Parameters<typeof encryptText>[1]> = {}) =>
  encryptText(text, { format: 'yaml', source: 'secret.yaml', keys: { age: [alice.recipient] }, ...extra }, { ageIdentities: [] });
const dec = (text: string, ids = [alice.identity], format: 'yaml' | 'json' = 'yaml') =>
  decryptText(text, { format, source: 'secret.yaml' }, { ageIdentities: ids });

describe('yaml round trip', () => {
  it('encrypts every value, keeps keys/order/comments, and decrypts to the same data', async () => {
    const e = await enc(YAML_SRC);
    expect(e).not.toContain(CANARY);
    expect(e).not.toContain('top comment');
    expect(e).toContain('user_unencrypted: admin');
    expect(isSopsEncrypted(e, 'yaml')).toBe(true);
    expect(isSopsEncrypted(YAML_SRC, 'yaml')).toBe(false);
    // The fast path skips text without "sops" and without a backslash; an escaped key still counts.
    expect(isSopsEncrypted(e.replace(/^sops:/gm, '"\\x73ops":'), 'yaml')).toBe(true);
    expect(isSopsEncrypted(e.replace(/^sops:/gm, 'other:'), 'yaml')).toBe(false);
    const d = await dec(e);
    expect(parseAllDocuments(d).map((x) => x.toJS())).toEqual(parseAllDocuments(YAML_SRC).map((x) => x.toJS()));
    expect(d).toContain('# top comment');
    expect(d).toContain('# line comment');
    expect(d).toContain('# before b');
    expect(d.indexOf('apiVersion')).toBeLessThan(d.indexOf('stringData'));
    // two documents, each carrying the sops block
    expect(e.match(/^sops:/gm)?.length).toBe(2);
    expect(d).toContain('\n---\nsecond: doc');
  });

  it('tags value types as sops does', async () => {
    const e = await enc('i: 1\nf: 1.5\nb: true\ns: x\n');
    expect(e).toMatch(/i: ENC\[.*type:int\]/);
    expect(e).toMatch(/f: ENC\[.*type:float\]/);
    expect(e).toMatch(/b: ENC\[.*type:bool\]/);
    expect(e).toMatch(/s: ENC\[.*type:str\]/);
  });

  it('json round trip keeps order, numbers and nulls', async () => {
    const src = '{"b": 1, "a": {"x": "<y>", "n": null, "l": [true, 2.5, "s"]}, "1": "z"}';
    const e = await encryptText(src, { format: 'json', source: 's.json', keys: { age: [alice.recipient] } }, {});
    expect(e).toMatch(/"b": "ENC\[.*type:int\]"/); // sops 3.13: integer literals are int
    const d = await decryptText(e, { format: 'json', source: 's.json' }, { ageIdentities: [alice.identity] });
    expect(Object.keys(JSON.parse(d) as object)).toEqual(['1', 'b', 'a']); // JSON.parse reorders; the text does not
    expect(d.indexOf('"b"')).toBeLessThan(d.indexOf('"1"'));
    expect(JSON.parse(d)).toEqual(JSON.parse(src));
  });

  it('applies crypt rules and mac_only_encrypted', async () => {
    const src = 'data:\n    password: x\n    user: y\nmeta: z\n';
    const e = await enc(src, { rule: { encryptedRegex: '^(data|stringData)$' }, macOnlyEncrypted: true });
    expect(e).toContain('meta: z');
    expect(e).toContain('encrypted_regex: ^(data|stringData)$');
    expect(e).toContain('mac_only_encrypted: true');
    // mac_only_encrypted: editing an unencrypted value is allowed
    expect(await dec(e.replace('meta: z', 'meta: changed'))).toContain('meta: changed');
    const c = await enc('# sops:enc\nsecret: a\nplain: b\n', { rule: { encryptedCommentRegex: 'sops:enc' } });
    expect(c).toContain('plain: b');
    expect(c).toContain('# sops:enc');
    expect(c).toMatch(/secret: ENC/);
    expect(await dec(c)).toContain('secret: a');
  });

  it('refuses more than one crypt rule', async () => {
    await expect(enc('a: b\n', { rule: { encryptedRegex: 'a', unencryptedSuffix: '_x' } })).rejects.toBeInstanceOf(FormatError);
  });
});

describe('reencrypt', () => {
  it('keeps ciphertext of unchanged values after an edit', async () => {
    const e = await enc(YAML_SRC);
    const d = await dec(e);
    const r = await reencryptText(
      e,
      { format: 'yaml', source: 'secret.yaml', newPlaintext: d.replace('port: 5432', 'port: 5433') },
      { ageIdentities: [alice.identity] },
    );
    const line = (t: string, k: string) => t.split('\n').find((l) => l.trim().startsWith(`${k}:`));
    for (const k of ['password', 'ratio', 'whole', 'enabled', 'apiVersion', 'second']) expect(line(r, k)).toBe(line(e, k));
    expect(line(r, 'port')).not.toBe(line(e, 'port'));
    expect(await dec(r)).toContain('port: 5433');
  });

  it('updatekeys keeps the data key; rotate changes it', async () => {
    const e = await enc('a: b\n');
    const u = await reencryptText(e, { format: 'yaml', source: 's', keys: { age: [bob.recipient] } }, { ageIdentities: [alice.identity] });
    expect(u.split('\n').find((l) => l.startsWith('a:'))).toBe(e.split('\n').find((l) => l.startsWith('a:')));
    expect(await dec(u, [bob.identity])).toBe('a: b\n');
    await expect(dec(u, [alice.identity])).rejects.toBeInstanceOf(NoMatchingKeyError);
    const rot = await reencryptText(e, { format: 'yaml', source: 's', rotate: true }, { ageIdentities: [alice.identity] });
    expect(rot.split('\n').find((l) => l.startsWith('a:'))).not.toBe(e.split('\n').find((l) => l.startsWith('a:')));
    expect(await dec(rot)).toBe('a: b\n');
  });
});

describe('key errors', () => {
  it('names the recipients when no identity matches', async () => {
    const e = await enc('a: b\n');
    const err = await dec(e, [bob.identity]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(NoMatchingKeyError);
    expect((err as Error).message).toContain(alice.recipient);
    expect((err as Error).message).toContain('secret.yaml');
  });

  it('reports unsupported key types unless age can decrypt', async () => {
    const e = await enc('a: b\n');
    const withKms = e.replace(
      'sops:\n',
      'sops:\n    kms:\n        - arn: arn:aws:kms:us-east-1:1:key/x\n          created_at: "2024-01-01T00:00:00Z"\n          enc: AAAA\n          aws_profile: ""\n',
    );
    expect(await dec(withKms)).toBe('a: b\n');
    const err = await dec(withKms, [bob.identity]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(UnsupportedKeyTypeError);
    expect((err as Error).message).toContain('kms');
    const onlyPgp =
      'a: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\nsops:\n    pgp:\n        - fp: ABC\n          created_at: "2024-01-01T00:00:00Z"\n          enc: x\n    lastmodified: "2024-01-01T00:00:00Z"\n    mac: x\n    version: 3.8.1\n';
    await expect(dec(onlyPgp)).rejects.toBeInstanceOf(UnsupportedKeyTypeError);
  });

  it('reports malformed input as FormatError with a position', async () => {
    const err = await dec('a: [\n', [alice.identity]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).position).toMatch(/line/);
    await expect(dec('a: b\n')).rejects.toBeInstanceOf(FormatError);
  });

  it("keeps the sign of a JSON float zero, as Go's encoding/json (sops decrypt) prints it", async () => {
    const enc = await encryptText('{"z": -0.0, "i": -0}', { format: 'json', source: 'z.json', keys: { age: [alice.recipient] } }, {});
    expect(await decryptText(enc, { format: 'json', source: 'z.json' }, { ageIdentities: [alice.identity] })).toBe(
      '{\n\t"z": -0,\n\t"i": 0\n}\n',
    );
  });

  it("an encrypted JSON file keeps its own indentation (sops' stores.json.indent) through decrypt, rotate and an edit", async () => {
    const tabs = await encryptText('{"a": {"b": 1}}', { format: 'json', source: 'i.json', keys: { age: [alice.recipient] } }, {});
    expect(tabs).toMatch(/^\{\n\t"a": \{\n\t\t"b": "ENC/);
    const three = tabs.replace(/^\t+/gm, (t) => '   '.repeat(t.length));
    const ids = { ageIdentities: [alice.identity] };
    expect(await decryptText(three, { format: 'json', source: 'i.json' }, ids)).toBe('{\n   "a": {\n      "b": 1\n   }\n}\n');
    const layout = (t: string): number[] => t.split('\n').map((l) => /^ */.exec(l)?.[0].length ?? 0);
    expect(layout(await reencryptText(three, { format: 'json', source: 'i.json', rotate: true }, ids))).toEqual(layout(three));
    const edited = await reencryptText(three, { format: 'json', source: 'i.json', newPlaintext: '{"a": {"b": 2}}' }, ids);
    expect(layout(edited)).toEqual(layout(three));
  });

  it('refuses a JSON number beyond float64, as sops does, instead of writing a file that cannot be decrypted', async () => {
    const err = await encryptText('{"x": {"a": 1e400}}', { format: 'json', source: 'n.json', keys: { age: [alice.recipient] } }, {}).catch(
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toBe('n.json: at line 1, column 13: invalid JSON: number out of the float64 range');
  });
});

describe('tamper detection', () => {
  // Each mutation flips one character inside one part of the file; every one must be refused
  // with TamperedError, and no error may carry the plaintext.
  const flip = (s: string, at: number): string => {
    const c = s[at] as string;
    const r = c === 'A' ? 'B' : c === 'a' ? 'b' : /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : 'A';
    return s.slice(0, at) + r + s.slice(at + 1);
  };
  const inside = (s: string, re: RegExp, offset = 0): number => {
    const m = re.exec(s);
    if (!m) throw new Error(`pattern ${re} not found`);
    return m.index + m[0].length - 1 - offset;
  };

  it('refuses a flip in every part', async () => {
    const e = await enc(`password: ${CANARY}\nlist:\n    - one\nuser_unencrypted: admin\n# note\nlast: x\n`);
    const cases: Record<string, string> = {
      'value data': flip(e, inside(e, /password: ENC\[AES256_GCM,data:./)),
      'value iv': flip(e, inside(e, /password: ENC\[AES256_GCM,data:[^,]+,iv:./)),
      'value tag': flip(e, inside(e, /password: ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:./)),
      'key name': e.replace('password:', 'passwore:'),
      'list value': flip(e, inside(e, /- ENC\[AES256_GCM,data:./)),
      'unencrypted value': e.replace('user_unencrypted: admin', 'user_unencrypted: admiN'),
      'encrypted comment': flip(e, inside(e, /#ENC\[AES256_GCM,data:./)),
      mac: flip(e, inside(e, /mac: ENC\[AES256_GCM,data:./)),
      lastmodified: e.replace(/lastmodified: "(\d{4})/, (_m, y: string) => `lastmodified: "${Number(y) + 1}`),
      'recipient enc': flip(e, inside(e, /-----BEGIN AGE ENCRYPTED FILE-----\n\s*.{70}/)),
      recipient: e.replace(alice.recipient, bob.recipient),
      'crypt rule': e.replace('unencrypted_suffix: _unencrypted', 'unencrypted_suffix: _unencrypteX'),
      mac_only_encrypted: e.replace('sops:\n', 'sops:\n    mac_only_encrypted: true\n'),
      'value replaced by plaintext': e.replace(/password: ENC\[[^\]]*\]/, 'password: plain'),
      'value removed': e.replace(/last: ENC\[[^\]]*\]\n/, ''),
    };
    for (const [part, text] of Object.entries(cases)) {
      expect(text, part).not.toBe(e);
      const err = await dec(text, [alice.identity, bob.identity]).catch((x: unknown) => x);
      expect(err, part).toBeInstanceOf(TamperedError);
      expect((err as Error).message, part).toContain('tampered or corrupted');
      expect((err as Error).message, part).toContain('secret.yaml');
      expect((err as Error).message, part).not.toContain(CANARY);
    }
  });

  it('never leaks plaintext in any error', async () => {
    const e = await enc(`password: ${CANARY}\n`);
    const other = await generateAgeIdentity();
    const errs = await Promise.all(
      [dec(e, [other.identity]), dec(e.replace(CANARY, 'x'), []), dec(e.slice(0, 40))].map((p) => p.catch((x: unknown) => x)),
    );
    for (const err of errs) {
      expect(err).toBeInstanceOf(SopsError);
      expect(String(err)).not.toContain(CANARY);
    }
  });
});

describe('sops metadata', () => {
  it('writes the fields sops writes', async () => {
    const e = await enc('a: b\n');
    const meta = (parseYamlText(e) as { sops: Record<string, unknown> }).sops;
    expect(Object.keys(meta)).toEqual(['age', 'lastmodified', 'mac', 'unencrypted_suffix', 'version']);
    expect(Object.keys((meta['age'] as object[])[0] as object)).toEqual(['enc', 'recipient']); // as sops 3.13.3 writes
    expect(meta['version']).toBe('3.13.3');
    expect(meta['lastmodified']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(e).toMatch(/enc: \|\n\s+-----BEGIN AGE ENCRYPTED FILE-----/);
  });
});
