// Alias expansion has a budget: a "billion laughs" file must be refused at once, not expanded
// (the daemon decrypts repository files with keys/ before any manifest check sees them).
import { describe, expect, it } from 'vitest';

import { decryptText, encryptText, FormatError, generateAgeIdentity } from '../index.js';
import { MAX_ALIAS_EXPANSION } from './yaml-aliases.js';

/** `levels` lines, each a list of ten aliases to the line above: 10^levels nodes once expanded. */
function laughs(levels: number): string {
  const names = 'abcdefghijklmnop';
  const lines = [`a: &a [${Array(10).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < levels; i++)
    lines.push(
      `${names[i]}: &${names[i]} [${Array(10)
        .fill(`*${names[i - 1]}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('YAML aliases', () => {
  it('a billion-laughs sops file is refused in well under a second, before anything is expanded', async () => {
    // A real sops block, so the file is taken for encrypted; the aliases come before it.
    const { recipient, identity } = await generateAgeIdentity();
    const sealed = await encryptText('x: y\n', { format: 'yaml', source: 's.yaml', keys: { age: [recipient] } }, {});
    const bomb = laughs(9) + sealed;
    const t0 = performance.now();
    const err = await decryptText(bomb, { format: 'yaml', source: 'bomb.yaml' }, { ageIdentities: [identity] }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toBe(
      `bomb.yaml: aliases would expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} further nodes (a resource exhaustion pattern); not expanded`,
    );
    await expect(encryptText(laughs(9), { format: 'yaml', source: 'p.yaml', keys: { age: [recipient] } }, {})).rejects.toBeInstanceOf(
      FormatError,
    );
  });

  it('ordinary anchors, aliases and merge keys are still expanded into copies, as sops does', async () => {
    const { recipient, identity } = await generateAgeIdentity();
    const enc = await encryptText(
      'base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\nl: [*b, *b]\n',
      { format: 'yaml', source: 'p.yaml', keys: { age: [recipient] } },
      {},
    );
    expect(enc).not.toMatch(/[&*]b\b/);
    const out = await decryptText(enc, { format: 'yaml', source: 'p.yaml' }, { ageIdentities: [identity] });
    expect(out).toBe('base: {x: 1}\nm:\n    <<: {x: 1}\n    "y": 2\nl: [{x: 1}, {x: 1}]\n');
    // A modest expansion is fine: 10^3 nodes from three levels.
    await expect(encryptText(laughs(3), { format: 'yaml', source: 'p.yaml', keys: { age: [recipient] } }, {})).resolves.toContain('ENC[');
  });
});
