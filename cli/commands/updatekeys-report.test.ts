// updatekeys/rotate reports for sops users (issue 13 item 16): removing a recipient is loud and,
// on a terminal, confirmed; -o takes yaml like the other report commands; JSON names the
// added/removed recipients.
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { secretYaml, useSandbox } from '../../test/support/cli-sandbox.js';
import { generateAgeIdentity } from '../../keys/index.js';

describe('updatekeys / rotate reports', () => {
  let second: { recipient: string };
  const sb = useSandbox(async (sb) => {
    second = await generateAgeIdentity();
    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${sb.recipient},${second.recipient}\n`);
    await sb.write('a.yaml', secretYaml('a', { password: 'x' }));
    expect((await sb.run(['encrypt', '-i', 'a.yaml'])).code).toBe(0);
    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${sb.recipient}\n`);
  });

  it('warns loudly when a recipient is removed and reports it in JSON', async () => {
    const r = await sb.run(['updatekeys', '-o', 'json', 'a.yaml']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`  - ${second.recipient}\n`);
    expect(r.err).toContain(
      'gitops-seal: a.yaml: WARNING: removing 1 recipient (- above): whoever holds only that key can no longer decrypt this file',
    );
    expect(JSON.parse(r.out)).toEqual({
      command: 'updatekeys',
      results: [{ path: 'a.yaml', status: 'updated', added: [], removed: [second.recipient] }],
    });
    expect(await sb.read('a.yaml')).not.toContain(second.recipient);
  });

  it('asks before removing on a terminal; declining leaves the file (skipped), --yes does not ask', async () => {
    const before = await sb.read('a.yaml');
    const asked: string[] = [];
    const no = await sb.run(['updatekeys', 'a.yaml'], sb.env, async (q, defaultYes) => {
      asked.push(`${q}|${String(defaultYes)}`);
      return false;
    });
    expect(no.code).toBe(0);
    expect(asked).toEqual(['Remove 1 recipient from a.yaml? [y/N] |false']);
    expect(no.err).toContain('updatekeys: 0 updated, 0 unchanged, 1 skipped, 0 failed\n');
    expect(await sb.read('a.yaml')).toBe(before);
    const yes = await sb.run(['updatekeys', '--yes', 'a.yaml'], sb.env, async () => {
      throw new Error('must not ask with --yes');
    });
    expect(yes.code).toBe(0);
    expect(await sb.read('a.yaml')).not.toContain(second.recipient);
  });

  it('accepts -o yaml for updatekeys and rotate', async () => {
    const u = await sb.run(['updatekeys', '-y', '-o', 'yaml', 'a.yaml']);
    expect(parse(u.out)).toEqual({
      command: 'updatekeys',
      results: [{ path: 'a.yaml', status: 'updated', added: [], removed: [second.recipient] }],
    });
    const r = await sb.run(['rotate', '-o', 'yaml', 'a.yaml']);
    expect(r.code).toBe(0);
    expect(parse(r.out)).toEqual({ command: 'rotate', results: [{ path: 'a.yaml', status: 'updated' }] });
  });
});
