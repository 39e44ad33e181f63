// Fault (d): the Vault (OpenBao substitute) server is sealed while a new revision brings a
// Vault-transit-encrypted Secret. A PRIVATE dev server is started for this file and sealed /
// unsealed through its HTTP API (PUT /v1/sys/seal, /v1/sys/unseal with the dev unseal key).
// While sealed the revision is refused as a whole — the error names the file and the seal —
// nothing of it is applied and nothing pruned; after unseal it applies within two intervals.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encryptText } from '../../keys/index.js';
import { devUnsealKey, sealVault, unsealVault, vaultSealed } from '../stack/control.js';
import { startOpenBao } from '../stack/openbao.js';
import { logDir } from '../stack/procs.js';
import type { Started, VaultInfo } from '../stack/types.js';
import { gitSourceConfig, setGitEnv, WorkRepo } from '../e2e/harness.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-process.js';
import {
  configMap,
  cleanupShared,
  converge,
  daemonConfig,
  inventoryObjects,
  kubectlIn,
  namespaceYaml,
  orphans,
  ownedObjects,
  record,
  status,
  syncOf,
  type KubeAccess,
} from './fault-helpers.js';

const stack = inject('stack');
const ID = Date.now().toString(36);
// Unique per run: the shared cluster keeps inventories of earlier runs.
const SYNC = `faults-vault-${ID}`;
const NS = `faults-vault-${ID}`;
const INTERVAL_MS = 4000;
const CANARY = (n: number): string => `canary-${ID}-${n}-${Math.random().toString(36).slice(2)}`;

describe('fault: Vault sealed and unsealed (private dev server)', () => {
  let vault: Started<VaultInfo>;
  let unsealKey: string;
  let repo: WorkRepo;
  let d: RunningDaemon;
  const k: KubeAccess = { kubectl: stack.bins.kubectl, kubeconfig: stack.kube.kubeconfig };
  const canaries = [CANARY(1), CANARY(2)];

  const secret = (name: string, value: string): Promise<string> =>
    encryptText(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${NS}\nstringData:\n  token: ${value}\n`,
      {
        format: 'yaml',
        source: `app/${name}.yaml`,
        keys: { hcVaultTransit: [vault.info.transitUri] },
        rule: { encryptedRegex: '^(data|stringData)$' },
      },
      { vault: { token: vault.info.rootToken } },
    );
  const secretValue = async (name: string): Promise<string | undefined> => {
    try {
      return Buffer.from(await kubectlIn(k, ['get', 'secret', name, '-n', NS, '-o', 'jsonpath={.data.token}']), 'base64').toString();
    } catch {
      return undefined;
    }
  };
  const exists = async (kind: string, name: string): Promise<boolean> =>
    kubectlIn(k, ['get', kind, name, '-n', NS, '-o', 'name']).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    setGitEnv(stack);
    const name = `openbao-faults-${ID}`;
    vault = await startOpenBao({ name });
    unsealKey = await devUnsealKey(join(logDir(), `${name}.log`));
    process.env.FAULTS_VAULT_TOKEN = vault.info.rootToken;
    repo = await WorkRepo.create(stack, `faults-vault-${ID}`);
    await repo.commit(
      {
        'app/ns.yaml': namespaceYaml(NS),
        'app/a.yaml': configMap('a', NS, { v: '1' }),
        'app/b.yaml': configMap('b', NS, { v: '1' }),
        'app/s1.yaml': await secret('s1', canaries[0] ?? ''),
      },
      'R0',
    );
    d = await startDaemon(
      daemonConfig({
        sources: [gitSourceConfig(stack, 'repo', repo.url, { interval: `${INTERVAL_MS}ms` })],
        syncs: [
          {
            name: SYNC,
            source: 'repo',
            path: 'app',
            interval: `${INTERVAL_MS}ms`,
            kubeconfig: { file: stack.kube.kubeconfig },
            decryption: {
              vault: {
                address: vault.info.addr,
                transitMount: vault.info.transitMount,
                auth: { token: { from: { env: 'FAULTS_VAULT_TOKEN' } } },
              },
            },
          },
        ],
      }),
    );
    const head = await repo.head();
    await converge('R0 applied', async () => syncOf(await status(d.url), SYNC)?.appliedRevision === head, 60_000);
  });

  afterAll(async () => {
    await d?.stop();
    await vault?.stop();
    repo?.remove();
    await cleanupShared(k, NS, SYNC);
  });

  it('refuses the revision while sealed (naming file and seal), applies it after unseal', async () => {
    expect(await secretValue('s1')).toBe(canaries[0]);
    // Encrypt the new Secret while Vault can still do it; then seal.
    const s2 = await secret('s2', canaries[1] ?? '');
    const r0 = await repo.head();
    await sealVault(vault.info);
    const sealedAt = Date.now();
    const r1 = await repo.commit({ 'app/s2.yaml': s2, 'app/c.yaml': configMap('c', NS, { v: '1' }), 'app/b.yaml': null }, 'R1: s2, +c, -b');

    await converge(
      'R1 refused with a decrypt error',
      async () => {
        const s = syncOf(await status(d.url), SYNC);
        return s?.attemptedRevision === r1 && s.lastError !== undefined;
      },
      4 * INTERVAL_MS,
    );
    const s = syncOf(await status(d.url), SYNC);
    expect(s?.appliedRevision).toBe(r0);
    expect(s?.lastError?.stage).toBe('decrypt');
    expect(s?.lastError?.message).toContain('app/s2.yaml');
    expect(s?.lastError?.message).toMatch(/sealed/i);
    // Nothing of R1 applied, nothing pruned, the last good Secret intact, the daemon up.
    expect(await exists('configmap', 'c')).toBe(false);
    expect(await exists('configmap', 'b')).toBe(true);
    expect(await exists('secret', 's2')).toBe(false);
    expect(await secretValue('s1')).toBe(canaries[0]);
    expect((await fetch(`${d.url}/healthz`)).ok).toBe(true);
    expect(await vaultSealed(vault.info)).toBe(true);
    const sealedMs = Date.now() - sealedAt;

    await unsealVault(vault.info, unsealKey);
    const convergeMs = await converge(
      'R1 applied after unseal',
      async () => {
        const st = syncOf(await status(d.url), SYNC);
        return st?.appliedRevision === r1 && st.lastError === undefined;
      },
      6 * INTERVAL_MS,
    );
    expect(await secretValue('s2')).toBe(canaries[1]);
    expect(await exists('configmap', 'c')).toBe(true);
    expect(await exists('configmap', 'b')).toBe(false);
    const want = [`ConfigMap/${NS}/a`, `ConfigMap/${NS}/c`, `Namespace//${NS}`, `Secret/${NS}/s1`, `Secret/${NS}/s2`].sort();
    const owned = await ownedObjects(k, SYNC, 'configmaps,secrets,namespaces');
    expect(orphans(owned, want)).toEqual([]);
    expect(owned).toEqual(want);
    expect(await inventoryObjects(k, SYNC)).toEqual(want);
    // The seal error path leaks no secret value.
    const surfaces = d.logs.text + JSON.stringify(await status(d.url));
    for (const c of canaries) expect(surfaces).not.toContain(c);
    record('vault sealed/unsealed', { sealedMs, convergeMs, intervalMs: INTERVAL_MS, error: s?.lastError?.message.slice(0, 160) });
    expect(convergeMs).toBeLessThanOrEqual(2 * INTERVAL_MS);
  });
});
