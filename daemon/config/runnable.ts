// Whether a valid DaemonConfig gives the daemon anything to do. A file can be valid and still
// idle: with no syncs the daemon applies nothing, and --once runs only syncs. Such a config is
// almost always a mistake (a list left empty, a wrong file), and a daemon that starts and
// reports success while doing nothing is worse than one that says so.
//
// A config with imageUpdates and no syncs is valid: image automation alone (bump tags in Git
// and let another tool, or another daemon, apply them). `images` without `imageUpdates` only
// scan registries and change nothing, so they do not count as work.
import type { DaemonConfig } from './types.js';

/** Why this config would do nothing (one line), or undefined when it has work. */
export function nothingToDo(config: DaemonConfig, opts: { once: boolean }): string | undefined {
  const { syncs, imageUpdates } = config.spec;
  if (syncs.length === 0 && imageUpdates.length === 0) {
    return 'nothing to do: no syncs and no imageUpdates (add a sync under spec.syncs to apply a path of a source, or spec.imageUpdates for image automation alone)';
  }
  if (opts.once && syncs.length === 0) {
    return '--once reconciles syncs and this config has none; image automation (imageUpdates) runs without --once';
  }
  return undefined;
}

/** Sources no sync and no imageUpdate uses: fetched for nothing (a leftover, or a typo in a sync's source). */
export function idleSources(config: DaemonConfig): string[] {
  const used = new Set([...config.spec.syncs.map((s) => s.source), ...config.spec.imageUpdates.map((u) => u.source)]);
  return config.spec.sources.map((s) => s.name).filter((n) => !used.has(n));
}
