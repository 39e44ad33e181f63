// Per-phase timings of one reconcile, end to end (issue 18): where the time between a webhook and
// "applied" goes. One PhaseTimer follows one revision of one sync: the source's part (the wait
// before the fetch, ref negotiation, pack download) is handed over by the poller, the engine
// times its stages, the controller the status publication. /status shows the last breakdown per
// sync, the metrics a histogram per phase. (phases.ts is something else: a Helm sync's apply
// phases — CRDs, hooks, release.)
//
// Phases of one reconcile are sequential, so their sum plus `other` (untimed gaps: the event
// loop serving other syncs, glue code) is the wall time from the first moment known.

/** The phases, in the order a reconcile passes them. */
export const PHASES = [
  /** A trigger (webhook, interval) waiting for the source's running fetch, and a sync waiting for its own running reconcile. */
  'queue',
  /** The ref advertisement: which commit the branch names now. */
  'negotiate',
  /** Pack download and its writes into the object store (index included), when the head moved. */
  'download',
  /** Peeling the ref to its commit, signature check, the local ref update. */
  'store',
  /** Walking the revision's tree to the sync's files and their blob ids (or the tree id compare that skips it). */
  'walk',
  /** Reading blobs of new or changed files. */
  'read',
  /** SOPS decryption of new or changed files. */
  'decrypt',
  /** kustomize / helm (render cache hits included). */
  'render',
  /** YAML → objects (new or changed files; rendered output). */
  'parse',
  /** Sealed Secrets, targetNamespace, tenancy, scope binding. */
  'scope',
  /** Reading the stored inventory and the prune guard. */
  'inventory-read',
  /** Finding the new or changed objects (a comparison with the applied ones), and their server-side dry-run. */
  'dry-run',
  /** Server-side apply (all phases of a Helm sync). */
  'apply',
  /** Deleting objects that left Git. */
  'prune',
  /** Inventory writes (write-ahead, old ∪ new, new). */
  'inventory-write',
  /** Waiting for health (spec.wait). */
  'health',
  /** Publishing the outcome (status, metrics, Events follow from the bus). */
  'status',
] as const;

export type Phase = (typeof PHASES)[number];

/** Milliseconds per phase (phases not passed are absent). */
export type PhaseBreakdown = Partial<Record<Phase, number>>;

/** The breakdown of one finished reconcile, as /status shows it. */
export interface ReconcileTimings {
  /** From the first moment known (webhook receipt, timer, or the reconcile's start) to the end. */
  totalMs: number;
  phases: PhaseBreakdown;
  /** totalMs minus the phases: untimed gaps. */
  otherMs: number;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

export class PhaseTimer {
  private readonly ms = new Map<Phase, number>();
  private readonly started: number;

  /** `since`: performance.now() of the first moment known (default now); `before`: phases already measured (the fetch). */
  constructor(since?: number, before: PhaseBreakdown = {}) {
    this.started = since ?? performance.now();
    for (const [p, v] of Object.entries(before) as [Phase, number][]) this.add(p, v);
  }

  add(phase: Phase, ms: number): void {
    this.ms.set(phase, (this.ms.get(phase) ?? 0) + ms);
  }

  /** Runs `fn`, adding its wall time (settled either way) to `phase`. */
  async time<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(phase, performance.now() - t0);
    }
  }

  timeSync<T>(phase: Phase, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(phase, performance.now() - t0);
    }
  }

  /** The breakdown so far (ms, 0.1 ms precision, in PHASES order). */
  phases(): PhaseBreakdown {
    const out: PhaseBreakdown = {};
    for (const p of PHASES) {
      const v = this.ms.get(p);
      if (v !== undefined) out[p] = round(v);
    }
    return out;
  }

  finish(): ReconcileTimings {
    const totalMs = performance.now() - this.started;
    const sum = [...this.ms.values()].reduce((a, b) => a + b, 0);
    return { totalMs: round(totalMs), phases: this.phases(), otherMs: round(Math.max(0, totalMs - sum)) };
  }
}

/** Times `fn` into `timer` when there is one (the CLI's build/diff load without timing). */
export function timed<T>(timer: PhaseTimer | undefined, phase: Phase, fn: () => Promise<T>): Promise<T> {
  return timer ? timer.time(phase, fn) : fn();
}

export function timedSync<T>(timer: PhaseTimer | undefined, phase: Phase, fn: () => T): T {
  return timer ? timer.timeSync(phase, fn) : fn();
}
