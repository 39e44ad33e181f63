import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { assertUsableKeys, compileGoRegex, findConfigFile, loadCreationRule, matchCreationRule, matchPath } from './sops-config.js';

const AGE1 = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const AGE2 = 'age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg';

describe('matchCreationRule', () => {
  const cfgPath = '/repo/.sops.yaml';

  it('picks the first rule whose path_regex matches the path relative to the config dir', () => {
    const cfg = `
creation_rules:
  - path_regex: ^prod/.*\\.yaml$
    age: ${AGE1}
  - path_regex: \\.yaml$
    age: ${AGE2}
`;
    expect(matchCreationRule(cfg, cfgPath, '/repo/prod/db.yaml')?.age).toEqual([AGE1]);
    expect(matchCreationRule(cfg, cfgPath, '/repo/dev/db.yaml')?.age).toEqual([AGE2]);
    expect(matchCreationRule(cfg, cfgPath, '/repo/dev/db.json')).toBeUndefined();
  });

  it('treats a rule without path_regex as matching everything and stops there', () => {
    const cfg = `creation_rules:\n  - age: ${AGE1}\n  - path_regex: x\n    age: ${AGE2}\n`;
    const r = matchCreationRule(cfg, cfgPath, '/repo/x.yaml');
    expect(r?.age).toEqual([AGE1]);
    expect(r?.index).toBe(0);
  });

  it('accepts age as a comma-separated string (with spaces and trailing comma) or a list', () => {
    const s = matchCreationRule(`creation_rules:\n  - age: "${AGE1} , ${AGE2},"\n`, cfgPath, '/repo/a.yaml');
    expect(s?.age).toEqual([AGE1, AGE2]);
    const l = matchCreationRule(`creation_rules:\n  - age:\n      - ${AGE1}\n      - ${AGE2}\n      - ${AGE1}\n`, cfgPath, '/repo/a.yaml');
    expect(l?.age).toEqual([AGE1, AGE2]);
  });

  it('reads vault transit URIs, crypt rules and mac_only_encrypted', () => {
    const cfg = `creation_rules:
  - hc_vault_transit_uri: "http://127.0.0.1:8200/v1/sops/keys/first,http://127.0.0.1:8200/v1/sops/keys/second"
    encrypted_regex: ^(data|stringData)$
    mac_only_encrypted: true
`;
    const r = matchCreationRule(cfg, cfgPath, '/repo/a.yaml');
    expect(r).toMatchObject({
      age: [],
      hcVaultTransit: ['http://127.0.0.1:8200/v1/sops/keys/first', 'http://127.0.0.1:8200/v1/sops/keys/second'],
      crypt: { encryptedRegex: '^(data|stringData)$' },
      macOnlyEncrypted: true,
    });
  });

  it('leaves crypt undefined when the rule sets none', () => {
    expect(matchCreationRule(`creation_rules:\n  - age: ${AGE1}\n`, cfgPath, '/repo/a.yaml')?.crypt).toBeUndefined();
  });

  it('supports a single key group', () => {
    const cfg = `creation_rules:\n  - key_groups:\n      - age: [${AGE1}]\n        hc_vault: [http://v:8200/v1/t/keys/k]\n    unencrypted_suffix: _plain\n`;
    expect(matchCreationRule(cfg, cfgPath, '/repo/a.yaml')).toMatchObject({
      age: [AGE1],
      hcVaultTransit: ['http://v:8200/v1/t/keys/k'],
      crypt: { unencryptedSuffix: '_plain' },
    });
  });

  it('rejects Shamir key groups, unsupported key types and two crypt rules', () => {
    const two = `creation_rules:\n  - key_groups:\n      - age: [${AGE1}]\n      - age: [${AGE2}]\n`;
    expect(() => matchCreationRule(two, cfgPath, '/repo/a.yaml')).toThrow(/Shamir/);
    const pgp = `creation_rules:\n  - pgp: ABCDEF\n    age: ${AGE1}\n`;
    const rule = matchCreationRule(pgp, cfgPath, '/repo/a.yaml');
    expect(rule?.unsupportedKeys).toEqual(['pgp']);
    expect(() => assertUsableKeys(rule!, '/repo/a.yaml')).toThrow(/uses pgp keys, which gitops-seal does not support/);
    const both = `creation_rules:\n  - age: ${AGE1}\n    encrypted_regex: a\n    unencrypted_suffix: b\n`;
    expect(() => matchCreationRule(both, cfgPath, '/repo/a.yaml')).toThrow(ConfigError);
  });

  it('reports invalid YAML and invalid regexes as ConfigError naming the config', () => {
    try {
      matchCreationRule('creation_rules: [\n  - :', cfgPath, '/repo/a.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).file).toBe(cfgPath);
    }
    expect(() => matchCreationRule('creation_rules:\n  - path_regex: "("\n    age: x\n', cfgPath, '/repo/a.yaml')).toThrow(
      /not a valid regular expression/,
    );
  });

  it('returns undefined for an empty config or one without creation_rules', () => {
    expect(matchCreationRule('', cfgPath, '/repo/a.yaml')).toBeUndefined();
    expect(matchCreationRule('stores: {}\n', cfgPath, '/repo/a.yaml')).toBeUndefined();
  });
});

describe('compileGoRegex / matchPath', () => {
  it('turns a leading (?i) into the i flag', () => {
    expect(compileGoRegex('(?i)secret').test('MY-SECRET.yaml')).toBe(true);
    expect(compileGoRegex('secret').test('MY-SECRET.yaml')).toBe(false);
  });

  it('matches relative to the config dir, absolute outside it', () => {
    expect(matchPath('/repo/.sops.yaml', '/repo/a/b.yaml')).toBe('a/b.yaml');
    expect(matchPath('/repo/.sops.yaml', '/elsewhere/b.yaml')).toBe('/elsewhere/b.yaml');
  });
});

describe('findConfigFile / loadCreationRule', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gitops-seal-cfg-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('walks up from the file directory and uses the nearest .sops.yaml', async () => {
    await mkdir(join(dir, 'apps/prod'), { recursive: true });
    await writeFile(join(dir, '.sops.yaml'), `creation_rules:\n  - age: ${AGE1}\n`);
    expect(await findConfigFile(join(dir, 'apps/prod/s.yaml'))).toBe(join(dir, '.sops.yaml'));
    await writeFile(join(dir, 'apps/.sops.yaml'), `creation_rules:\n  - path_regex: ^prod/\n    age: ${AGE2}\n`);
    const rule = await loadCreationRule(join(dir, 'apps/prod/s.yaml'));
    expect(rule?.age).toEqual([AGE2]);
    expect(rule?.configPath).toBe(join(dir, 'apps/.sops.yaml'));
  });

  it('returns undefined when there is no config (nothing to match)', async () => {
    // Cannot guarantee no .sops.yaml above tmpdir on every machine, so use an explicit config.
    await writeFile(join(dir, 'c.yaml'), `creation_rules:\n  - path_regex: nomatch\n    age: ${AGE1}\n`);
    expect(await loadCreationRule(join(dir, 'x.yaml'), join(dir, 'c.yaml'))).toBeUndefined();
  });
});
