// Table of scalar and structure cases. Every expected value was produced by sigs.k8s.io/yaml v1.6.0 +
// go.yaml.in/yaml/v2 v2.4.3 (exactly what kubectl 1.35 links) via YAMLToJSON, the step kubectl runs on
// every document; kubectl-parity.int.test.ts re-checks a corpus against a real kubectl binary.
import { describe, expect, it } from 'vitest';
import { ManifestError } from './errors.js';
import { parseKubeYaml } from './kube-yaml.js';

const KUBECTL_CASES: [string, unknown][] = [
  ["v: 0644", {"v":420}],
  ["v: 0o644", {"v":420}],
  ["v: 0O17", {"v":15}],
  ["v: 0x1F", {"v":31}],
  ["v: 0X1f", {"v":31}],
  ["v: -0x1F", {"v":-31}],
  ["v: +0x1F", {"v":31}],
  ["v: 0b101", {"v":5}],
  ["v: -0b101", {"v":-5}],
  ["v: 1_000", {"v":1000}],
  ["v: 1__0", {"v":10}],
  ["v: _1", {"v":"_1"}],
  ["v: 08", {"v":8}],
  ["v: 09.5", {"v":9.5}],
  ["v: 012345", {"v":5349}],
  ["v: 1e3", {"v":1000}],
  ["v: 1E3", {"v":1000}],
  ["v: 1.5e-3", {"v":0.0015}],
  ["v: 1.", {"v":1}],
  ["v: .5", {"v":0.5}],
  ["v: -.5", {"v":-0.5}],
  ["v: +.5", {"v":0.5}],
  ["v: .5e3", {"v":500}],
  ["v: .5_0", {"v":0.5}],
  ["v: 1e400", {"v":"1e400"}],
  ["v: 1:20", {"v":"1:20"}],
  ["v: 190:20:30", {"v":"190:20:30"}],
  ["v: yes", {"v":true}],
  ["v: Yes", {"v":true}],
  ["v: YES", {"v":true}],
  ["v: yEs", {"v":"yEs"}],
  ["v: y", {"v":true}],
  ["v: Y", {"v":true}],
  ["v: n", {"v":false}],
  ["v: no", {"v":false}],
  ["v: on", {"v":true}],
  ["v: ON", {"v":true}],
  ["v: off", {"v":false}],
  ["v: Off", {"v":false}],
  ["v: oN", {"v":"oN"}],
  ["v: true", {"v":true}],
  ["v: TRUE", {"v":true}],
  ["v: tRUE", {"v":"tRUE"}],
  ["v: ~", {"v":null}],
  ["v: null", {"v":null}],
  ["v: NULL", {"v":null}],
  ["v: nULL", {"v":"nULL"}],
  ["v:", {"v":null}],
  ["v: \"\"", {"v":""}],
  ["v: '0644'", {"v":"0644"}],
  ["v: \"yes\"", {"v":"yes"}],
  ["v: 2001-12-14", {"v":"2001-12-14"}],
  ["v: 2001-12-14T21:59:43.10Z", {"v":"2001-12-14T21:59:43.10Z"}],
  ["v: 2001-12-14 21:59:43.10", {"v":"2001-12-14 21:59:43.10"}],
  ["v: 2001-12-14t21:59:43.10-05:00", {"v":"2001-12-14t21:59:43.10-05:00"}],
  ["v: 2001-02-30", {"v":"2001-02-30"}],
  ["v: 12:30:00", {"v":"12:30:00"}],
  ["v: 1.0", {"v":1}],
  ["v: -0", {"v":0}],
  ["v: +5", {"v":5}],
  ["v: 18446744073709551616", {"v":18446744073709552000}],
  ["v: 123456789012345678901234", {"v":1.2345678901234569e+23}],
  ["v: -9223372036854775809", {"v":-9223372036854776000}],
  ["v: .iNf", {"v":".iNf"}],
  ["v: 0.", {"v":0}],
  ["v: 3.14159", {"v":3.14159}],
  ["v: 1e21", {"v":1e+21}],
  ["v: 1e-7", {"v":1e-7}],
  ["v: !!str 0644", {"v":"0644"}],
  ["v: !!int \"0x10\"", {"v":16}],
  ["v: !!float 1", {"v":1}],
  ["v: !!bool \"yes\"", {"v":true}],
  ["v: !!null \"\"", {"v":null}],
  ["v: !!binary aGVsbG8=", {"v":"hello"}],
  ["v: !custom 0644", {"v":"0644"}],
  ["v: !!timestamp 2001-12-14", {"v":"2001-12-14"}],
  ["v: 1_000.5", {"v":1000.5}],
  ["v: 0x_1F", {"v":31}],
  ["v: 0.1_5", {"v":0.15}],
  ["v: 1.2.3", {"v":"1.2.3"}],
  ["v: v1.2", {"v":"v1.2"}],
  ["v: 1-2", {"v":"1-2"}],
  ["v: 007", {"v":7}],
  ["v: \"\\u00e9\\t\"", {"v":"é\t"}],
  ["v: |\n  line1\n  line2", {"v":"line1\nline2"}],
  ["v: >\n  folded\n  text", {"v":"folded text"}],
  ["v: plain\n  multi line", {"v":"plain multi line"}],
  ["v: [1, yes, \"no\", ~]", {"v":[1,true,"no",null]}],
  ["v: {a: 1, b: on}", {"v":{"a":1,"b":true}}],
  ["yes: a\nno: b\n1: c\n1.5: d\n0644: e\n1e6: f\n0.1: g\n3.14159265358979: h\n2001-12-14: i\n0x10: j\n-1: k\n.inf: m\n1e-5: n\n123456.5: o", {"-1":"k",".inf":"m","0.1":"g","1":"c","1.5":"d","123456.5":"o","16":"j","1e+06":"f","1e-05":false,"2001-12-14":"i","3.1415927":"h","420":"e","false":"b","true":"a"}],
  ["a: &x {p: 1, q: 2}\nb: *x", {"a":{"p":1,"q":2},"b":{"p":1,"q":2}}],
  ["base: &b {x: 1, y: 2}\nm: {<<: *b, y: 3}", {"base":{"true":2,"x":1},"m":{"true":3,"x":1}}],
  ["base: &b {x: 1, y: 2}\nm: {y: 3, <<: *b}", {"base":{"true":2,"x":1},"m":{"true":2,"x":1}}],
  ["b1: &b1 {x: 1}\nb2: &b2 {x: 2, z: 2}\nm: {<<: [*b1, *b2]}", {"b1":{"x":1},"b2":{"x":2,"z":2},"m":{"x":1,"z":2}}],
  ["m: {\"<<\": 1}", {"m":{"\u003c\u003c":1}}],
  ["m: {!!merge <<: {a: 1}}", {"m":{"a":1}}],
  ["s: &s 5\nt: *s", {"s":5,"t":5}],
];

