import { describe, expect, it } from 'vitest';
import { encryptText, generateAgeIdentity, type ClusterIdentity } from '../../keys/index.js';
import type { KubeClient } from '../kube/client.js';
import { decryptFiles } from './decrypt.js';
import { SyncKeys } from './sync-keys.js';

const noKube = undefined as unknown as KubeClient;

describe('SyncKeys with the cluster key', () => {
  const secret = (name: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}}\nstringData: {p: x}\n`;

  it('decrypts with the cluster identities only when the sync asks, and records each file’s master keys', async () => {
    const g = await generateAgeIdentity();
    const list: ClusterIdentity[] = [{ identity: g.identity, recipient: g.recipient, created: new Date(0) }];
    const source = async () => list;
    const file = {
      path: 'apps/one.yaml',
      text: await encryptText(secret('one'), { format: 'yaml', source: 'one', keys: { age: [g.recipient] } }, {}),
    };
    const yes = new SyncKeys('yes', { clusterKey: true }, noKube, {}, source);
    expect((await decryptFiles([file], await yes.context())).decrypted).toEqual(['apps/one.yaml']);
    expect(yes.clusterKeyUsage(['apps/one.yaml'])).toEqual({
      files: [{ age: [g.recipient], hcVault: 0 }],
      ownRecipients: new Set(),
      vault: false,
    });
    // A file decrypted by a reconcile still under way survives a status read of the older revision.
    const two = {
      path: 'apps/two.yaml',
      text: await encryptText(secret('two'), { format: 'yaml', source: 'two', keys: { age: [g.recipient] } }, {}),
    };
    await decryptFiles([two], await yes.context());
    yes.clusterKeyUsage(['apps/one.yaml']);
    expect(yes.clusterKeyUsage(['apps/one.yaml', 'apps/two.yaml'])?.files).toHaveLength(2);
    // Without decryption.clusterKey: no cluster identity, no usage.
    const no = new SyncKeys(
      'no',
      { age: { identitiesFrom: [{ env: 'K' }] } },
      noKube,
      { K: (await generateAgeIdentity()).identity },
      source,
    );
    await expect(decryptFiles([file], await no.context())).rejects.toThrow(/no key could decrypt the data key/);
    expect(no.clusterKeyUsage(['apps/one.yaml'])).toBeUndefined();
  });
});
