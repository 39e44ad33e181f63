// What happens to each rendered object: CRD, release object, hook in a phase, or a hook that is
// skipped and reported. The rule (README.md "Hooks"), for a sync that applies rather than
// installs:
//   pre-install  / pre-upgrade   → phase `pre`: applied (and waited for) before the objects;
//   post-install / post-upgrade  → phase `post`: applied after the objects are healthy;
//     install events on the first apply of the release, upgrade events on every later one;
//     a hook naming several events runs once, in the first phase that applies;
//   test, test-success           → skipped, reported: the daemon runs no chart tests;
//   pre/post-delete              → skipped, reported: pruning goes through the inventory;
//   pre/post-rollback            → skipped, reported: there is no rollback, a revert is a commit;
//   any other event              → skipped, reported as unknown.

import type { ManifestObject } from '../../manifests/index.js';
import type { HelmHook, HookEvent, SkippedHook } from './types.js';

export const HOOK_ANNOTATION = 'helm.sh/hook';
const WEIGHT_ANNOTATION = 'helm.sh/hook-weight';
const DELETE_POLICY_ANNOTATION = 'helm.sh/hook-delete-policy';

const KNOWN: ReadonlySet<string> = new Set<HookEvent>([
  'pre-install',
  'post-install',
  'pre-upgrade',
  'post-upgrade',
  'pre-delete',
  'post-delete',
  'pre-rollback',
  'post-rollback',
  'test',
  'test-success',
]);

export interface Classified {
  crds: ManifestObject[];
  objects: ManifestObject[];
  hooks: { pre: HelmHook[]; post: HelmHook[] };
  skippedHooks: SkippedHook[];
}

function annotations(o: ManifestObject): Record<string, unknown> {
  const md = o.object.metadata as { annotations?: unknown } | undefined;
  const a = md?.annotations;
  return typeof a === 'object' && a !== null && !Array.isArray(a) ? (a as Record<string, unknown>) : {};
}

function list(v: unknown): string[] {
  return typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : [];
}

/** Helm's strconv.Atoi with the error ignored: anything unparsable weighs 0. */
function weightOf(v: unknown): number {
  if (typeof v !== 'string' || !/^\s*[+-]?\d+\s*$/.test(v)) return 0;
  const n = Number(v.trim());
  return Number.isSafeInteger(n) ? n : 0;
}

function skipReason(events: string[]): string {
  const has = (e: string): boolean => events.includes(e);
  if (has('test') || has('test-success')) return 'test hook: gitops-seal does not run chart tests';
  if (has('pre-delete') || has('post-delete')) return 'delete hook: objects are pruned through the inventory, no uninstall hooks run';
  if (has('pre-rollback') || has('post-rollback')) return 'rollback hook: there is no rollback, a revert is a new revision';
  if (has('pre-install') || has('post-install')) return 'install hook: runs on the first apply of the release only; this is an upgrade';
  if (has('pre-upgrade') || has('post-upgrade')) return 'upgrade hook: runs on upgrades only; this is the first apply of the release';
  return `unknown hook event ${events.filter((e) => !KNOWN.has(e)).join(', ') || '(empty)'}`;
}

function isCrd(o: ManifestObject): boolean {
  const api = String(o.object.apiVersion ?? '');
  return o.object.kind === 'CustomResourceDefinition' && api.startsWith('apiextensions.k8s.io/');
}

export function classify(objects: readonly ManifestObject[], isUpgrade: boolean): Classified {
  const out: Classified = { crds: [], objects: [], hooks: { pre: [], post: [] }, skippedHooks: [] };
  const preEvent = isUpgrade ? 'pre-upgrade' : 'pre-install';
  const postEvent = isUpgrade ? 'post-upgrade' : 'post-install';
  for (const o of objects) {
    const a = annotations(o);
    if (!(HOOK_ANNOTATION in a)) {
      (isCrd(o) ? out.crds : out.objects).push(o);
      continue;
    }
    const events = list(a[HOOK_ANNOTATION]);
    const phase = events.includes(preEvent) ? 'pre' : events.includes(postEvent) ? 'post' : undefined;
    if (phase === undefined) {
      const md = o.object.metadata as { name?: unknown };
      out.skippedHooks.push({ file: o.file, kind: String(o.object.kind), name: String(md.name), events, reason: skipReason(events) });
      continue;
    }
    out.hooks[phase].push({
      manifest: o,
      events: events.filter((e): e is HookEvent => KNOWN.has(e)),
      weight: weightOf(a[WEIGHT_ANNOTATION]),
      deletePolicies: list(a[DELETE_POLICY_ANNOTATION]),
    });
  }
  // Helm's hookByWeight: ascending weight, then name in byte order.
  const name = (h: HelmHook): string => String((h.manifest.object.metadata as { name?: unknown }).name);
  const byWeight = (x: HelmHook, y: HelmHook): number => x.weight - y.weight || (name(x) < name(y) ? -1 : name(x) > name(y) ? 1 : 0);
  out.hooks.pre.sort(byWeight);
  out.hooks.post.sort(byWeight);
  return out;
}
