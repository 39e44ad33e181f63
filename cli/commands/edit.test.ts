import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../errors.js';
import { leftoverEditTemps, type Sandbox, useSandbox } from '../../test/support/cli-sandbox.js';

const CANARY = 'canary-edit-0b5e';

/** An $EDITOR that runs a shell snippet on "$1" and records the temp path and its mode. */
async function editor(sb: Sandbox, name: string, body: string): Promise<string> {
  const p = join(sb.dir, name);
  await writeFile(p, `#!/bin/sh\nstat -c '%a %n' "$1" > "${sb.dir}/${name}.seen"\n${body}\n`, { mode: 0o755 });
  return p;
}

describe('edit', () => {
  const sb = useSandbox(async (sb) => {
    await sb.write('app.yaml', `user: admin\npassword: ${CANARY}\nport: 5432\n`, 0o640);
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 'app.yaml'])).code).toBe(0);
  });

  it('re-encrypts edits, keeps ciphertext of untouched values, the mode, and no temp file', async () => {
    const before = await sb.read('app.yaml');
    const ed = await editor(sb, 'ed.sh', `sed -i 's/port: 5432/port: 6543/' "$1"`);
    const r = await sb.run(['edit', 'app.yaml'], { ...sb.env, EDITOR: ed });
    expect(r).toMatchObject({ code: 0, out: '', err: '' });
    const after = await sb.read('app.yaml');
    const line = (t: string, k: string): string | undefined => t.split('\n').find((l) => l.startsWith(`${k}:`));
    expect(line(after, 'password')).toBe(line(before, 'password'));
    expect(line(after, 'user')).toBe(line(before, 'user'));
    expect(line(after, 'port')).not.toBe(line(before, 'port'));
    expect((await sb.run(['decrypt', 'app.yaml'])).out).toContain('port: 6543');
    expect((await stat(join(sb.dir, 'app.yaml'))).mode & 0o777).toBe(0o640);

    const seen = (await sb.read('ed.sh.seen')).trim();
    expect(seen).toMatch(/^600 \/dev\/shm\/gitops-seal-edit-[^/]+\/app\.yaml$/);
    expect(await leftoverEditTemps()).toEqual([]);
  });

  it('leaves the file untouched when nothing changed', async () => {
    const before = await sb.read('app.yaml');
    const mtime = (await stat(join(sb.dir, 'app.yaml'))).mtimeMs;
    const r = await sb.run(['edit', 'app.yaml'], { ...sb.env, EDITOR: 'true' });
    expect(r.code).toBe(0);
    expect(r.err).toBe('gitops-seal: app.yaml: no changes\n');
    expect(await sb.read('app.yaml')).toBe(before);
    expect((await stat(join(sb.dir, 'app.yaml'))).mtimeMs).toBe(mtime);
  });

  it('aborts without writing when the editor fails, and removes the temp file', async () => {
    const before = await sb.read('app.yaml');
    const ed = await editor(sb, 'fail.sh', `echo "changed: x" >> "$1"; exit 3`);
    const r = await sb.run(['edit', 'app.yaml'], { ...sb.env, EDITOR: ed });
    expect(r.code).toBe(ExitCode.IO);
    expect(r.err).toMatch(/^gitops-seal: app\.yaml: editor '.*' exited with status 3; file left unchanged\n$/);
    expect(await sb.read('app.yaml')).toBe(before);
    expect(await leftoverEditTemps()).toEqual([]);
  });

  it('rejects invalid YAML from the editor without leaking values', async () => {
    const before = await sb.read('app.yaml');
    const ed = await editor(sb, 'bad.sh', `printf 'password: [${CANARY}\\n' > "$1"`);
    const r = await sb.run(['edit', 'app.yaml'], { ...sb.env, EDITOR: ed });
    expect(r.code).toBe(ExitCode.IO);
    expect(r.err).not.toContain(CANARY);
    expect(r.err.split('\n')).toHaveLength(2);
    expect(await sb.read('app.yaml')).toBe(before);
    expect(await leftoverEditTemps()).toEqual([]);
  });

  it('treats an edit saved in another encoding as invalid: never re-encrypted altered', async () => {
    const before = await sb.read('app.yaml');
    const ed = await editor(sb, 'latin1.sh', `printf 'user: admin\\npassword: caf\\351\\nport: 5432\\n' > "$1"`);
    const r = await sb.run(['edit', 'app.yaml'], { ...sb.env, EDITOR: ed });
    expect(r).toMatchObject({
      code: ExitCode.IO,
      err: 'gitops-seal: app.yaml: contains bytes that are not UTF-8; only UTF-8 (or UTF-16 with a byte-order mark) is read, as sops reads it: convert it first, e.g. with iconv -t UTF-8; edit discarded\n',
    });
    expect(await sb.read('app.yaml')).toBe(before);
    expect(await leftoverEditTemps()).toEqual([]);
  });

  it('re-opens the editor on invalid YAML when the user agrees, keeping the edit', async () => {
    // First round: append a broken line. Second round: drop it and change the port.
    const ed = await editor(
      sb,
      'twice.sh',
      `if [ -e "${sb.dir}/round1" ]; then sed -i -e '/^broken/d' -e 's/5432/7000/' "$1"; else touch "${sb.dir}/round1"; echo 'broken: [' >> "$1"; fi`,
    );
    const questions: string[] = [];
    const r = await sb.run(['edit', 'app.yaml'], { ...sb.env, EDITOR: ed }, async (q) => {
      questions.push(q);
      return true;
    });
    expect(r.code).toBe(0);
    expect(questions).toEqual(['Re-open the editor to fix it? [Y/n] ']);
    expect(r.err).toMatch(/^gitops-seal: app\.yaml: .*\n$/);
    expect((await sb.run(['decrypt', 'app.yaml'])).out).toContain('port: 7000');
    expect(await leftoverEditTemps()).toEqual([]);
  });

  it('discards the edit when the user declines to fix invalid YAML', async () => {
    const before = await sb.read('app.yaml');
    const ed = await editor(sb, 'broken.sh', `echo 'broken: [' >> "$1"`);
    const r = await sb.run(['edit', 'app.yaml'], { ...sb.env, EDITOR: ed }, async () => false);
    expect(r.code).toBe(ExitCode.IO);
    expect(r.err.trim().split('\n').pop()).toBe('gitops-seal: app.yaml: edit discarded');
    expect(await sb.read('app.yaml')).toBe(before);
    expect(await leftoverEditTemps()).toEqual([]);
  });

  it('uses $VISUAL when $EDITOR is unset', async () => {
    const ed = await editor(sb, 'vis.sh', `sed -i 's/admin/root/' "$1"`);
    const r = await sb.run(['edit', 'app.yaml'], { ...sb.env, VISUAL: ed });
    expect(r.code).toBe(0);
    expect((await sb.run(['decrypt', 'app.yaml'])).out).toContain('user: root');
  });
});
