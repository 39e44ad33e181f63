import { describe, expect, it } from 'vitest';

import { generateAgeIdentity } from '../age/identities.js';
import {
  clusterKeyFingerprint,
  formatClusterIdentities,
  parseClusterIdentities,
  publicClusterKey,
  publicFromConfigMapData,
  publicToConfigMapData,
} from './record.js';

describe('cluster key record', () => {
  it('round-trips identities with their creation times, oldest first', async () => {
    const a = await generateAgeIdentity();
    const b = await generateAgeIdentity();
    const list = [
      { identity: a.identity, recipient: a.recipient, created: new Date('2026-01-02T03:04:05Z') },
      { identity: b.identity, recipient: b.recipient, created: new Date('2026-02-02T03:04:05Z') },
    ];
    const text = formatClusterIdentities(list);
    expect(text).toContain(`# public key: ${b.recipient}`);
    const back = await parseClusterIdentities(text, 'secret x');
    expect(back).toEqual(list);
    const pub = publicClusterKey(back);
    expect(pub).toEqual({
      recipient: b.recipient,
      fingerprint: clusterKeyFingerprint(b.recipient),
      created: '2026-02-02T03:04:05.000Z',
      retired: [a.recipient],
    });
    expect(publicFromConfigMapData(publicToConfigMapData(pub), 'cm')).toEqual(pub);
  });

  it('reads a plain age-keygen file (no created comment → epoch 0)', async () => {
    const a = await generateAgeIdentity();
    const [k] = await parseClusterIdentities(`${a.identity}\n`, 'f');
    expect(k?.recipient).toBe(a.recipient);
    expect(k?.created.getTime()).toBe(0);
  });

  it('refuses an empty file and a fingerprint that does not match, without echoing content', async () => {
    await expect(parseClusterIdentities('# nothing\n', 'secret ns/x')).rejects.toThrow(/secret ns\/x.*no age identity/);
    const a = await generateAgeIdentity();
    expect(() => publicFromConfigMapData({ recipient: a.recipient, fingerprint: 'SHA256:abc' }, 'cm ns/x')).toThrow(/does not match/);
    await expect(parseClusterIdentities('AGE-SECRET-KEY-1NOTAKEY\n', 'f')).rejects.not.toThrow(/NOTAKEY/);
  });

  it('fingerprints are stable and differ per recipient', () => {
    expect(clusterKeyFingerprint('age1abc')).toBe(clusterKeyFingerprint('age1abc'));
    expect(clusterKeyFingerprint('age1abc')).not.toBe(clusterKeyFingerprint('age1abd'));
    expect(clusterKeyFingerprint('age1abc')).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
