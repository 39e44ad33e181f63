// Tampering at the daemon level (test/interop/tamper.int.test.ts covers the keys API and CLI on
// sops-written files): one authenticated part of an encrypted file is changed in a commit that
// also changes a ConfigMap and removes another — the revision must be refused at decrypt with
// the file named in GET /status lastError, nothing applied (the ConfigMap keeps its value),
// nothing pruned (the removed object still exists), the last good state intact (the Secret's
// resourceVersion unchanged). Table-driven; a final control commit of the same shape without
// the tampering IS applied and pruned, so every refusal above is the tampering's doing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { eventually, getJson, gitSourceConfig, kubectl, setGitEnv, WorkRepo } from '../e2e/harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import { flipB64 } from '../interop/helpers.js';
import { editEnc, flipAgeStanza, flipLastModified, flipPart } from '../interop/mutations.js';
import { CanarySweep, makeCanary } from './canary.js';

const stack = inject('stack');

/**
 * The sync attempted `sha` and its lastError is that attempt's (the message names the revision):
 * attemptedRevision moves when a reconcile starts, while lastError still holds the previous one.
 */
const refusedAt = (s: { attemptedRevision?: string; lastError?: { message: string } } | undefined, sha: string): boolean =>
  s?.attemptedRevision === sha && (s.lastError?.message.includes(`revision ${sha.slice(0, 12)}`) ?? false);
const sfx = randomBytes(3).toString('hex');
const NS = `rel-tamper-${sfx}`;
const SYNC = `rel-tamper-${sfx}`;
const RULE = { encryptedRegex: '^(data|stringData)$' };
const canaries = {
  password: makeCanary('tamper-pw'),
  user: makeCanary('tamper-user'),
  suffix: makeCanary('tamper-suffix'),
  vault: makeCanary('tamper-vault'),
};

