// The scope claim the CLI adds for cluster-held recipients (cluster pins set by hand: the
// .sops.yaml pin reader is helper h16c's), and the daemon's rule accepting what it wrote.
import { afterEach, describe, expect, it } from 'vitest';
import { decryptText, generateAgeIdentity } from '../keys/index.js';
import { readManifests } from '../daemon/manifests/index.js';
import { bindingProblems, plainSeals, sealedFile } from '../daemon/scope-binding/index.js';
import { useSandbox } from '../test/support/cli-sandbox.js';
import { addScopeClaim, clusterPins, encryptsClaim, widenRegex } from './scope-claim.js';

const CANARY = 'canary-claim-3a9e71d0';
const cluster = await generateAgeIdentity();
const secret = (ns?: string): string =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n${ns ? `  namespace: ${ns}\n` : ''}stringData:\n  password: ${CANARY}\n`;

describe('the crypt rule and the claim', () => {
  it('knows which rules encrypt the claim, and widens an encrypted_regex that does not', () => {
    expect(encryptsClaim(undefined)).toBe(true);
    expect(encryptsClaim({ encryptedRegex: '^(data|stringData)$' })).toBe(false);
    expect(encryptsClaim({ encryptedRegex: '^(data|stringData|gitops-seal.dev/scope)$' })).toBe(true);
    expect(encryptsClaim({ encryptedRegex: '^metadata$' })).toBe(true);
    expect(encryptsClaim({ unencryptedRegex: '^metadata$' })).toBe(false);
    expect(encryptsClaim({ unencryptedRegex: '^(apiVersion|kind)$' })).toBe(true);
    expect(encryptsClaim({ encryptedSuffix: '_enc' })).toBe(false);
    expect(widenRegex('^(data|stringData)$')).toBe('^(data|stringData|gitops-seal.dev/scope)$');
    expect(widenRegex('^data$')).toBe('(?:^data$)|^gitops-seal\\.dev/scope$');
    expect(widenRegex('(?i)^data$')).toBe('(?i)(?:^data$)|^gitops-seal\\.dev/scope$');
  });

  const claim = (
    text: string,
    opts: { scope?: 'strict' | 'namespace' | 'cluster'; to?: string[]; rule?: { encryptedRegex?: string; encryptedSuffix?: string } } = {},
  ) =>
    addScopeClaim({
      plaintext: text,
      format: 'yaml',
      docs: readManifests([{ path: 'x.yaml', text }]).objects.map((o) => o.object),
      recipients: { age: opts.to ?? [cluster.recipient] },
      rule: opts.rule ?? { encryptedRegex: '^(data|stringData)$' },
      cluster: new Set([cluster.recipient]),
      scope: opts.scope ?? 'strict',
      label: 'x.yaml',
    });

  it('adds <namespace>/<name>, or the namespace, or * — double-quoted — and leaves files for other keys alone', () => {
    expect(claim(secret('team-a')).plaintext).toContain('  annotations:\n    gitops-seal.dev/scope: "team-a/db"\n');
    expect(claim(secret('team-a')).rule).toEqual({ encryptedRegex: '^(data|stringData|gitops-seal.dev/scope)$' });
    expect(claim(secret('team-a'), { scope: 'namespace' }).claim).toBe('team-a');
    expect(claim(secret(), { scope: 'cluster' }).plaintext).toContain('gitops-seal.dev/scope: "*"');
    const other = claim(secret('team-a'), { to: ['age1someoneelse'] });
    expect(other).toEqual({ plaintext: secret('team-a'), rule: { encryptedRegex: '^(data|stringData)$' } });
  });

  it('refuses what the daemon would refuse: no namespace, several documents, a rule that cannot encrypt the claim', () => {
    expect(() => claim(secret())).toThrow(/has no metadata\.namespace: set one, or pass --scope cluster/);
    expect(() => claim(`${secret('a')}---\n${secret('a')}`)).toThrow(/holds 2 documents/);
    expect(() => claim(secret('a'), { rule: { encryptedSuffix: '_enc' } })).toThrow(
      /would leave the scope claim gitops-seal\.dev\/scope in plaintext/,
    );
  });
});

describe('gitops-seal encrypt / create-secret with a cluster-held recipient', () => {
  const sb = useSandbox();
  afterEach(() => {
    clusterPins.of = async () => new Set<string>();
  });

  it('encrypt adds the claim and encrypts it; the daemon rule accepts the file where it belongs and refuses it elsewhere', async () => {
    clusterPins.of = async () => new Set([cluster.recipient]);
    await sb.write(
      '.sops.yaml',
      `creation_rules:\n  - age: ${cluster.recipient},${sb.recipient}\n    encrypted_regex: ^(data|stringData)$\n`,
    );
    await sb.write('db.yaml', secret('team-a'));
    const r = await sb.run(['encrypt', '-i', 'db.yaml']);
    expect(r.code, r.err).toBe(0);
    const committed = await sb.read('db.yaml');
    expect(committed).toMatch(/gitops-seal\.dev\/scope: ENC\[AES256_GCM,/);
    expect(committed).toContain('encrypted_regex: ^(data|stringData|gitops-seal.dev/scope)$');
    expect(committed).not.toContain(CANARY);
    const plain = await decryptText(committed, { format: 'yaml', source: 'db.yaml' }, { ageIdentities: [cluster.identity] });
    const objects = readManifests([{ path: 'db.yaml', text: plain }]).objects;
    const seals = plainSeals('db.yaml', committed, objects);
    const files = new Map([['db.yaml', sealedFile('db.yaml', committed, 'yaml', ['manifest'])]]);
    const bind = (namespace: string) =>
      bindingProblems({
        objects: [
          {
            object: { apiVersion: 'v1', kind: 'Secret', metadata: { ...(objects[0]?.object.metadata as object), namespace } },
            namespace,
            seal: seals[0],
          },
        ],
        files,
        cluster: new Set([cluster.recipient]),
      });
    expect(bind('team-a')).toEqual([]);
    expect(bind('team-b')).toHaveLength(1);
  });

  it('create-secret --scope namespace writes a namespace-wide claim', async () => {
    clusterPins.of = async () => new Set([cluster.recipient]);
    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${cluster.recipient},${sb.recipient}\n`);
    const r = await sb.run([
      'create-secret',
      'db',
      '-n',
      'team-a',
      '--from-literal',
      `password=${CANARY}`,
      '--scope',
      'namespace',
      '-o',
      'db.yaml',
    ]);
    expect(r.code, r.err).toBe(0);
    const plain = await decryptText(await sb.read('db.yaml'), { format: 'yaml', source: 'db.yaml' }, { ageIdentities: [cluster.identity] });
    expect(plain).toContain('gitops-seal.dev/scope: team-a\n');
  });
});
