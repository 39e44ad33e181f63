// Render results by identity (render.ts renderIdentity): an unchanged chart, values and cluster
// give the same objects, so helm does not run again. Results hold rendered Secrets: they live in
// this process's memory only, like decrypted manifests, and the cache is bounded by entries.

import { Lru } from './lru.js';
import type { HelmRenderResult } from './types.js';

export class RenderCache extends Lru<HelmRenderResult> {
  constructor(maxEntries = 32) {
    super(maxEntries);
  }
}
