// How the browser bundle is made (esbuild): `npm run build` writes it next to the compiled
// daemon (scripts/build-ui.ts → dist/daemon/ui/web/app.js); a daemon run from source (tsx, the
// tests, the demo) builds the same bundle in memory at start. esbuild is a build tool, loaded only here.
import { fileURLToPath } from 'node:url';

/** The client's entry point, from the sources. */
export const WEB_ENTRY = fileURLToPath(new URL('./web/app.ts', import.meta.url));

/** The bundle as text: minified, browser ES2020, preact and htm included (nothing fetched at run time). */
export async function buildBundle(entry: string = WEB_ENTRY): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [entry],
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
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return file.text;
}
