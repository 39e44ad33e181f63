// The web page's script for a daemon run from source (tests, the demo): built once per test
// process with scripts/build-ui.ts's esbuild step into node_modules/.cache, and handed to every
// daemon started afterwards through GITOPS_SEAL_UI_BUNDLE (in-process daemons read the
// variable, child processes inherit it). In the image the bundle sits in dist/ instead.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUiBundle } from '../../scripts/build-ui.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let built: Promise<string> | undefined;

/** The bundle's path (built on the first call), also set as process.env.GITOPS_SEAL_UI_BUNDLE. */
export function ensureUiBundle(): Promise<string> {
  built ??= (async () => {
    const parent = join(ROOT, 'node_modules', '.cache');
    mkdirSync(parent, { recursive: true });
    const file = join(mkdtempSync(join(parent, 'gitops-seal-ui-')), 'app.bundle.js');
    writeFileSync(file, await buildUiBundle());
    process.env.GITOPS_SEAL_UI_BUNDLE = file;
    return file;
  })();
  return built;
}
