// Image automation in the daemon: scanners watch registries and choose a tag per policy; after
// each scan that changed a choice, every imageUpdates automation rewrites the marked fields in
// its repository and pushes one commit, published on the event bus as image.pushed; the
// assembly triggers the source on it, so the daemon's own sync rolls the change out.
import type { Logger } from 'pino';
import type { DaemonConfig, SourceSpec } from '../config/index.js';
import { gitSourceSpec, type HomeSecrets } from '../engine/index.js';
import { ImageScanner } from '../images/scanner.js';
import { now, type EventBus } from '../events/index.js';
import type { ImagePolicyStatus } from '../status/index.js';
import { ImageUpdateAutomation, type AutomationStatus } from '../writeback/index.js';
import type { ImagePolicyEntry, PolicyValue } from '../writeback/index.js';
import type { SyncOwnership } from './sync-controller.js';

export class ImageAutomationRunner {
  readonly scanners: ImageScanner[] = [];
  readonly automations: ImageUpdateAutomation[] = [];
  /** One per spec.images[] entry, in config order; `value` is set by its scanner. */
  private readonly policies: ImagePolicyEntry[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  /** An automation failed: run again after the next scan even if no choice changed. */
  private retry = false;

  constructor(
    config: DaemonConfig,
    cacheDir: string,
    private readonly log: Logger,
    private readonly bus: EventBus,
    /** Reads the `{secret: …}` SSH references of a source (the daemon's home cluster). */
    home?: HomeSecrets,
    /** Sharding: scan and push only while this replica holds the image automation's shard. */
    private readonly ownership?: SyncOwnership,
  ) {
    const sources = new Map<string, SourceSpec>(config.spec.sources.map((s) => [s.name, s]));
    for (const spec of config.spec.images) {
      const entry: ImagePolicyEntry = {
        name: spec.name,
        namespaces: spec.namespaces ?? [],
        matchAnyNamespace: spec.matchAnyNamespace === true,
      };
      this.policies.push(entry);
      this.scanners.push(
        new ImageScanner(spec, {
          onScan: (status, result) => {
            if (!result || !status.chosenTag) return;
            if (this.ownership && !this.ownership.accepts()) return;
            const value: PolicyValue = { image: spec.image, tag: status.chosenTag, ...(status.digest ? { digest: status.digest } : {}) };
            const prev = entry.value;
            if (prev && prev.tag === value.tag && prev.digest === value.digest && !this.retry) return;
            entry.value = value;
            log.info({ image: spec.name, namespaces: entry.namespaces, tag: value.tag }, 'image policy chose a new tag');
            this.runAll();
          },
        }),
      );
    }
    for (const u of config.spec.imageUpdates) {
      const src = sources.get(u.source);
      if (!src) continue; // the config parser already refused this
      const branch = u.branch ?? ('branch' in src.ref ? src.ref.branch : undefined);
      if (!branch) {
        log.error({ automation: u.name }, 'imageUpdates needs a branch when its source follows a tag, semver range or commit');
        continue;
      }
      const { auth, ssh } = gitSourceSpec(src, process.env, home);
      this.automations.push(
        new ImageUpdateAutomation(
          u,
          { url: src.url, branch: 'branch' in src.ref ? src.ref.branch : branch, ...(auth ? { auth } : {}), ...(ssh ? { ssh } : {}) },
          cacheDir,
          {
            // The fence, right before each push: never push once the shard may be someone else's.
            beforePush: () => {
              if (this.ownership && !this.ownership.mayWrite())
                return Promise.reject(
                  new Error(`image update ${u.name}: push refused: this replica no longer owns the image automation's shard`),
                );
              return Promise.resolve();
            },
          },
        ),
      );
    }
  }

  /** Run every automation with the current choices (coalesced: one run at a time, one queued). */
  runAll(): Promise<void> {
    if (this.ownership && !this.ownership.accepts()) {
      // A choice (or a queued run) this replica may not act on now: if the shard comes back, the
      // first scan runs the automations even though its choice equals the one already recorded.
      this.retry = true;
      return Promise.resolve();
    }
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      this.retry = false;
      for (const a of this.automations) {
        const r = await a.run(this.policies);
        // A marker no entry answers (another namespace, say) is left alone: tell the operator.
        if (r.skipped.length > 0) this.log.warn({ automation: a.spec.name, skipped: a.status.skipped }, 'image policy markers skipped');
        if (r.reason === 'pushed') {
          this.log.info({ automation: a.spec.name, commit: r.commit, files: r.files }, 'image update pushed');
          this.bus.publish({
            type: 'image.pushed',
            automation: a.spec.name,
            source: a.spec.source,
            commit: r.commit ?? '',
            files: r.files,
            at: now(),
          });
        } else if (r.reason === 'error') {
          this.retry = true;
          this.log.error({ automation: a.spec.name, err: r.detail }, 'image update failed; will retry on the next scan');
          this.bus.publish({
            type: 'image.failed',
            automation: a.spec.name,
            source: a.spec.source,
            reason: r.error?.reason ?? 'storage',
            message: r.detail,
            at: now(),
          });
        }
      }
    })().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.runAll();
      }
    });
    return this.running;
  }

  start(): void {
    for (const s of this.scanners) s.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.scanners.map((s) => s.stop()));
    await this.running?.catch(() => undefined);
  }

  /** Entries of the same name are told apart by the namespaces their markers may name. */
  imageStatus(): ImagePolicyStatus[] {
    return this.scanners.map((s) => ({
      ...s.status,
      ...(s.spec.namespaces?.length ? { namespaces: [...s.spec.namespaces] } : {}),
      ...(s.spec.matchAnyNamespace ? { matchAnyNamespace: true as const } : {}),
    }));
  }

  automationStatus(): AutomationStatus[] {
    return this.automations.map((a) => ({ ...a.status }));
  }
}