describe('parseKubeYaml matches kubectl (sigs.k8s.io/yaml + go-yaml v2)', () => {
  it.each(KUBECTL_CASES)('%j', (src, want) => {
    expect(parseKubeYaml(src, 'case.yaml')).toEqual([want]);
  });

  it('has a large table', () => {
    expect(KUBECTL_CASES.length).toBeGreaterThanOrEqual(40);
  });
});

describe('cases kubectl rejects too', () => {
  it.each([
    ['v: .inf', /no JSON representation/],
    ['v: -.Inf', /no JSON representation/],
    ['v: .NaN', /no JSON representation/],
    ['~: x', /null map key/],
    ['? [a]\n: b', /map key must be a scalar/],
    ['v: !!int abc', /cannot decode a !!str scalar as !!int/],
  ])('%j', (src, err) => {
    expect(() => parseKubeYaml(src, 'case.yaml')).toThrow(err);
  });
});

// Deliberate deviations, each safer than kubectl's behaviour (see README of this module).
describe('deviations from kubectl', () => {
  // kubectl keeps int64/uint64 exactly; a JS number cannot, so we refuse rather than round silently.
  it.each([
  ["v: 9223372036854775807", {"v":9223372036854775807}],
  ["v: 9007199254740993", {"v":9007199254740993}],
  ["v: 18446744073709551615", {"v":18446744073709551615}],
  ])('rejects integers beyond 2^53: %j', (src) => {
    expect(() => parseKubeYaml(src, 'case.yaml')).toThrow(/outside ±\(2\^53−1\)/);
  });

  // kubectl keeps the last duplicate silently (or, for keys that only collide after conversion such as
  // 1 and "1", a random one). We reject; with allowDuplicateKeys the result is kubectl's.
  it.each([
  ["a: 1\na: 2", {"a":2}],
  ["yes: 1\ntrue: 2", {"true":2}],
  ["1: a\n01: b", {"1":"b"}],
  ])('rejects duplicate keys unless allowed: %j', (src, kubectl) => {
    expect(() => parseKubeYaml(src, 'case.yaml')).toThrow(/duplicate key/);
    expect(parseKubeYaml(src, 'case.yaml', { allowDuplicateKeys: true })).toEqual([kubectl]);
  });
});
