import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { decryptText, encryptText, SopsError } from '../index.js';
import { generateAgeIdentity, loadAgeIdentities, parseIdentityFile } from './identities.js';

describe('age identities', () => {
  it('generates an age-keygen style file', async () => {
    const g = await generateAgeIdentity();
    expect(g.recipient).toMatch(/^age1[a-z0-9]{58}$/);
    expect(g.file).toMatch(
      /^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\n# public key: age1\S+\nAGE-SECRET-KEY-1[A-Z0-9]{58}\n$/,
    );
    expect(parseIdentityFile(g.file, 'k')).toEqual([g.identity]);
  });

  it('rejects junk lines without echoing them', () => {
    const err = (() => {
      try {
        parseIdentityFile('# ok\nAGE-SECRET-KEY-1NOTVALIDcanary\n', 'keys.txt');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SopsError);
    expect(String(err)).toContain('line 2');
    expect(String(err)).not.toContain('canary');
  });

  it('loads from an explicit file, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the default path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'age-'));
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => generateAgeIdentity()));
    await writeFile(join(dir, 'explicit.txt'), a!.file);
    await writeFile(join(dir, 'env.txt'), c!.file);
    const xdg = join(dir, 'xdg');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(xdg, 'sops', 'age'), { recursive: true }));
    await writeFile(join(xdg, 'sops', 'age', 'keys.txt'), d!.file);
    const ids = await loadAgeIdentities({
      keyFile: join(dir, 'explicit.txt'),
      env: { SOPS_AGE_KEY: b!.identity, SOPS_AGE_KEY_FILE: join(dir, 'env.txt'), XDG_CONFIG_HOME: xdg },
    });
    expect(ids).toEqual([a!.identity, b!.identity, c!.identity, d!.identity]);
    expect(await loadAgeIdentities({ env: { HOME: join(dir, 'nohome') } })).toEqual([]);
    await expect(loadAgeIdentities({ keyFile: join(dir, 'missing.txt'), env: {} })).rejects.toBeInstanceOf(SopsError);
  });

  it('decrypts for any one of several recipients', async () => {
    const [a, b] = await Promise.all([generateAgeIdentity(), generateAgeIdentity()]);
    const e = await encryptText('k: v\n', { format: 'yaml', source: 's', keys: { age: [`${a.recipient},${b.recipient}`] } }, {});
    expect(await decryptText(e, { format: 'yaml', source: 's' }, { ageIdentities: [b.identity] })).toBe('k: v\n');
  });
});
