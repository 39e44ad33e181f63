// The shared workload of bench/flux.ts: 1,000 objects, 100 of them sealed Secrets that decrypt,
// commits that change exactly what the benchmark waits for; and the parity diff's output.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { decryptText, generateAgeIdentity, TamperedError } from '../../keys/index.js';
import { diffPaths } from './parity.js';
import { CHANGED_CM, COUNTS, TAMPER_CM, TAMPERED_SECRET, cmName, workload } from './workload.js';

describe('bench/flux workload', () => {
  it('holds 1,000 objects in the advertised kinds, every Secret sealed for the recipient', async () => {
    const me = await generateAgeIdentity();
    const wl = await workload(me.recipient);
    const kinds = new Map<string, number>();
    for (const [path, text] of Object.entries(wl.files)) {
      const plain = path.startsWith('secrets/')
        ? await decryptText(text, { format: 'yaml', source: path }, { ageIdentities: [me.identity], dataKeyCache: new Map() })
        : text;
      for (const doc of parseAllDocuments(plain)) {
        const o = doc.toJS() as { kind: string; metadata: { namespace?: string } };
        expect(o.metadata.namespace).toBeUndefined();
        kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
      }
      if (path.startsWith('secrets/')) expect(text).toContain('ENC[AES256_GCM,data:');
    }
    expect(Object.fromEntries(kinds)).toEqual({
      ConfigMap: COUNTS.configmaps,
      Secret: COUNTS.secrets,
      Deployment: COUNTS.deployments,
      Service: COUNTS.services,
      BenchWidget: COUNTS.benchwidgets,
      CustomResourceDefinition: 1,
    });
    expect([...kinds.values()].reduce((a, b) => a + b, 0)).toBe(1000);

    // The one-file change is one file and changes only CHANGED_CM's rev.
    const [changed] = Object.entries(wl.change);
    expect(Object.keys(wl.change)).toHaveLength(1);
    expect(changed?.[1]).toContain(`name: ${cmName(CHANGED_CM)}`);
    expect(changed?.[1].match(/rev: r2/g)).toHaveLength(1);
    // The tampered commit changes TAMPER_CM and carries a Secret that no longer decrypts.
    const tampered = Object.entries(wl.tampered);
    expect(tampered.find(([, t]) => t.includes(`name: ${cmName(TAMPER_CM)}`))?.[1].match(/rev: r3/g)).toHaveLength(1);
    const secret = tampered.find(([p]) => p.startsWith('secrets/'));
    expect(secret?.[0]).toBe(`secrets/s-${String(TAMPERED_SECRET).padStart(3, '0')}.yaml`);
    await expect(
      decryptText(
        secret?.[1] ?? '',
        { format: 'yaml', source: secret?.[0] ?? '' },
        { ageIdentities: [me.identity], dataKeyCache: new Map() },
      ),
    ).rejects.toBeInstanceOf(TamperedError);
    // 200 age operations on a loaded 2-core machine.
  }, 120_000);

  it('lists each differing leaf with both values', () => {
    expect(diffPaths({ a: 1, b: { c: 'x', d: [1] } }, { a: 1, b: { c: 'y', d: [1] }, e: true })).toEqual([
      'b.c: "x" ≠ "y"',
      'e: undefined ≠ true',
    ]);
  });
});
