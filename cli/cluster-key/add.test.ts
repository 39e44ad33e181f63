// `.sops.yaml` edits of `cluster-key add`: the user's comments and forms are kept, the rule is
// found by its exact path_regex or created where sops will reach it, pins are parsed strictly.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterKeyFingerprint } from '../../keys/index.js';
import { ConfigError } from '../errors.js';
import { applyAdd } from './add.js';
import { checkPin, PinMismatchError } from './pin-check.js';
import { parsePins } from './pins.js';

const rcp = (c: string): string => `age1${c.repeat(58)}`;
const ADMIN = rcp('q');
const OLD = rcp('p');
const NEW = rcp('z');
const key = (recipient: string, retired: string[] = []): { recipient: string; fingerprint: string; retired: string[] } => ({
  recipient,
  fingerprint: clusterKeyFingerprint(recipient),
  retired,
});
const fp = { clusterKeyFingerprint };
const pinsOf = (text: string): ReturnType<typeof parsePins> => parsePins(text, '.sops.yaml', fp);

const HAND_WRITTEN = `# Team rules — keep the admin key in every rule!
creation_rules:
  # prod: admin key, string form
  - path_regex: ^prod/.*\\.yaml$
    encrypted_regex: "^(data|stringData)$"
    age: ${ADMIN} # the admin
  # dev: list form
  - path_regex: ^dev/
    age:
      - ${ADMIN}
  - path_regex: ^groups/
    key_groups:
      - age:
          - ${ADMIN}
  # everything else
  - age: ${ADMIN}
`;

