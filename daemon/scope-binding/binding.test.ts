// The binding rule on files made by keys/ (the same SOPS format the sops binary writes, interop
// tested in keys/), including the attacks that broke binding on plaintext metadata.
import { describe, expect, it } from 'vitest';
import { decryptText, encryptText, generateAgeIdentity, TamperedError } from '../../keys/index.js';
import { readManifests } from '../manifests/index.js';
import { bindingProblems, CLAIM_ANNOTATION, plainSeals, sealedFile } from './index.js';

const CANARY = 'canary-scope-5e1f0c2a';
const CLAIM_REGEX = `^(data|stringData|${CLAIM_ANNOTATION})$`;
const cluster = await generateAgeIdentity();
const own = await generateAgeIdentity();
const clusterSet = new Set([cluster.recipient]);
const keys = { ageIdentities: [cluster.identity, own.identity] };

function secret(namespace: string, name: string, annotations: Record<string, string> = {}): string {
  const ann = Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"\n`);
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n${ann.length ? `  annotations:\n${ann.join('')}` : ''}stringData:\n  password: ${CANARY}\n`;
}

const encrypt = (text: string, file: string, opts: { regex?: string; to?: string[] } = {}): Promise<string> =>
  encryptText(
    text,
    { format: 'yaml', source: file, keys: { age: opts.to ?? [cluster.recipient] }, rule: { encryptedRegex: opts.regex ?? CLAIM_REGEX } },
    {},
  );

/** What the plain load path does with one committed file: decrypt (MAC), read, seal, bind. */
async function check(file: string, committed: string, where?: { namespace?: string; name?: string }): Promise<string[]> {
  const plain = await decryptText(committed, { format: 'yaml', source: file }, keys);
  const objects = readManifests([{ path: file, text: plain }]).objects;
  const seals = plainSeals(file, committed, objects);
  const bound = objects.map((o, i) => {
    const meta = o.object.metadata as { name: string; namespace?: string; annotations?: Record<string, string> };
    const applied = { ...meta, ...(where?.name ? { name: where.name } : {}), ...(where?.namespace ? { namespace: where.namespace } : {}) };
    return { object: { apiVersion: 'v1', kind: 'Secret', metadata: applied }, namespace: applied.namespace ?? '', seal: seals[i] };
  });
  const files = new Map([[file, sealedFile(file, committed, 'yaml', ['manifest'])]]);
  return bindingProblems({ objects: bound, files, cluster: clusterSet }).map((p) => p.message);
}

describe('scope binding of files encrypted to the cluster-held key', () => {
  it('applies a file whose encrypted claim matches where it goes; refuses it anywhere else, naming file, object, claim and target', async () => {
    const a = await encrypt(secret('team-a', 'db', { [CLAIM_ANNOTATION]: 'team-a/db' }), 'a/db.yaml');
    expect(a).toMatch(new RegExp(`${CLAIM_ANNOTATION.replace('.', '\\.')}: ENC\\[AES256_GCM`));
    expect(await check('a/db.yaml', a)).toEqual([]);
    // Tenant B's copy, moved to team-b by B's targetNamespace:
    const [msg] = await check('b/db.yaml', a, { namespace: 'team-b' });
    expect(msg).toBe(
      'b/db.yaml: Secret/team-b/db: would be applied to namespace "team-b" as "db", but its scope claim is "team-a/db": refusing to decrypt a cluster-key secret outside its scope',
    );
    expect(await check('a/db.yaml', a, { name: 'db2' })).toHaveLength(1);
    expect((await check('a/db.yaml', a, { name: 'db2' })).join()).not.toContain(CANARY);
  });

  it('namespace-wide allows any name in the namespace; * allows anywhere', async () => {
    const wide = await encrypt(secret('team-a', 'db', { [CLAIM_ANNOTATION]: 'team-a' }), 'w.yaml');
    expect(await check('w.yaml', wide, { name: 'renamed' })).toEqual([]);
    expect(await check('w.yaml', wide, { namespace: 'team-b' })).toHaveLength(1);
    const any = await encrypt(secret('team-a', 'db', { [CLAIM_ANNOTATION]: '*' }), 'c.yaml');
    expect(await check('c.yaml', any, { namespace: 'team-z', name: 'x' })).toEqual([]);
  });

  it('refuses a missing claim and a claim the rule left in plaintext, saying how to fix it', async () => {
    const none = await encrypt(secret('team-a', 'db'), 'n.yaml');
    expect((await check('n.yaml', none))[0]).toMatch(
      /carries no scope claim: add metadata\.annotations\["gitops-seal\.dev\/scope"\].*encrypted_regex, e\.g\. \^\(data\|stringData\|gitops-seal\.dev\/scope\)\$/,
    );
    const plainClaim = await encrypt(secret('team-a', 'db', { [CLAIM_ANNOTATION]: 'team-a/db' }), 'p.yaml', {
      regex: '^(data|stringData)$',
    });
    expect(plainClaim).toContain(`${CLAIM_ANNOTATION}: "team-a/db"`);
    expect((await check('p.yaml', plainClaim))[0]).toMatch(/was not SOPS ciphertext .* include it in the creation rule's encrypted_regex/);
  });

  it("leaves files encrypted only to other keys alone: their recipients are the tenant's own", async () => {
    const mine = await encrypt(secret('team-a', 'db'), 'm.yaml', { regex: '^(data|stringData)$', to: [own.recipient] });
    expect(await check('m.yaml', mine, { namespace: 'anywhere' })).toEqual([]);
    // Encrypted to both: the cluster could decrypt it, so it is bound.
    const both = await encrypt(secret('team-a', 'db'), 'b.yaml', { regex: '^(data|stringData)$', to: [own.recipient, cluster.recipient] });
    expect(await check('b.yaml', both)).toHaveLength(1);
  });

  it('the re-split attack: the MAC hashes values only, so plaintext metadata can be re-cut under the same MAC — the encrypted claim still refuses', async () => {
    const a = await encrypt(secret('team-ab', 'db', { [CLAIM_ANNOTATION]: 'team-ab/db' }), 'a.yaml');
    // namespace "team-ab" → "team-a" + a new annotation "x: b" walked right after it: the values,
    // concatenated in order, are unchanged, so the MAC still verifies.
    const resplit = a
      .replace('namespace: team-ab\n', 'namespace: team-a\n')
      .replace('    annotations:\n', '    annotations:\n        x: b\n');
    expect(resplit).not.toBe(a);
    const plain = await decryptText(resplit, { format: 'yaml', source: 'a.yaml' }, keys);
    expect(plain).toContain('namespace: team-a\n'); // decrypts: binding on plaintext metadata is broken
    expect((await check('a.yaml', resplit))[0]).toContain(
      'would be applied to namespace "team-a" as "db", but its scope claim is "team-ab/db"',
    );

    // And a claim forged the same way: keys are not in the MAC, so an annotation becomes the
    // claim by renaming its key. In a file whose rule covers the claim, sops itself refuses the
    // plaintext there; under the common ^(data|stringData)$ it decrypts — but was plaintext in Git.
    const noted = await encrypt(secret('team-a', 'db', { note: '*' }), 'f.yaml', { regex: '^(data|stringData)$' });
    const forged = noted.replace(/ {8}note: /, `        ${CLAIM_ANNOTATION}: `);
    expect(await decryptText(forged, { format: 'yaml', source: 'f.yaml' }, keys)).toContain(`${CLAIM_ANNOTATION}: "*"`);
    expect((await check('f.yaml', forged, { namespace: 'team-b' }))[0]).toMatch(/was not SOPS ciphertext at metadata\.annotations/);
    const covered = await encrypt(secret('team-a', 'db', { note: '*' }), 'g.yaml');
    const forged2 = covered.replace(/ {8}note: /, `        ${CLAIM_ANNOTATION}: `);
    await expect(decryptText(forged2, { format: 'yaml', source: 'g.yaml' }, keys)).rejects.toThrow(/should be encrypted but is not/);
  });

  it('an encrypted claim cannot be moved: from another file (other data key) or from another path (AAD) it fails to authenticate', async () => {
    const a = await encrypt(secret('team-a', 'db', { [CLAIM_ANNOTATION]: 'team-a/db' }), 'a.yaml');
    const b = await encrypt(secret('team-b', 'mine', { [CLAIM_ANNOTATION]: 'team-b/db' }), 'b.yaml');
    const claimOf = (t: string): string => /gitops-seal\.dev\/scope: (ENC\[[^\]]+\])/.exec(t)?.[1] ?? '';
    const swapped = a.replace(claimOf(a), claimOf(b));
    await expect(decryptText(swapped, { format: 'yaml', source: 'a.yaml' }, keys)).rejects.toThrow(TamperedError);
    await expect(decryptText(swapped, { format: 'yaml', source: 'a.yaml' }, keys)).rejects.toThrow(
      /metadata\.annotations\.gitops-seal\.dev\/scope failed to authenticate/,
    );
    // Same file, same data key: the password's ciphertext put at the claim path.
    const password = /password: (ENC\[[^\]]+\])/.exec(a)?.[1] ?? '';
    const moved = a.replace(claimOf(a), password);
    await expect(decryptText(moved, { format: 'yaml', source: 'a.yaml' }, keys)).rejects.toThrow(TamperedError);
  });

  it('refuses a cluster-key file with several documents or a List: a claim cannot bind one document of a shared data key', async () => {
    const two = await encrypt(
      `${secret('team-a', 'one', { [CLAIM_ANNOTATION]: 'team-a/one' })}---\n${secret('team-a', 'two', { [CLAIM_ANNOTATION]: 'team-a/two' })}`,
      'two.yaml',
    );
    const problems = await check('two.yaml', two);
    expect(problems).toEqual([
      expect.stringMatching(/^two\.yaml: is encrypted to the cluster-held key but holds 2 documents: .* put each object in its own file$/),
    ]);
  });

  it('refuses cluster-key Helm values and secretGenerator sources (what they render into carries no claim); other keys pass', async () => {
    const values = await encryptText('db:\n  password: x\n', { format: 'yaml', source: 'v.yaml', keys: { age: [cluster.recipient] } }, {});
    const dotenv = `PASSWORD=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops_age__list_0__map_recipient=${cluster.recipient}\n`;
    const files = new Map([
      ['v.yaml', sealedFile('v.yaml', values, 'yaml', ['helm-values'])],
      ['g.env', sealedFile('g.env', dotenv, 'dotenv', ['generator'])],
      ['o.env', sealedFile('o.env', dotenv.replace(cluster.recipient, own.recipient), 'dotenv', ['generator'])],
    ]);
    expect(files.get('g.env')?.recipients).toEqual([cluster.recipient]);
    const problems = bindingProblems({ objects: [], files, cluster: clusterSet }).map((p) => p.message);
    expect(problems).toEqual([
      expect.stringMatching(/^g\.env: is encrypted to the cluster-held key but feeds a kustomize secretGenerator/),
      expect.stringMatching(/^v\.yaml: is encrypted to the cluster-held key but is a Helm values file/),
    ]);
  });
});
