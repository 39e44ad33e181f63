// Table tests of tag selection, including the cases of Flux image-reflector-controller's own
// policy tests (internal/policy/*_test.go) so the semantics are checked against the reference.
import { describe, expect, it } from 'vitest';
import { PolicyError } from './errors.js';
import { expandGoTemplate, compileGoRegexp } from './go-regexp.js';
import { compilePolicy, parseTagFloat, selectTag, type FilterTagsSpec, type PolicySpec } from './policy.js';

const semverP = (range: string): PolicySpec => ({ semver: { range } });
const alpha = (order: 'asc' | 'desc'): PolicySpec => ({ alphabetical: { order } });
const num = (order: 'asc' | 'desc'): PolicySpec => ({ numerical: { order } });

describe('semver policy', () => {
  const cases: [string, string, string[], string | undefined][] = [
    // Flux semver_test.go
    ['Regular', '1.0.x', ['1.0.0', '1.0.0.1', '1.0.0p', '1.0.1', '1.2.0', '0.1.0'], '1.0.1'],
    ['Regular with prefix', '1.0.x', ['v1.2.3', 'v1.0.0', 'v0.1.0'], 'v1.0.0'],
    ['invalid prefix', '1.0.x', ['b1.2.3', 'b1.0.0', 'b0.1.0'], undefined],
    ['empty list', '1.0.x', [], undefined],
    ['non-matching', '1.0.x', ['1.2.0'], undefined],
    // prereleases only when the range names one
    ['no prerelease in range', '>=1.0.0', ['1.0.0', '1.1.0-rc.1', '2.0.0-alpha'], '1.0.0'],
    ['prerelease in range', '>=1.0.0-0', ['1.0.0', '1.1.0-rc.1', '1.1.0-rc.2'], '1.1.0-rc.2'],
    ['prerelease beats nothing', '>=1.0.0-0', ['1.1.0-rc.1', '1.0.0'], '1.1.0-rc.1'],
    ['release over its prerelease', '>=1.0.0-0', ['1.1.0-rc.1', '1.1.0'], '1.1.0'],
    ['x-range does not add prereleases', '1.x', ['1.9.0', '1.10.0-rc.1'], '1.9.0'],
    ['prerelease only in one || alternative', '1.x || >=2.0.0-0', ['1.5.0-rc.1', '1.4.0', '2.1.0-beta'], '2.1.0-beta'],
    ['comma is AND (Masterminds)', '>0,<2.0', ['0.9.0', '1.5.0', '2.0.0'], '1.5.0'],
    ['caret', '^1.2', ['1.2.0', '1.9.9', '2.0.0'], '1.9.9'],
    ['tilde', '~1.2', ['1.2.9', '1.3.0'], '1.2.9'],
    ['hyphen range', '1.2 - 1.4.5', ['1.4.5', '1.4.6', '1.1.0'], '1.4.5'],
    ['build metadata ignored, first of equals stays', '*', ['1.0.0+b', '1.0.0+a', 'v1.0.0'], '1.0.0+b'],
    ['leading zeros are not semver', '*', ['01.2.3', '1.2.3-01', '0.0.1'], '0.0.1'],
    ['uppercase V is not a prefix', '*', ['V2.0.0', '1.0.0'], '1.0.0'],
    ['signature tags excluded by default', '*', ['1.0.0', '2.0.0.sig'], '1.0.0'],
  ];
  it.each(cases)('%s', (_label, range, tags, want) => {
    expect(selectTag(tags, semverP(range))?.tag).toBe(want);
  });

  it.each(['', '1.0.0p', 'x1', 'a', '1.0 ||', '>= foo'])('rejects invalid range %j', (range) => {
    expect(() => compilePolicy(semverP(range))).toThrow(PolicyError);
  });
});

describe('alphabetical policy', () => {
  // Flux alphabetical_test.go
  const tags = ['xenon', 'argon', 'radon', 'krypton', 'neon'];
  it('asc picks the last in order, desc the first', () => {
    expect(selectTag(tags, alpha('asc'))?.tag).toBe('xenon');
    expect(selectTag(tags, alpha('desc'))?.tag).toBe('argon');
  });
  it('orders by bytes: uppercase before lowercase, digits before letters', () => {
    expect(selectTag(['a', 'B', '9'], alpha('asc'))?.tag).toBe('a');
    expect(selectTag(['a', 'B', '9'], alpha('desc'))?.tag).toBe('9');
  });
  it('RFC3339-ish timestamps sort as time', () => {
    const ts = ['2024-01-02T10-00-00', '2023-12-31T23-59-59', '2024-01-02T09-59-59'];
    expect(selectTag(ts, alpha('asc'))?.tag).toBe('2024-01-02T10-00-00');
  });
  it('empty list selects nothing', () => {
    expect(selectTag([], alpha('asc'))).toBeUndefined();
  });
});

