// The two waits of a Lease loop and of a handover: the elector and the shard coordinator sleep
// until their next try unless woken (stop, a change to act on), and a release first gives the
// work in flight a bounded time to finish (daemon.ts on stop, the coordinator per shard).

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects: waking is not an error). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves true when p settled within ms (no bound when ms is undefined), false otherwise. */
export async function within(p: Promise<unknown>, ms: number | undefined): Promise<boolean> {
  if (ms === undefined) {
    await p.catch(() => undefined);
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
