// go-yaml v3 (v3.0.4, what sops 3.13.3 links) typing and quoting, case by case. The expected
// values are what `yaml.Node.Decode(&interface{})` yields and what sops then encrypts/MACs
// (aes/cipher.go, sops.go ToBytes); the quoting is encode.go's stringv.
import { describe, expect, it } from 'vitest';

import { mustQuote, resolveScalar, ResolveError, yamlFloatText } from './yaml-resolve.js';
import { canonicalTime, yamlTimestamp } from './gotime.js';

const plain = (text: string, tag?: string) => resolveScalar({ text, quoted: false, tag });

describe('resolveScalar (plain scalars, as go-yaml v3 decodes them)', () => {
  it.each([
    ['2027-01-01', 'time', '2027-01-01T00:00:00Z'],
    ['2027-1-2', 'time', '2027-01-02T00:00:00Z'],
    ['2001-12-14t21:59:43.10-05:00', 'time', '2001-12-14T21:59:43.1-05:00'],
    ['2001-12-14T21:59:43.000000000Z', 'time', '2001-12-14T21:59:43Z'],
    ['2001-12-14T21:59:43+00:00', 'time', '2001-12-14T21:59:43Z'],
    ['2001-12-14 21:59:43.5', 'time', '2001-12-14T21:59:43.5Z'],
    ['2027-02-30', 'str', '2027-02-30'],
    ['2027-01-01T10:00', 'str', '2027-01-01T10:00'],
    ['42', 'int', '42'],
    ['-7', 'int', '-7'],
    ['+12', 'int', '12'],
    ['0x1F', 'int', '31'],
    ['0o17', 'int', '15'],
    ['017', 'int', '15'],
    ['0b101', 'int', '5'],
    ['1_000', 'int', '1000'],
    ['9223372036854775807', 'int', '9223372036854775807'],
    ['123456789012345678901234567890', 'float', '123456789012345680000000000000'],
    ['08', 'float', '8'],
    ['3.25', 'float', '3.25'],
    ['1e3', 'float', '1000'],
    ['.5', 'float', '0.5'],
    ['1.', 'float', '1'],
    ['.inf', 'float', '+Inf'],
    ['-.Inf', 'float', '-Inf'],
    ['.NaN', 'float', 'NaN'],
    ['1e400', 'str', '1e400'],
    ['true', 'bool', 'True'],
    ['FALSE', 'bool', 'False'],
    ['yes', 'str', 'yes'],
    ['on', 'str', 'on'],
    ['n', 'str', 'n'],
    ['1:20', 'str', '1:20'],
    ['<<', 'str', '<<'],
    ['ENC[AES256_GCM,data:x]', 'str', 'ENC[AES256_GCM,data:x]'],
  ])('%s → %s %s', (text, kind, mac) => {
    expect(plain(text)).toEqual({ kind, text: mac });
  });

  it.each(['', '~', 'null', 'Null', 'NULL'])('%j is null', (text) => {
    expect(plain(text)).toBeNull();
  });

  it('quoted and block scalars are strings, whatever they look like', () => {
    for (const text of ['2027-01-01', '42', 'true', '', 'null'])
      expect(resolveScalar({ text, quoted: true, tag: undefined })).toEqual({ kind: 'str', text });
  });

  it('explicit tags: !!str, !!float on an int, !!timestamp, custom tags; mismatches are refused', () => {
    expect(plain('42', 'tag:yaml.org,2002:str')).toEqual({ kind: 'str', text: '42' });
    expect(resolveScalar({ text: '12', quoted: true, tag: 'tag:yaml.org,2002:int' })).toEqual({ kind: 'int', text: '12' });
    expect(plain('3', 'tag:yaml.org,2002:float')).toEqual({ kind: 'float', text: '3' });
    expect(plain('2027-01-01', 'tag:yaml.org,2002:timestamp')).toEqual({ kind: 'time', text: '2027-01-01T00:00:00Z' });
    expect(plain('42', '!custom')).toEqual({ kind: 'str', text: '42' });
    expect(() => plain('abc', 'tag:yaml.org,2002:int')).toThrow(ResolveError);
    expect(() => plain('yes', 'tag:yaml.org,2002:bool')).toThrow(ResolveError);
  });

  it('refuses an int above int64 as sops does (ToBytes/Encrypt have no uint64 case)', () => {
    expect(() => plain('18446744073709551615')).toThrow(/int64/);
  });
});

describe('mustQuote (go-yaml stringv: quote what would read back as another type, YAML 1.1 included)', () => {
  it.each([
    'yes',
    'Yes',
    'ON',
    'off',
    'y',
    'N',
    'no',
    'true',
    'False',
    '2027-01-01',
    '2001-12-14 21:59:43',
    '42',
    '0x1F',
    '017',
    '1_000',
    '3.5',
    '1e3',
    '.inf',
    '~',
    'null',
    '',
    '1:20',
    '-1:30:00',
  ])('%j is quoted', (s) => {
    expect(mustQuote(s)).toBe(true);
  });
  it.each(['hello', 'yess', 'onion', '2027-13-45x', 'ENC[AES256_GCM,data:a,iv:b,tag:c,type:str]', '1.2.3', 'age1abc', '<<', '0x', '12:60'])(
    '%j stays plain',
    (s) => {
      expect(mustQuote(s)).toBe(false);
    },
  );
});

describe('Go time text', () => {
  it('MarshalText form of YAML timestamps and of decrypted type:time values', () => {
    expect(yamlTimestamp('2027-01-01')).toBe('2027-01-01T00:00:00Z');
    expect(yamlTimestamp('2024-02-29')).toBe('2024-02-29T00:00:00Z');
    expect(yamlTimestamp('2023-02-29')).toBeUndefined();
    expect(yamlTimestamp('2027-01-01T25:00:00Z')).toBeUndefined();
    expect(canonicalTime('2027-01-01T00:00:00.1234567891Z')).toBe('2027-01-01T00:00:00.123456789Z');
    expect(canonicalTime('2027-01-01T00:00:00-00:00')).toBe('2027-01-01T00:00:00Z');
    expect(canonicalTime('2027-01-01T02:00:00+02:00')).toBe('2027-01-01T02:00:00+02:00');
    expect(canonicalTime('2027-01-01')).toBeUndefined();
  });
});

describe('yamlFloatText (go-yaml FormatFloat g, whole numbers keep .0)', () => {
  it.each([
    ['3.25', '3.25'],
    ['2', '2.0'],
    ['1000000000000000000000', '1e+21'],
    ['0.00001', '1e-05'],
    ['+Inf', '.inf'],
    ['-Inf', '-.inf'],
    ['NaN', '.nan'],
  ])('%s → %s', (mac, text) => {
    expect(yamlFloatText(mac)).toBe(text);
  });
});
