import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIdentityFile } from '../../keys/index.js';
import { ExitCode } from '../errors.js';
import { useSandbox } from '../../test/support/cli-sandbox.js';

describe('keygen', () => {
  const sb = useSandbox();

  it('prints an age-keygen file on stdout and the public key on stderr', async () => {
    const r = await sb.run(['keygen']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# created: .+\n# public key: age1[a-z0-9]+\nAGE-SECRET-KEY-1[A-Z0-9]+\n$/);
    expect(parseIdentityFile(r.out, 'x')).toHaveLength(1);
    const pub = /# public key: (age1\w+)/.exec(r.out)?.[1];
    expect(r.err).toBe(`Public key: ${pub}\n`);
  });

  it('writes -o with mode 0600 and refuses to overwrite', async () => {
    const first = await sb.run(['keygen', '-o', 'id.txt']);
    expect(first.code).toBe(0);
    expect(first.out).toBe('');
    expect((await stat(join(sb.dir, 'id.txt'))).mode & 0o777).toBe(0o600);
    const before = await sb.read('id.txt');
    const second = await sb.run(['keygen', '-o', 'id.txt']);
    expect(second.code).toBe(ExitCode.IO);
    expect(second.err).toBe('gitops-seal: id.txt: already exists; refusing to overwrite an identity file\n');
    expect(await sb.read('id.txt')).toBe(before);
  });
});