const cm = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${NS}\ndata: {v: "${value}"}\n`;

/** One character of the Vault transit ciphertext (`vault:v1:<base64>`) of the data key. */
function flipVaultEnc(text: string): string {
  const m = /(enc: vault:v\d+:)([A-Za-z0-9+/=]+)/.exec(text);
  if (!m) throw new Error('no vault stanza');
  return text.replace(m[0], `${m[1]}${flipB64(m[2] as string, 5)}`);
}

interface Case {
  name: string;
  file: 'secret' | 'suffix' | 'vault';
  tamper: (t: string) => string;
  /** Where the refusal happens (default decrypt); the file is named either way. */
  stage?: string;
}

const CASES: Case[] = [
  ...(['data', 'iv', 'tag'] as const).map((p): Case => ({
    name: `value ciphertext part: ${p}`,
    file: 'secret',
    tamper: (t) => editEnc(t, 'password', flipPart(p)),
  })),
  ...(['data', 'iv', 'tag'] as const).map((p): Case => ({
    name: `MAC part: ${p}`,
    file: 'secret',
    tamper: (t) => editEnc(t, 'mac', flipPart(p)),
  })),
  { name: 'MAC removed', file: 'secret', tamper: (t) => t.replace(/^[ \t]*mac: ENC\[[^\]]*\]\n/m, '') },
  { name: 'lastmodified (covered by the MAC)', file: 'secret', tamper: flipLastModified },
  { name: 'age stanza: header byte', file: 'secret', tamper: (t) => flipAgeStanza(t, 40) },
  { name: 'age stanza: wrapped file key byte', file: 'secret', tamper: (t) => flipAgeStanza(t, 90) },
  { name: 'age stanza: payload byte', file: 'secret', tamper: (t) => flipAgeStanza(t, -3) },
  { name: 'unencrypted metadata.name (covered by the MAC)', file: 'secret', tamper: (t) => t.replace('  name: db\n', '  name: dc\n') },
  { name: 'unencrypted type (covered by the MAC)', file: 'secret', tamper: (t) => t.replace('type: Opaque', 'type: Opaqud') },
  {
    name: 'mac_only_encrypted switched on to exempt an edited plaintext field',
    file: 'secret',
    tamper: (t) => t.replace('  name: db\n', '  name: dc\n').replace(/^([ \t]*)(lastmodified:)/m, '$1mac_only_encrypted: true\n$1$2'),
  },
  { name: 'ENC value type: str → int', file: 'secret', tamper: (t) => editEnc(t, 'password', (e) => e.replace('type:str]', 'type:int]')) },
  { name: 'ENC value type: str → bool', file: 'secret', tamper: (t) => editEnc(t, 'user', (e) => e.replace('type:str]', 'type:bool]')) },
  // sops' MAC covers a value's text, not its type: "12345" as int has the same text, so the
  // file decrypts; the Secret check after decryption refuses the number (named, not quoted).
  {
    name: 'ENC value type: str → int on a numeric string (same text, the MAC cannot tell)',
    file: 'secret',
    tamper: (t) => editEnc(t, 'pin', (e) => e.replace('type:str]', 'type:int]')),
    stage: 'manifests',
  },
  {
    name: 'two ENC values swapped (each bound to its path)',
    file: 'secret',
    tamper: (t) => {
      const pw = /^\s*password: (ENC\[[^\]]*\])/m.exec(t)?.[1] ?? '';
      const user = /^\s*user: (ENC\[[^\]]*\])/m.exec(t)?.[1] ?? '';
      return t.replace(pw, '@PW@').replace(user, pw).replace('@PW@', user);
    },
  },
  // Without its sops block a file cannot be decrypted or verified; the ENC[…] values must not be applied as data.
  {
    name: 'sops block removed (ciphertext left as values)',
    file: 'secret',
    tamper: (t) => t.replace(/^sops:\n(?:[ \t-].*\n?)*/m, ''),
    stage: 'manifests',
  },
  { name: 'sops key renamed', file: 'secret', tamper: (t) => t.replace(/^sops:$/m, 'sopz:'), stage: 'manifests' },
  { name: 'ENC value downgraded to attacker plaintext', file: 'secret', tamper: (t) => editEnc(t, 'password', () => 'attacker-chosen') },
  {
    name: '_unencrypted suffix field (covered by the MAC)',
    file: 'suffix',
    tamper: (t) => t.replace('owner_unencrypted: team-a', 'owner_unencrypted: team-b'),
  },
  { name: 'whole-file encryption: kind ciphertext', file: 'suffix', tamper: (t) => editEnc(t, 'kind', flipPart('data')) },
  { name: 'Vault transit stanza: data key ciphertext', file: 'vault', tamper: flipVaultEnc },
  { name: 'Vault-sealed value ciphertext', file: 'vault', tamper: (t) => editEnc(t, 'token', flipPart('tag')) },
];

describe('daemon refuses tampered revisions: nothing applied, nothing pruned, file named', () => {
  let repo: WorkRepo;
  let d: RunningDaemon;
  let good: string;
  let keyDir: string | undefined;
  const originals = new Map<Case['file'], string>();
  const paths: Record<Case['file'], string> = { secret: 't/secret.yaml', suffix: 't/suffix.yaml', vault: 't/vault.yaml' };
  const errors: string[] = [];
  let before: Record<string, string> = {};
  const syncStatus = async () =>
    (
      (await (await fetch(`${d.url}/status`)).json()) as {
        syncs: { name: string; appliedRevision?: string; attemptedRevision?: string; lastError?: { stage: string; message: string } }[];
      }
    ).syncs.find((s) => s.name === SYNC);
  /** kind/name → resourceVersion (and the keep ConfigMap's value) of everything in the namespace, in one LIST. */
  const snapshot = async (): Promise<Record<string, string>> => {
    const list = JSON.parse(await kubectl(stack, ['get', 'secrets,configmaps', '-n', NS, '-o', 'json'])) as {
      items: { kind: string; metadata: { name: string; resourceVersion: string }; data?: Record<string, string> }[];
    };
    const out: Record<string, string> = {};
    for (const o of list.items) {
      if (o.metadata.name === 'kube-root-ca.crt') continue;
      out[`${o.kind}/${o.metadata.name}`] = o.metadata.resourceVersion;
      if (o.metadata.name === 'keep') out['keep.v'] = o.data?.v ?? '';
    }
    return out;
  };

  beforeAll(async () => {
    setGitEnv(stack);
    process.env.REL_TAMPER_VAULT_TOKEN = stack.vault.rootToken;
    repo = await WorkRepo.create(stack, `rel-tamper-${sfx}`);
    const id = await generateAgeIdentity();
    keyDir = mkdtempSync(join(tmpdir(), 'gitops-seal-rel-tamper-'));
    const idFile = join(keyDir, 'age.key');
    writeFileSync(idFile, id.file, { mode: 0o600 });
    const age = { keys: { age: [id.recipient] } };
    originals.set(
      'secret',
      await encryptText(
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ${NS}\ntype: Opaque\nstringData:\n  password: ${canaries.password}\n  user: ${canaries.user}\n  pin: "12345"\n`,
        { format: 'yaml', source: paths.secret, ...age, rule: RULE },
        {},
      ),
    );
    // No rule: everything is encrypted except keys ending in _unencrypted (still covered by the MAC).
    originals.set(
      'suffix',
      await encryptText(
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: whole\n  namespace: ${NS}\n  annotations:\n    owner_unencrypted: team-a\nstringData:\n  key: ${canaries.suffix}\n`,
        { format: 'yaml', source: paths.suffix, ...age },
        {},
      ),
    );
    originals.set(
      'vault',
      await encryptText(
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: vaulted\n  namespace: ${NS}\nstringData:\n  token: ${canaries.vault}\n`,
        { format: 'yaml', source: paths.vault, keys: { hcVaultTransit: [stack.vault.transitUri] }, rule: RULE },
        { vault: { token: stack.vault.rootToken } },
      ),
    );
    good = await repo.commit({
      't/ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`,
      't/keep.yaml': cm('keep', 'good'),
      't/doomed.yaml': cm('doomed', 'good'),
      't/other.yaml': cm('other', 'good'),
      [paths.secret]: originals.get('secret') as string,
      [paths.suffix]: originals.get('suffix') as string,
      [paths.vault]: originals.get('vault') as string,
    });
    d = await startDaemon({
      apiVersion: 'gitops-seal.io/v1alpha1',
      kind: 'DaemonConfig',
      spec: {
        sources: [gitSourceConfig(stack, 'repo', repo.url)],
        syncs: [
          {
            name: SYNC,
            source: 'repo',
            path: 't',
            interval: '1h',
            kubeconfig: { file: stack.kube.kubeconfig },
            decryption: {
              age: { identitiesFrom: [{ file: idFile }] },
              vault: {
                address: stack.vault.addr,
                transitMount: stack.vault.transitMount,
                auth: { token: { from: { env: 'REL_TAMPER_VAULT_TOKEN' } } },
              },
            },
          },
        ],
      },
    });
    await eventually('first revision applied', async () => (await syncStatus())?.appliedRevision === good, 60_000);
    before = await snapshot();
    expect(Object.keys(before).sort()).toEqual([
      'ConfigMap/doomed',
      'ConfigMap/keep',
      'ConfigMap/other',
      'Secret/db',
      'Secret/vaulted',
      'Secret/whole',
      'keep.v',
    ]);
    expect(before['keep.v']).toBe('good');
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
    await kubectl(stack, ['delete', 'namespace', NS, '--wait=false']).catch(() => '');
    await kubectl(stack, ['delete', 'configmap', `gitops-seal-inventory-${SYNC}`, '-n', 'gitops-seal-system', '--ignore-not-found']).catch(
      () => '',
    );
    repo?.remove();
    for (const dir of [keyDir, d?.dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const original = originals.get(c.file) as string;
    const tampered = c.tamper(original);
    expect(tampered).not.toBe(original);
    // Every file is written in full (the other two as sealed), so each commit differs from the
    // good one only by this case's tampering, the ConfigMap change and the removal.
    const files = Object.fromEntries(
      (Object.keys(paths) as Case['file'][]).map((f) => [paths[f], f === c.file ? tampered : (originals.get(f) as string)]),
    );
    const sha = await repo.commit({ ...files, 't/keep.yaml': cm('keep', 'changed'), 't/doomed.yaml': null }, `tamper: ${c.name}`);
    await d.daemon.sources.get('repo')?.trigger();
    const st = await eventually('tampered revision attempted', async () => {
      const s = await syncStatus();
      return refusedAt(s, sha) ? s : undefined;
    });
    errors.push(st.lastError?.message ?? '');
    expect(st.lastError?.stage).toBe(c.stage ?? 'decrypt');
    expect(st.lastError?.message).toContain(paths[c.file]);
    expect(st.appliedRevision).toBe(good);
    // Nothing applied (keep.v still "good"), nothing pruned (doomed still there), nothing rewritten.
    expect(await snapshot()).toEqual(before);
  });

  it('a control commit of the same shape without tampering is applied and pruned (so every refusal above was the tampering)', async () => {
    const files = Object.fromEntries((Object.keys(paths) as Case['file'][]).map((f) => [paths[f], originals.get(f) as string]));
    const sha = await repo.commit({ ...files, 't/keep.yaml': cm('keep', 'changed'), 't/doomed.yaml': null }, 'control');
    await d.daemon.sources.get('repo')?.trigger();
    await eventually('control revision applied', async () => {
      const x = await syncStatus();
      return x?.appliedRevision === sha && !x.lastError;
    });
    expect((await getJson<{ data: { v: string } }>(stack, ['configmap', 'keep', '-n', NS]))?.data.v).toBe('changed');
    expect(await getJson(stack, ['configmap', 'doomed', '-n', NS])).toBeUndefined();
  });

  it('no refusal message or log line carries a plaintext', () => {
    expect(errors.length).toBe(CASES.length);
    const sweep = new CanarySweep(Object.values(canaries));
    for (const [i, e] of errors.entries()) sweep.text(`lastError ${CASES[i]?.name ?? i}`, e);
    sweep.text('daemon logs', d.logs.text);
    expect(sweep.describe()).toEqual([]);
    console.log(
      `[figure] tamper: ${CASES.length} cases refused (${CASES.filter((c) => !c.stage).length} at decrypt with the file named), 0 applied, 0 pruned; control applied`,
    );
  });
});
