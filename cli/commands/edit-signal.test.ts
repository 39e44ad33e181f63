// The edit temp file must disappear even when gitops-seal is killed while the editor is open.
// This needs a real process (signals), so it runs the CLI entry point under tsx.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../../test/support/cli-sandbox.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'main.ts');
// Absolute loader URL: the child's cwd is a temp dir without node_modules.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

async function waitFor(p: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(p)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${p}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('edit under signals', () => {
  const sb = useSandbox(async (sb) => {
    await sb.write('s.yaml', 'token: canary-signal-77aa\n');
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 's.yaml'])).code).toBe(0);
  });

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`removes the plaintext temp file on ${signal}`, async () => {
      const before = await sb.read('s.yaml');
      const ed = join(sb.dir, 'slow.sh');
      await writeFile(ed, `#!/bin/sh\necho $$ > "${sb.dir}/pid"\necho "$1" > "${sb.dir}/path"\nexec sleep 30\n`, { mode: 0o755 });
      const child = spawn(process.execPath, ['--import', TSX, MAIN, 'edit', 's.yaml'], {
        cwd: sb.dir,
        env: { ...sb.env, EDITOR: ed },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
      await waitFor(join(sb.dir, 'path'), 20_000).catch((err: Error) => {
        child.kill('SIGKILL');
        throw new Error(`${err.message}; stderr: ${stderr}`);
      });
      const tmp = (await readFile(join(sb.dir, 'path'), 'utf8')).trim();
      expect(existsSync(tmp)).toBe(true);
      child.kill(signal);
      expect(await exited).toBe(signal);
      expect(existsSync(tmp)).toBe(false);
      expect(existsSync(dirname(tmp))).toBe(false);
      expect(await sb.read('s.yaml')).toBe(before);
      // the editor was stopped too, so it cannot write the plaintext back later
      const pid = Number((await readFile(join(sb.dir, 'pid'), 'utf8')).trim());
      expect(() => process.kill(pid, 0)).toThrow();
    }, 30_000);
  }
});
