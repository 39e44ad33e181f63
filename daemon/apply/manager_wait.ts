// wait: poll live objects until every one is Ready (daemon/health decides per kind).
// Fails fast with WaitError('degraded') when one is Degraded — a Job that failed or a
// Deployment past its progress deadline will not recover by waiting — and with
// WaitError('timeout') listing the stragglers and their last health message.
// Missing (not found) and Unknown (the GET failed) are not Ready: the object stays pending and
// is polled again — it may appear, the API may answer next time — until the timeout, whose
// error names it with that word.
import { formatKey, keyOf, type KubeObject } from '../kube/types.js';
import { healthOf, unknown } from '../health/index.js';
import { WaitError, type WaitState } from './errors.js';
import type { Located, ResourceManager } from './manager.js';
import { mapLimit } from './pool.js';

export interface WaitOptions {
  /** Default 5 minutes. */
  timeoutMs?: number;
  /** Default: the manager's pollIntervalMs. */
  intervalMs?: number;
  /** Keep waiting on Degraded objects instead of failing at once (default false). */
  continueOnDegraded?: boolean;
  signal?: AbortSignal;
}

export async function waitAll(m: ResourceManager, objects: readonly KubeObject[], opts: WaitOptions = {}): Promise<WaitState[]> {
  const start = Date.now();
  const timeout = opts.timeoutMs ?? 300_000;
  const interval = opts.intervalMs ?? m.pollIntervalMs;
  const targets = await Promise.all(objects.map(async (o) => ({ obj: o, loc: await m.locate(o) })));
  const states = new Map<KubeObject, WaitState>(
    objects.map((o) => {
      const key = keyOf(o);
      return [o, { key, subject: formatKey(key), health: unknown('not checked yet') }];
    }),
  );
  let pending: { obj: KubeObject; loc: Located }[] = targets;
  for (;;) {
    const results = await mapLimit(pending, m.concurrency, async (t) => healthOf(await m.getLive(t.loc)));
    const next: typeof pending = [];
    results.forEach((r, i) => {
      const t = pending[i] as { obj: KubeObject; loc: Located };
      const state = states.get(t.obj) as WaitState;
      // A failed GET is transient for waiting purposes: keep the object pending.
      state.health = r.ok ? r.value : unknown(`get failed: ${r.error instanceof Error ? r.error.message : String(r.error)}`);
      if (state.health.status !== 'Ready') next.push(t);
    });
    pending = next;
    const elapsed = Date.now() - start;
    if (pending.length === 0) return [...states.values()];
    const degraded = pending.map((p) => states.get(p.obj) as WaitState).filter((s) => s.health.status === 'Degraded');
    if (degraded.length > 0 && !opts.continueOnDegraded) throw new WaitError('degraded', degraded, elapsed);
    if (elapsed >= timeout || opts.signal?.aborted) {
      throw new WaitError(
        'timeout',
        pending.map((p) => states.get(p.obj) as WaitState),
        elapsed,
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(0, timeout - elapsed))));
  }
}
