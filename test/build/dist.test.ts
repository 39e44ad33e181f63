// What `npm run build` ships (package.json "files": ["dist"]) is product code only: the build
// runs here into a temp dir from tsconfig.build.json, and every emitted module must be a module
// of cli/, daemon/ or keys/ that the two entry points (the `gitops-seal` and
// `gitops-seal-daemon` binaries) can reach — no test, test helper, fixture or test-data module,
// nothing that imports vitest or test/. Two kinds of unreached module are allowed: type-only
// modules (their JS is an empty `export {}`) and a folder's door (index.js) that nothing imports
// through yet, which is listed so that it stays visible.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRIES = ['cli/main.js', 'daemon/main.js'];
const PRODUCT_FOLDERS = new Set(['cli', 'daemon', 'keys']);
/** Names that mark test code, wherever they appear in a path. */
const TEST_NAME = /(\.test\.js|(^|\/)(testing|test-helpers|testdata|fixtures?)(\/|\.js)|-fixture\.js|-cases\.js)/;
/** Relative import specifiers of an emitted ES module (static, re-export and dynamic). */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

describe('dist/ holds product code only', () => {
  let out = '';
  let files: string[] = [];
  const imports = new Map<string, string[]>();
  /** Modules with no runtime content (type-only sources compile to `export {};`). */
  const typeOnly = new Set<string>();

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'gitops-seal-dist-'));
    const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, maxBuffer: 16 << 20 });
    files = await filesUnder(out);
    for (const f of files.filter((x) => x.endsWith('.js'))) {
      const text = await readFile(join(out, f), 'utf8');
      imports.set(
        f,
        [...text.matchAll(IMPORT)].map((m) => m[1] as string),
      );
      if (
        text
          .replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, '')
          .replace(/export\s*\{\s*\};?/g, '')
          .trim() === ''
      )
        typeOnly.add(f);
    }
  }, 600_000);

  afterAll(async () => {
    if (out !== '') await rm(out, { recursive: true, force: true });
  });

  it('emits only modules of cli/, daemon/ and keys/, none of them test code', () => {
    const modules = files.filter((f) => f.endsWith('.js'));
    const byFolder = new Map<string, number>();
    for (const f of modules) byFolder.set(f.split('/')[0] ?? '', (byFolder.get(f.split('/')[0] ?? '') ?? 0) + 1);
    console.log(
      `[dist] ${modules.length} modules (${[...byFolder].map(([k, n]) => `${k}/ ${n}`).join(', ')}), ${files.length - modules.length} other files`,
    );
    expect(modules.length).toBeGreaterThan(50);
    expect(ENTRIES.filter((e) => !modules.includes(e))).toEqual([]);
    expect(files.filter((f) => !PRODUCT_FOLDERS.has(f.split('/')[0] ?? ''))).toEqual([]);
    expect(files.filter((f) => TEST_NAME.test(f))).toEqual([]);
    // Only modules and their source maps: no copied fixtures or data files.
    expect(files.filter((f) => !f.endsWith('.js') && !f.endsWith('.js.map'))).toEqual([]);
  });

  it('imports nothing of vitest or test/, nothing outside dist/', () => {
    const bad: string[] = [];
    for (const [f, specs] of imports) {
      for (const s of specs) {
        if (s === 'vitest' || s.startsWith('vitest/') || s === 'fast-check') bad.push(`${f} imports ${s}`);
        if (!s.startsWith('.')) continue;
        const target = relative(out, resolve(dirname(join(out, f)), s));
        if (target.startsWith('..') || !PRODUCT_FOLDERS.has(target.split('/')[0] ?? '')) bad.push(`${f} imports ${s}`);
        else if (!imports.has(target)) bad.push(`${f} imports ${s}, which the build did not emit`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('ships no module the binaries cannot reach, except folder doors (listed)', () => {
    const reached = new Set<string>();
    const todo = [...ENTRIES];
    for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
      if (reached.has(f)) continue;
      reached.add(f);
      for (const s of imports.get(f) ?? []) if (s.startsWith('.')) todo.push(relative(out, resolve(dirname(join(out, f)), s)));
    }
    const unreached = [...imports.keys()].filter((f) => !reached.has(f) && !typeOnly.has(f));
    const doors = unreached.filter((f) => f.endsWith('/index.js'));
    if (doors.length > 0) console.log(`[dist] folder doors no binary imports through: ${doors.join(', ')}`);
    expect(unreached.filter((f) => !f.endsWith('/index.js'))).toEqual([]);
  });
});
