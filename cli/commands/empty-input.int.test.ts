// Empty and comment-only input is refused by the real sops 3.13 and by us (issue 13 item 4);
// neither writes anything.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { useSandbox } from '../../test/support/cli-sandbox.js';
import { ExitCode } from '../errors.js';

const run = promisify(execFile);

describe('empty input: sops and gitops-seal both refuse it', () => {
  const sb = useSandbox();

  for (const [name, content] of [
    ['empty.yaml', ''],
    ['comments.yaml', '# credentials go here\n'],
  ] as const) {
    it(name, async () => {
      const path = await sb.write(name, content);
      const sops = await run(inject('stack').bins.sops, ['encrypt', '--age', sb.recipient, path], { env: sb.env }).then(
        () => 0,
        (e: { code?: number }) => e.code ?? -1,
      );
      expect(sops).not.toBe(0);
      const ours = await sb.run(['encrypt', '-i', '--age', sb.recipient, name]);
      expect(ours.code).toBe(ExitCode.IO);
      expect(ours.err).toMatch(/nothing to encrypt/);
      expect(await sb.read(name)).toBe(content);
    });
  }
});
