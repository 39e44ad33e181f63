// Fetched chart archives by digest, in memory, least recently used evicted first. Charts are not
// secret (values are), so the cache may live as long as the process; it is bounded by bytes so a
// sync that walks through many versions cannot grow the daemon without limit.

import { Lru } from './lru.js';

export interface CachedChart {
  /** The .tgz exactly as fetched and verified. */
  archive: Buffer;
  name: string;
  version: string;
  appVersion?: string;
}

export class ChartCache extends Lru<CachedChart> {
  constructor(maxBytes = 64 * 1024 * 1024) {
    super(maxBytes, (c) => c.archive.length);
  }
}

/** The cache renders share unless the caller passes its own. */
export const defaultChartCache = new ChartCache();
