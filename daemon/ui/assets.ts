// The page's one script, found once at start: the bundle `npm run build` wrote beside this
// module (dist/), or — running from source — built in memory from web/app.ts. Kept gzipped
// too. Without either the pages are still served, server-rendered, with no script.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { buildBundle } from './bundle.js';

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

/** The client bundle; undefined when there is none to be had (the page then works without it). */
export async function loadClientBundle(onMissing: (why: string) => void): Promise<Asset | undefined> {
  const built = fileURLToPath(new URL('./web/app.js', import.meta.url));
  if (existsSync(built)) return asset(readFileSync(built, 'utf8'));
  // From source: beside this module, or (the daemon bundled into one file by the tests) the checkout it runs in.
  const sources = [fileURLToPath(new URL('./web/app.ts', import.meta.url)), join(process.cwd(), 'daemon', 'ui', 'web', 'app.ts')];
  const entry = sources.find((p) => existsSync(p));
  if (!entry) {
    onMissing(`no client bundle (${built}) and no sources to build it from`);
    return undefined;
  }
  try {
    return asset(await buildBundle(entry));
  } catch (err) {
    onMissing(`building the client bundle failed: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