describe('cluster-key add: .sops.yaml edits', () => {
  it('adds the recipient in the form each rule uses and keeps every comment', () => {
    let text = HAND_WRITTEN;
    for (const rx of ['^prod/.*\\.yaml$', '^dev/', '^groups/']) {
      text = applyAdd(text, '.sops.yaml', { pathRegex: rx, pinName: 'default', key: key(OLD), pinned: pinsOf(text)[0] }).text;
    }
    for (const comment of [
      '# Team rules — keep the admin key in every rule!',
      '# prod: admin key, string form',
      '# the admin',
      '# dev: list form',
      '# everything else',
    ]) {
      expect(text).toContain(comment);
    }
    const doc = parse(text) as { creation_rules: Record<string, unknown>[]; 'gitops-seal': unknown };
    expect(doc.creation_rules[0]?.['age']).toBe(`${ADMIN},${OLD}`);
    expect(doc.creation_rules[1]?.['age']).toEqual([ADMIN, OLD]);
    expect(doc.creation_rules[2]?.['key_groups']).toEqual([{ age: [ADMIN, OLD] }]);
    expect(doc.creation_rules[3]?.['age']).toBe(ADMIN);
    expect(doc['gitops-seal']).toEqual({ clusterKeys: { default: { recipient: OLD, fingerprint: clusterKeyFingerprint(OLD) } } });
    // Idempotent.
    expect(
      applyAdd(text, '.sops.yaml', { pathRegex: '^dev/', pinName: 'default', key: key(OLD), pinned: pinsOf(text)[0] }).changes,
    ).toEqual([]);
  });

  it('creates a missing rule before the catch-all rule (sops uses the first match), or a new file', () => {
    const r = applyAdd(HAND_WRITTEN, '.sops.yaml', { pathRegex: '^cluster/', pinName: 'prod', key: key(OLD), pinned: undefined });
    const rules = (parse(r.text) as { creation_rules: Record<string, unknown>[] }).creation_rules;
    expect(rules.map((x) => x['path_regex'])).toEqual(['^prod/.*\\.yaml$', '^dev/', '^groups/', '^cluster/', undefined]);
    expect(rules[3]?.['age']).toBe(OLD);
    expect(r.changes[0]).toMatch(/^creation_rules\[3\]: new rule for path_regex "\^cluster\/"/);
    const fresh = applyAdd('', '.sops.yaml', { pathRegex: '.*', pinName: 'default', key: key(OLD), pinned: undefined });
    expect(parse(fresh.text)).toMatchObject({ creation_rules: [{ path_regex: '.*', age: OLD }] });
    expect(pinsOf(fresh.text)).toEqual([{ name: 'default', recipient: OLD, fingerprint: clusterKeyFingerprint(OLD), retired: [] }]);
  });

  it('an accepted rotation replaces the old recipient in every rule and pins the new one, the old as retired', () => {
    let text = HAND_WRITTEN;
    for (const rx of ['^prod/.*\\.yaml$', '^dev/']) {
      text = applyAdd(text, '.sops.yaml', { pathRegex: rx, pinName: 'default', key: key(OLD), pinned: pinsOf(text)[0] }).text;
    }
    const r = applyAdd(text, '.sops.yaml', { pathRegex: '^dev/', pinName: 'default', key: key(NEW, [OLD]), pinned: pinsOf(text)[0] });
    const doc = parse(r.text) as { creation_rules: Record<string, unknown>[] };
    expect(doc.creation_rules[0]?.['age']).toBe(`${ADMIN},${NEW}`);
    expect(doc.creation_rules[1]?.['age']).toEqual([ADMIN, NEW]);
    expect(JSON.stringify(doc.creation_rules)).not.toContain(OLD);
    expect(pinsOf(r.text)).toEqual([{ name: 'default', recipient: NEW, fingerprint: clusterKeyFingerprint(NEW), retired: [OLD] }]);
  });

  it('pins are checked strictly: a hand edit of the fingerprint or the recipient is refused', () => {
    const pin = (recipient: string, fingerprint: string): string =>
      `gitops-seal:\n  clusterKeys:\n    default:\n      recipient: ${recipient}\n      fingerprint: ${fingerprint}\n`;
    expect(pinsOf(pin(OLD, clusterKeyFingerprint(OLD)))).toHaveLength(1);
    expect(() => pinsOf(pin(NEW, clusterKeyFingerprint(OLD)))).toThrow(ConfigError);
    expect(() => pinsOf(pin(NEW, clusterKeyFingerprint(OLD)))).toThrow(
      `gitops-seal.clusterKeys.default.fingerprint does not match its recipient (the recipient's is ${clusterKeyFingerprint(NEW)})`,
    );
    expect(() => pinsOf(pin('AGE-SECRET-KEY-1XYZ', 'x'))).toThrow('gitops-seal.clusterKeys.default.recipient is not an age recipient');
    expect(() => pinsOf('gitops-seal: [1]\n')).toThrow(/gitops-seal must be a mapping/);
    expect(pinsOf('creation_rules: []\n')).toEqual([]);
  });

  it('a different key than pinned is refused naming both fingerprints, with the likely cause', () => {
    const pinned = pinsOf(applyAdd('', '.sops.yaml', { pathRegex: '.*', pinName: 'default', key: key(OLD), pinned: undefined }).text)[0];
    const warn: string[] = [];
    const rotated = (): unknown => checkPin('.sops.yaml', pinned, key(NEW, [OLD]), false, (l) => warn.push(l));
    expect(rotated).toThrow(PinMismatchError);
    expect(rotated).toThrow(
      `the cluster key is ${clusterKeyFingerprint(NEW)}, but .sops.yaml pins ${clusterKeyFingerprint(OLD)} as "default"`,
    );
    expect(rotated).toThrow(/lists the pinned key as retired \(the key was rotated\)/);
    expect(() => checkPin('.sops.yaml', pinned, key(NEW), false, () => undefined)).toThrow(
      /does not hold the pinned key any more .* cluster-key restore/,
    );
    expect(checkPin('.sops.yaml', pinned, key(NEW), true, (l) => warn.push(l))).toBe('rotation-accepted');
    expect(warn.join('')).toMatch(/^gitops-seal: WARNING: accepting/);
    expect(checkPin('.sops.yaml', pinned, key(OLD), false, () => undefined)).toBe('match');
  });
});
