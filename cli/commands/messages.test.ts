// Messages that used to mislead (issue 13 item 14, and the .sops.yaml lookup of item 16).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../../test/support/cli-sandbox.js';
import { ExitCode } from '../errors.js';

describe('messages', () => {
  const sb = useSandbox();

  it('keygen -o names the path it could not create', async () => {
    const r = await sb.run(['keygen', '-o', 'no/such/dir/key.txt']);
    expect(r).toMatchObject({
      code: ExitCode.IO,
      out: '',
      err: 'gitops-seal: no/such/dir/key.txt: cannot create: no such file or directory\n',
    });
  });

  it('says when sops, looking from the current directory, would pick another .sops.yaml', async () => {
    const other = (await import('../../keys/index.js')).generateAgeIdentity();
    await mkdir(join(sb.dir, 'team'), { recursive: true });
    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${(await other).recipient}\n`);
    await sb.write('team/.sops.yaml', `creation_rules:\n  - age: ${sb.recipient}\n`);
    await sb.write('team/s.yaml', 'a: b\n');
    const r = await sb.run(['encrypt', 'team/s.yaml']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(sb.recipient);
    expect(r.err).toBe(
      'gitops-seal: note: using team/.sops.yaml (nearest to the file); sops run from this directory would use .sops.yaml\n',
    );
    // No note when both lookups agree, or with --config.
    await sb.write('s.yaml', 'a: b\n');
    expect((await sb.run(['encrypt', 's.yaml'])).err).toBe('');
    expect((await sb.run(['encrypt', '--config', 'team/.sops.yaml', 'team/s.yaml'])).err).toBe('');
  });

  it("does not read .sops.yml, as sops 3.13 does not, and warns about it in sops' words", async () => {
    await mkdir(join(sb.dir, 'team'), { recursive: true });
    await sb.write('team/.sops.yml', `creation_rules:\n  - age: ${sb.recipient}\n`);
    await sb.write('team/s.yaml', 'a: b\n');
    const none = await sb.run(['encrypt', 'team/s.yaml']);
    expect(none.code).toBe(ExitCode.CONFIG);
    expect(none.err).toMatch(
      /^gitops-seal: warning: ignoring team\/\.sops\.yml: the config file must be called \.sops\.yaml\ngitops-seal: team\/s\.yaml: no recipients/,
    );
    await sb.write('.sops.yaml', `creation_rules:\n  - age: ${sb.recipient}\n`);
    await sb.write('team/t.yaml', 'a: b\n');
    const r = await sb.run(['encrypt', '-i', 'team/s.yaml']);
    expect(r).toMatchObject({
      code: 0,
      err: 'gitops-seal: warning: ignoring team/.sops.yml: the config file must be called .sops.yaml; using .sops.yaml instead\n',
    });
    // updatekeys looks the config up once per file; the warning is given once.
    expect((await sb.run(['encrypt', '-i', 'team/t.yaml'])).code).toBe(0);
    const u = await sb.run(['updatekeys', '-y', 'team/s.yaml', 'team/t.yaml']);
    expect(u.code).toBe(0);
    expect(u.err.match(/warning: ignoring/g)).toHaveLength(1);
  });

  it('names a broken .sops.yaml by the path relative to the current directory, like the file', async () => {
    await mkdir(join(sb.dir, 'apps'), { recursive: true });
    await sb.write('apps/.sops.yaml', 'creation_rules: {not: a list}\n');
    await sb.write('apps/s.yaml', 'a: b\n');
    const r = await sb.run(['encrypt', 'apps/s.yaml']);
    expect(r).toMatchObject({ code: ExitCode.CONFIG, err: 'gitops-seal: apps/.sops.yaml: creation_rules must be a list\n' });
  });

  it('honours $SOPS_CONFIG like --config, as sops does', async () => {
    await sb.write('elsewhere.yaml', `creation_rules:\n  - age: ${sb.recipient}\n`);
    await sb.write('s.yaml', 'a: b\n');
    const r = await sb.run(['encrypt', 's.yaml'], { ...sb.env, SOPS_CONFIG: 'elsewhere.yaml' });
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(sb.recipient);
  });

  it('does not echo the value of a mistyped --option=value (it may be the secret)', async () => {
    const r = await sb.run(['create-secret', 'x', '-n', 'ns', '--from-literl=pw=hunter2-canary']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toContain("gitops-seal: unknown option '--from-literl=…'");
    expect(r.err).not.toContain('hunter2');
  });
});
