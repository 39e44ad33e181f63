// Product code (cli/, daemon/, keys/ without their *.test.ts) imports nothing from test/, bench/
// or demo/, not even a type, and no test runner: test support lives under test/support/, test
// data in testdata/ folders. dist.test.ts checks what the build emits; this checks the sources,
// where a type-only import would vanish from the build.
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;
const TEST_PACKAGES = new Set(['vitest', 'fast-check']);

async function productSources(): Promise<string[]> {
  const out: string[] = [];
  for (const top of ['cli', 'daemon', 'keys']) {
    for (const e of await readdir(join(ROOT, top), { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(relative(ROOT, join(e.parentPath, e.name)));
    }
  }
  return out.sort();
}

describe('product code imports no test code', () => {
  it('no product source imports test/, bench/, demo/ or a test package', async () => {
    const files = await productSources();
    expect(files.length).toBeGreaterThan(100);
    const bad: string[] = [];
    for (const f of files) {
      for (const m of (await readFile(join(ROOT, f), 'utf8')).matchAll(IMPORT)) {
        const spec = m[1] as string;
        if (TEST_PACKAGES.has(spec.split('/')[0] ?? '')) bad.push(`${f} imports ${spec}`);
        if (!spec.startsWith('.')) continue;
        const top = relative(ROOT, resolve(dirname(join(ROOT, f)), spec)).split('/')[0];
        if (top !== 'cli' && top !== 'daemon' && top !== 'keys') bad.push(`${f} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
