// Go-style durations (time.ParseDuration): "1h30m", "30s", "1.5h", "500ms", "0". Units: ns, us, µs, ms,
// s, m, h. Config files use them because Flux and Argo CD users already write intervals this way.

export class DurationError extends Error {
  override readonly name = 'DurationError';
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Longest interval or timeout a config may set: 10 days. The poller waits interval plus up to 100%
 * jitter, and a Node timer longer than 2^31−1 ms (24.8 days) fires after 1 ms instead.
 */
export const MAX_DURATION_MS = 240 * 3_600_000;

const PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds in a Go duration string. Throws DurationError for anything time.ParseDuration rejects. */
export function parseDuration(text: string): number {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new DurationError(`invalid duration "${text}": empty`);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== at) {
      const hint = /^\d+(\.\d*)?$/.test(s) ? ' (missing unit, e.g. "30s" or "5m")' : ' (expected e.g. "30s", "5m", "1h30m")';
      throw new DurationError(`invalid duration "${text}"${hint}`);
    }
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
  }
  if (!Number.isFinite(total)) throw new DurationError(`invalid duration "${text}": out of range`);
  return sign * total;
}

/** Formats milliseconds back as a Go-style duration ("1h30m0s" style is not needed: "90m" → "1h30m"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.abs(ms);
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return `${ms < 0 ? '-' : ''}${parts.join('')}`;
}