describe('numerical policy', () => {
  // Flux numerical_test.go
  const cases: [string, 'asc' | 'desc', string[], string][] = [
    ['integers asc', 'asc', ['-62', '-88', '73', '72', '15', '16', '15', '29', '-33', '-91'], '73'],
    ['integers desc', 'desc', ['5', '-8', '-78', '25', '70', '-4', '80', '92', '-20', '-24'], '-78'],
    ['floats asc', 'asc', ['47.40896403322944', '-27.8520927455902', '53.47333823144817', '3.2008658570411086'], '53.47333823144817'],
    ['floats desc', 'desc', ['-65.27202780220686', '57.82948329142309', '-90.29082099756083', '16.06867070412028'], '-90.29082099756083'],
    ['unix timestamps asc', 'asc', ['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'], '1606364286'],
    ['unix timestamps desc', 'desc', ['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'], '1606234201'],
    ['single value', 'asc', ['1'], '1'],
    ['numeric not lexical', 'asc', ['9', '10', '100', '11'], '100'],
    ['exponent form', 'asc', ['1e3', '999'], '1e3'],
  ];
  it.each(cases)('%s', (_label, order, tags, want) => {
    const shuffled = [...tags].sort(() => 0.5 - Math.random());
    expect(selectTag(shuffled, num(order))?.tag).toBe(want);
  });
  it('fails on a non-numeric tag, as Flux does', () => {
    expect(() => selectTag(['0', '1a', 'b'], num('asc'))).toThrow(/numerical policy: tag value "1a" is not a number/);
  });
  it('parses floats like Go strconv.ParseFloat', () => {
    expect(parseTagFloat('1.5')).toBe(1.5);
    expect(parseTagFloat('+.5')).toBe(0.5);
    expect(parseTagFloat('5.')).toBe(5);
    expect(parseTagFloat('-Inf')).toBe(-Infinity);
    expect(parseTagFloat('0x1p-2')).toBe(0.25);
    expect(parseTagFloat('1e400')).toBeUndefined();
    expect(parseTagFloat('1_000')).toBeUndefined();
    expect(parseTagFloat('')).toBeUndefined();
    expect(parseTagFloat('0x10')).toBeUndefined();
    expect(parseTagFloat('12abc')).toBeUndefined();
  });
});

describe('filterTags', () => {
  const f = (pattern: string, extract?: string): FilterTagsSpec => ({ pattern, ...(extract !== undefined ? { extract } : {}) });
  it('Flux docs example: main-<sha>-<ts> with extract $ts and numerical asc', () => {
    const tags = ['main-abc1234-1611906830', 'main-def5678-1611906999', 'feature-x-1611909999', 'main-0aa1111-1611900000'];
    const s = selectTag(tags, num('asc'), f('^main-[a-fA-F0-9]+-(?P<ts>.*)', '$ts'));
    expect(s).toEqual({ tag: 'main-def5678-1611906999', value: '1611906999', candidates: 3 });
  });
  it('semver on an extracted version', () => {
    const tags = ['1.0.0-alpine', '1.2.0-alpine', '1.3.0-debian', '1.1.0'];
    expect(selectTag(tags, semverP('>=1.0.0'), f('^(?P<v>\\d+\\.\\d+\\.\\d+)-alpine$', '${v}'))?.tag).toBe('1.2.0-alpine');
  });
  it('without extract the whole tag is compared, match is unanchored', () => {
    expect(selectTag(['app-1', 'app-2', 'other'], alpha('asc'), f('app'))?.tag).toBe('app-2');
  });
  it('numbered groups, $$ and ${name} expansion', () => {
    const re = compileGoRegexp('^(?P<a>\\w+)-(\\d+)$');
    const m = re.exec('rel-42') as RegExpExecArray;
    expect(expandGoTemplate('$2', m)).toBe('42');
    expect(expandGoTemplate('${a}x', m)).toBe('relx');
    expect(expandGoTemplate('$ax', m)).toBe(''); // name "ax" does not exist
    expect(expandGoTemplate('$$a', m)).toBe('$a');
    expect(expandGoTemplate('$!', m)).toBe('$!');
    expect(expandGoTemplate('${a', m)).toBe('${a');
    expect(expandGoTemplate('$9', m)).toBe('');
  });
  it('(?i) leading flag', () => {
    expect(selectTag(['MAIN-1', 'dev-2'], alpha('asc'), f('(?i)^main-'))?.tag).toBe('MAIN-1');
  });
  it('later tags win when two extract the same value', () => {
    expect(selectTag(['a-1', 'b-1'], num('asc'), f('-(?P<n>\\d+)$', '$n'))?.tag).toBe('b-1');
  });
  it('no tag passes the filter: nothing selected', () => {
    expect(selectTag(['x', 'y'], alpha('asc'), f('^z'))).toBeUndefined();
  });
  it('rejects an invalid pattern', () => {
    expect(() => compilePolicy(alpha('asc'), f('(unclosed'))).toThrow(PolicyError);
  });
});

describe('exclusionList', () => {
  it('default excludes cosign .sig tags; custom lists replace it', () => {
    const tags = ['sha256-abc.sig', 'v1', 'v2-debug'];
    expect(selectTag(tags, alpha('asc'))?.tag).toBe('v2-debug');
    expect(selectTag(tags, alpha('asc'), undefined, ['debug$'])?.tag).toBe('v1');
    expect(selectTag(['a.sig'], alpha('asc'), undefined, [])?.tag).toBe('a.sig');
  });
});
