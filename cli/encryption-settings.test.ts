import { describe, expect, it } from 'vitest';
import { collectList, mergeSettings } from './encryption-settings.js';
import { ConfigError } from './errors.js';
import type { ResolvedRule } from './sops-config.js';

const rule: ResolvedRule = {
  configPath: '/r/.sops.yaml',
  index: 0,
  age: ['age1rule'],
  hcVaultTransit: ['http://v/v1/t/keys/k'],
  unsupportedKeys: [],
  crypt: { unencryptedSuffix: '_unencrypted' },
  macOnlyEncrypted: false,
};

describe('mergeSettings', () => {
  it('uses the creation rule when no flags are given', () => {
    expect(mergeSettings('/r/a.yaml', {}, rule, false)).toMatchObject({
      keys: { age: ['age1rule'], hcVaultTransit: ['http://v/v1/t/keys/k'] },
      rule: { unencryptedSuffix: '_unencrypted' },
    });
  });

  it('lets key flags replace all rule keys and crypt flags replace the rule crypt rule', () => {
    const s = mergeSettings('/r/a.yaml', { age: ['age1flag'], encryptedRegex: '^x$', macOnlyEncrypted: true }, rule, false);
    expect(s.keys).toEqual({ age: ['age1flag'], hcVaultTransit: [] });
    expect(s.rule).toEqual({ encryptedRegex: '^x$' });
    expect(s.macOnlyEncrypted).toBe(true);
  });

  it('defaults Secrets to encrypted_regex ^(data|stringData)$ only when nothing sets a crypt rule', () => {
    expect(mergeSettings('/a.yaml', { age: ['age1x'] }, undefined, true).rule).toEqual({ encryptedRegex: '^(data|stringData)$' });
    expect(mergeSettings('/a.yaml', { age: ['age1x'] }, undefined, false).rule).toBeUndefined();
    expect(mergeSettings('/r/a.yaml', {}, rule, true).rule).toEqual({ unencryptedSuffix: '_unencrypted' });
  });

  it('refuses a rule with pgp/kms keys unless flags replace the keys', () => {
    const mixed = { ...rule, unsupportedKeys: ['pgp'] };
    expect(() => mergeSettings('/r/a.yaml', {}, mixed, false)).toThrow(/uses pgp keys/);
    expect(mergeSettings('/r/a.yaml', { age: ['age1flag'] }, mixed, false).keys.age).toEqual(['age1flag']);
  });

  it('fails with a ConfigError when there are no recipients', () => {
    expect(() => mergeSettings('/a.yaml', {}, undefined, false)).toThrow(ConfigError);
    expect(() => mergeSettings('/a.yaml', {}, { ...rule, age: [], hcVaultTransit: [] }, false)).toThrow(/gives no age/);
  });
});

describe('collectList', () => {
  it('splits commas and accumulates repeats', () => {
    expect(collectList('b, c,', collectList('a', undefined))).toEqual(['a', 'b', 'c']);
  });
});
