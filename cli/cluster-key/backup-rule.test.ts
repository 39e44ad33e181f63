// The backup rule through the real commands (in-process CLI, a temp directory): files only a
// pinned cluster key can decrypt are refused with exit 9 by every command that writes one, the
// override warns, and `check` reports such files (also without keys).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterKeyFingerprint, generateAgeIdentity } from '../../keys/index.js';
import { secretYaml, useSandbox, type Sandbox } from '../../test/support/cli-sandbox.js';
import { ExitCode } from '../errors.js';

const CANARY = 'canary-backup-rule-7f2e';

async function pinned(sb: Sandbox, rule: string, retired: string[] = []): Promise<{ cluster: string }> {
  const cluster = (await generateAgeIdentity()).recipient;
  const retiredYaml = retired.length > 0 ? `\n      retired: [${retired.join(', ')}]` : '';
  await sb.write(
    '.sops.yaml',
    `# hand-written\ncreation_rules:\n${rule.replace(/CLUSTER/g, cluster)}\ngitops-seal:\n  clusterKeys:\n    prod:\n      recipient: ${cluster}\n      fingerprint: ${clusterKeyFingerprint(cluster)}${retiredYaml}\n`,
  );
  return { cluster };
}

describe('backup rule', () => {
  const sb = useSandbox();

  it('encrypt refuses a rule whose only recipient is the pinned cluster key (exit 9, file and rule named, nothing written)', async () => {
    await pinned(sb, '  - path_regex: ^secrets/\n    age: CLUSTER');
    await sb.write('db.yaml', secretYaml('db', { password: CANARY }));
    const r = await sb.run(['encrypt', '--filename-override', 'secrets/db.yaml', '-o', 'out.yaml', 'db.yaml']);
    expect(r.code).toBe(ExitCode.CLUSTER_KEY_ONLY);
    expect(r.err).toMatch(
      /^gitops-seal: db\.yaml: refusing to write a file only cluster-held keys can decrypt: every recipient of creation_rules\[0\] in \.sops\.yaml is the cluster key "prod"/,
    );
    expect(r.err).toContain('--allow-cluster-key-only');
    expect(r.err).not.toContain(CANARY);
    await expect(sb.read('out.yaml')).rejects.toThrow();
  });

  it('--allow-cluster-key-only writes it with a loud warning; a second recipient needs no override', async () => {
    await pinned(sb, '  - path_regex: ^only/\n    age: CLUSTER\n  - path_regex: ^both/\n    age: CLUSTER,' + sb.recipient);
    await sb.write('db.yaml', secretYaml('db', { password: CANARY }));
    const forced = await sb.run(['encrypt', '--filename-override', 'only/db.yaml', '--allow-cluster-key-only', 'db.yaml']);
    expect(forced.code).toBe(0);
    expect(forced.err).toMatch(
      /^gitops-seal: WARNING: db\.yaml: only cluster-held keys \("prod" pinned in \.sops\.yaml\) can decrypt this file/m,
    );
    expect(forced.out).toMatch(/ENC\[AES256_GCM/);
    const both = await sb.run(['encrypt', '--filename-override', 'both/db.yaml', 'db.yaml']);
    expect(both.code).toBe(0);
    expect(both.err).not.toContain('WARNING');
  });

  it('applies to --age flags, create-secret, and retired pinned keys', async () => {
    const retired = (await generateAgeIdentity()).recipient;
    const { cluster } = await pinned(sb, `  - age: ${sb.recipient}`, [retired]);
    await sb.write('db.yaml', secretYaml('db', { password: CANARY }));
    const flags = await sb.run(['encrypt', '--age', `${cluster},${retired}`, 'db.yaml']);
    expect(flags.code).toBe(ExitCode.CLUSTER_KEY_ONLY);
    expect(flags.err).toContain('every recipient of --age/--hc-vault-transit is the cluster key "prod"');
    const cs = await sb.run(['create-secret', 'db', '-n', 'apps', '--from-literal', `password=${CANARY}`, '--age', retired]);
    expect(cs.code).toBe(ExitCode.CLUSTER_KEY_ONLY);
    expect(cs.err).toMatch(/^gitops-seal: db\.yaml: refusing/);
    expect(cs.out).toBe('');
    expect((await sb.run(['create-secret', 'db', '-n', 'apps', '--from-literal', `password=${CANARY}`])).code).toBe(0);
  });

  it('updatekeys and rotate refuse to (re)write a cluster-only file; check reports one, also with --no-decrypt', async () => {
    const { cluster } = await pinned(sb, `  - path_regex: ^apps/\n    age: ${(await generateAgeIdentity()).recipient},CLUSTER`);
    // A file the team encrypted to the cluster key alone, with the override.
    await mkdir(join(sb.dir, 'apps'));
    await sb.write('apps/db.yaml', secretYaml('db', { password: CANARY }));
    expect((await sb.run(['encrypt', '-i', '--age', cluster, '--allow-cluster-key-only', 'apps/db.yaml'])).code).toBe(0);
    await sb.write('apps/ok.yaml', secretYaml('ok', { password: CANARY }));
    expect((await sb.run(['encrypt', '-i', '--age', `${cluster},${sb.recipient}`, 'apps/ok.yaml'])).code).toBe(0);

    const rot = await sb.run(['rotate', 'apps/db.yaml']);
    expect(rot.code).toBe(ExitCode.CLUSTER_KEY_ONLY);
    expect(rot.err).toContain("every recipient of the file's sops metadata is the cluster key");

    for (const args of [['check'], ['check', '--no-decrypt', '-o', 'json']]) {
      const c = await sb.run(args);
      expect(c.code).toBe(ExitCode.PROBLEMS);
      if (args.includes('json')) {
        const report = JSON.parse(c.out) as { problems: { path: string; code?: string }[] };
        expect(report.problems.filter((p) => p.code === 'cluster-key-only').map((p) => p.path)).toEqual(['apps/db.yaml']);
      } else {
        expect(c.out).toMatch(/^apps\/db\.yaml: only cluster-held keys can decrypt this file \("prod" pinned in \.sops\.yaml\)/m);
        expect(c.out).not.toContain('apps/ok.yaml');
      }
    }

    // The rule now names only the cluster key: updatekeys would drop the backup recipient.
    await sb.write('.sops.yaml', (await sb.read('.sops.yaml')).replace(/age: age1[a-z0-9]+,/, 'age: '));
    const up = await sb.run(['updatekeys', '-y', 'apps/ok.yaml']);
    expect(up.code).toBe(ExitCode.CLUSTER_KEY_ONLY);
    expect(up.err).toContain('every recipient of creation_rules[0] in .sops.yaml is the cluster key "prod"');
    expect((await sb.run(['updatekeys', '-y', '--allow-cluster-key-only', 'apps/ok.yaml'])).code).toBe(0);
  });
});
