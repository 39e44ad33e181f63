// The page's one script, read once at start: the bundle `npm run build` wrote beside this
// module (dist/daemon/ui/web/app.bundle.js, scripts/build-ui.ts), or the file
// GITOPS_SEAL_UI_BUNDLE names (a daemon run from source: tests and the demo build it with
// test/support/ui-bundle.ts). Kept gzipped too. Without either the pages are still served,
// server-rendered, with no script: complete, only not live.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

export interface Asset {
  body: Buffer;
  gzip: Buffer;
  /** Content hash, for the script's URL (cached for good: a new bundle gets a new URL). */
  etag: string;
}

function asset(text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  return { body, gzip: gzipSync(body, { level: 9 }), etag: createHash('sha256').update(body).digest('hex').slice(0, 16) };
}

/** The client bundle; undefined when there is none (the page then works without it). */
export function loadClientBundle(onMissing: (why: string) => void, env: NodeJS.ProcessEnv = process.env): Asset | undefined {
  const built = fileURLToPath(new URL('./web/app.bundle.js', import.meta.url));
  const file = existsSync(built) ? built : env.GITOPS_SEAL_UI_BUNDLE;
  if (!file) {
    onMissing(`no ${built} (npm run build writes it) and GITOPS_SEAL_UI_BUNDLE is not set`);
    return undefined;
  }
  try {
    return asset(readFileSync(file, 'utf8'));
  } catch (err) {
    onMissing(`cannot read the client bundle ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return undefined;
  }
}
