// Inputs no other test used, each held against the real sops 3.13.3 (issue 13 audit): what sops
// refuses we refuse, leaving the file as it was; what sops reads we read the same way; and what we
// write for keys and values a YAML reader would retype, sops reads back as the same strings.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { useSandbox } from '../../test/support/cli-sandbox.js';
import { ExitCode } from '../errors.js';

const execFileP = promisify(execFile);

interface Sops {
  code: number;
  out: string;
  err: string;
}

describe('input edges, against the real sops', () => {
  const sb = useSandbox();
  const sops = async (args: string[]): Promise<Sops> =>
    execFileP(inject('stack').bins.sops, args, { env: sb.env, cwd: sb.dir, maxBuffer: 64 << 20 }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: e.stdout ?? '', err: e.stderr ?? '' }),
    );
  const laughs = (): string => {
    const lines = ['a: &a ["l", "l", "l", "l", "l", "l", "l", "l", "l", "l"]'];
    for (const [i, n] of [...'bcdefgh'].entries()) lines.push(`${n}: &${n} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`);
    return `${lines.join('\n')}\n`;
  };

  it('what sops refuses we refuse too (exit 6), the file unchanged: not UTF-8, a JSON number beyond float64, a key twice, alias bombs', async () => {
    const cases: Array<[string, Buffer]> = [
      ['latin1.yaml', Buffer.from('apiVersion: v1\nkind: Secret\nstringData:\n  pw: caf\xe9\n', 'latin1')],
      ['range.json', Buffer.from('{"a": {"b": 1e400}}\n')],
      ['twice.yaml', Buffer.from('stringData:\n  a: x\n  a: y\n')],
      ['laughs.yaml', Buffer.from(laughs())],
    ];
    for (const [name, bytes] of cases) {
      await writeFile(join(sb.dir, name), bytes);
      const theirs = await sops(['encrypt', '--age', sb.recipient, name]);
      expect(theirs.code, `sops on ${name}`).not.toBe(0);
      const t0 = performance.now();
      const r = await sb.run(['encrypt', '-i', '--age', sb.recipient, name]);
      expect(performance.now() - t0, name).toBeLessThan(10_000);
      expect(r, name).toMatchObject({ code: ExitCode.IO, out: '' });
      expect((await readFile(join(sb.dir, name))).equals(bytes), name).toBe(true);
    }
  });

  it('UTF-16 with a byte-order mark is read by both; sops decrypts what we wrote', async () => {
    await writeFile(join(sb.dir, 'u16.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('pw: grüße\n', 'utf16le')]));
    const r = await sb.run(['encrypt', '-i', '--age', sb.recipient, 'u16.yaml']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect((await sops(['decrypt', 'u16.yaml'])).out).toBe('pw: grüße\n');
  });

  it('keys a YAML 1.1 reader would retype: we write and print them as sops does', async () => {
    const plain = 'stringData:\n    yes: a\n    on: b\n    n: c\n    1:20: d\n    ok: e\n';
    await sb.write('k.yaml', plain);
    const bySops = await sops(['encrypt', '--age', sb.recipient, 'k.yaml']);
    expect(bySops.code, bySops.err).toBe(0);
    await sb.write('k.sops.yaml', bySops.out);
    const reference = (await sops(['decrypt', 'k.sops.yaml'])).out;
    expect(reference).toBe('stringData:\n    "yes": a\n    "on": b\n    "n": c\n    "1:20": d\n    ok: e\n');
    expect((await sb.run(['decrypt', 'k.sops.yaml'])).out).toBe(reference);
    const ours = await sb.run(['encrypt', '--age', sb.recipient, 'k.yaml']);
    await sb.write('k.ours.yaml', ours.out);
    expect((await sb.run(['decrypt', 'k.ours.yaml'])).out).toBe(reference);
    expect((await sops(['decrypt', 'k.ours.yaml'])).out).toBe(reference);
  });

  it('create-secret keys and values go-yaml would retype reach sops as the same strings', async () => {
    const keys = ['0b10', '0o17', '1_000', '2027-01-01', '08', 'yes', 'plain'];
    const r = await sb.run([
      'create-secret',
      'q',
      '-n',
      'ns',
      '--age',
      sb.recipient,
      '-o',
      'q.yaml',
      ...keys.flatMap((k) => ['--from-literal', `${k}=${k}`]),
    ]);
    expect(r).toMatchObject({ code: 0, err: '' });
    const dec = await sops(['decrypt', 'q.yaml']);
    expect(dec.code, dec.err).toBe(0);
    const data = (parse(dec.out) as { data: Record<string, string> }).data;
    expect(data).toEqual(Object.fromEntries(keys.map((k) => [k, Buffer.from(k).toString('base64')])));
    expect(dec.out).toBe((await sb.run(['decrypt', 'q.yaml'])).out);
  });

  it('a file sops wrote with stores.yaml.indent: 2 keeps that indentation through our decrypt, rotate and edit', async () => {
    await sb.write('.sops.yaml', `stores:\n  yaml:\n    indent: 2\ncreation_rules:\n  - age: ${sb.recipient}\n`);
    await sb.write('i.yaml', 'a:\n  b: 1\n  l:\n    - x\n');
    const w = await sops(['encrypt', '-i', 'i.yaml']);
    expect(w.code, w.err).toBe(0);
    const written = await sb.read('i.yaml');
    expect(written).toMatch(/^a:\n  b: ENC/);
    expect((await sb.run(['decrypt', 'i.yaml'])).out).toBe((await sops(['decrypt', 'i.yaml'])).out);
    const layout = (t: string): number[] => t.split('\n').map((l) => /^ */.exec(l)?.[0].length ?? 0);
    expect((await sb.run(['rotate', 'i.yaml'])).code).toBe(0);
    expect(layout(await sb.read('i.yaml'))).toEqual(layout(written));
    const ed = join(sb.dir, 'ed.sh');
    await writeFile(ed, `#!/bin/sh\nsed -i 's/b: 1/b: 2/' "$1"\n`, { mode: 0o755 });
    expect((await sb.run(['edit', 'i.yaml'], { ...sb.env, EDITOR: ed })).code).toBe(0);
    expect(layout(await sb.read('i.yaml'))).toEqual(layout(written));
    expect((await sops(['decrypt', 'i.yaml'])).out).toBe('a:\n  b: 2\n  l:\n    - x\n');
  });

  it('.sops.yml is read by neither; both say so', async () => {
    await sb.write('.sops.yml', `creation_rules:\n  - age: ${sb.recipient}\n`);
    await sb.write('s.yaml', 'a: b\n');
    const theirs = await sops(['encrypt', 's.yaml']);
    expect(theirs.code).not.toBe(0);
    expect(theirs.err).toContain(
      'ignoring \\".sops.yml\\" when searching for config file; the config file must be called \\".sops.yaml\\"',
    );
    const ours = await sb.run(['encrypt', 's.yaml']);
    expect(ours.code).toBe(ExitCode.CONFIG);
    expect(ours.err).toContain('gitops-seal: warning: ignoring .sops.yml: the config file must be called .sops.yaml\n');
  });
});
