// Table of scalar and structure cases. Every expected value was produced by sigs.k8s.io/yaml v1.6.0 +
// go.yaml.in/yaml/v2 v2.4.3 (exactly what kubectl 1.35 links) via YAMLToJSON, the step kubectl runs on
// every document; kubectl-parity.int.test.ts re-checks a corpus against a real kubectl binary.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKubeYaml } from './kube-yaml.js';

const KUBECTL_CASES = JSON.parse(readFileSync(new URL('./testdata/kubectl-cases.json', import.meta.url), 'utf8')) as [string, unknown][];

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
    ['v: 9223372036854775807', { v: 9223372036854775807 }],
    ['v: 9007199254740993', { v: 9007199254740993 }],
    ['v: 18446744073709551615', { v: 18446744073709551615 }],
  ])('rejects integers beyond 2^53: %j', (src) => {
    expect(() => parseKubeYaml(src, 'case.yaml')).toThrow(/outside ±\(2\^53−1\)/);
  });

  // kubectl keeps the last duplicate silently (or, for keys that only collide after conversion such as
  // 1 and "1", a random one). We reject; with allowDuplicateKeys the result is kubectl's.
  it.each([
    ['a: 1\na: 2', { a: 2 }],
    ['yes: 1\ntrue: 2', { true: 2 }],
    ['1: a\n01: b', { '1': 'b' }],
  ])('rejects duplicate keys unless allowed: %j', (src, kubectl) => {
    expect(() => parseKubeYaml(src, 'case.yaml')).toThrow(/duplicate key/);
    expect(parseKubeYaml(src, 'case.yaml', { allowDuplicateKeys: true })).toEqual([kubectl]);
  });
});
