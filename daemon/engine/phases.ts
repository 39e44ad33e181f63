// Apply in phases (Helm syncs): CRDs, then pre-install/pre-upgrade hooks, then the release's
// objects, then post-install/post-upgrade hooks — each phase one server-side apply, so a phase
// starts only after the previous one was accepted (the ResourceManager's own stages, CRDs →
// Namespaces → cluster-scoped → namespaced, still order each call). A plain or Kustomize sync
// has no phases: one apply, as before. The rule for which hook goes where is
// daemon/render/helm/hooks.ts; delete policies are not run (hooks stay, owned like any object).
import type { ChangeSet, ResourceManager } from '../apply/index.js';
import { describe, type KubeObject } from '../kube/types.js';
import type { DesiredState } from './load.js';

const ORDER = ['crds', 'pre', 'main', 'post'] as const;

/** The objects of each phase, in apply order (empty phases left out). */
export function phasesOf(desired: Pick<DesiredState, 'objects' | 'phaseOf'>): KubeObject[][] {
  const phaseOf = desired.phaseOf;
  if (!phaseOf || phaseOf.size === 0) return [desired.objects];
  const by = new Map<string, KubeObject[]>(ORDER.map((p) => [p, []]));
  for (const o of desired.objects) by.get(phaseOf.get(describe(o)) ?? 'main')?.push(o);
  return ORDER.map((p) => by.get(p) ?? []).filter((objs) => objs.length > 0);
}

/** Applies phase by phase; an ApplyError in one phase stops the later ones. */
export async function applyInPhases(
  manager: Pick<ResourceManager, 'apply'>,
  desired: Pick<DesiredState, 'objects' | 'phaseOf'>,
  force: boolean,
): Promise<ChangeSet> {
  const entries: ChangeSet['entries'] = [];
  for (const objects of phasesOf(desired)) entries.push(...(await manager.apply(objects, { force })).entries);
  return { entries };
}
