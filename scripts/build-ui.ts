// The web page's browser bundle (daemon/ui/web/app.ts with Preact and htm; esbuild, a build
// tool, never a runtime dependency). Run as `npm run build`'s second step it writes
// dist/daemon/ui/web/app.bundle.js beside the compiled daemon, where daemon/ui/assets.ts finds
// it, and prints its size and gzipped size (the budget is 100 KB compressed for the first
// load; daemon/ui/routes.test.ts checks it). Tests and the demo run the daemon from source:
// test/support/ui-bundle.ts builds the same bundle with buildUiBundle() and hands its path over
// in GITOPS_SEAL_UI_BUNDLE.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
export const WEB_ENTRY = join(root, 'daemon', 'ui', 'web', 'app.ts');

/** The bundle as text: minified, browser ES2020, everything included (nothing fetched at run time). */
export async function buildUiBundle(): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [WEB_ENTRY],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${WEB_ENTRY}`);
  return file.text;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = join(root, 'dist', 'daemon', 'ui', 'web', 'app.bundle.js');
  const text = await buildUiBundle();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`[build-ui] ${out}: ${Buffer.byteLength(text)} B, ${gzipSync(text, { level: 9 }).length} B gzip`);
}
