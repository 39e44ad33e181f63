// Request counters of registry clients: per client (a scan reports its own request count) and
// per registry host (totals for /metrics; the daemon's metrics module reads registryTotals()).

export interface RegistryStats {
  /** HTTP requests sent, including token requests and retries. */
  requests: number;
  /** Requests sent again after a 429, 5xx or transport error. */
  retries: number;
  /** 429 responses received. */
  rateLimited: number;
  /** Operations that ended in a RegistryError. */
  errors: number;
}

export function emptyStats(): RegistryStats {
  return { requests: 0, retries: 0, rateLimited: 0, errors: 0 };
}

const totals = new Map<string, RegistryStats>();

export function totalsFor(apiHost: string): RegistryStats {
  let s = totals.get(apiHost);
  if (!s) {
    s = emptyStats();
    totals.set(apiHost, s);
  }
  return s;
}

/** Snapshot of every registry host's counters since process start. */
export function registryTotals(): Record<string, RegistryStats> {
  return Object.fromEntries([...totals].map(([k, v]) => [k, { ...v }]));
}

/** Adds `field` to a client's stats and its host's totals in one call. */
export function bump(stats: RegistryStats, apiHost: string, field: keyof RegistryStats, by = 1): void {
  stats[field] += by;
  totalsFor(apiHost)[field] += by;
}
