// The one guarded prune decision, for the daemon's apply and the CLI's `diff`: which inventory
// entries a revision dropped, and whether the mass-deletion guard lets them be deleted — a
// revision that would delete every object, or more than maxPruneRatio of them, is refused
// unless the sync allows an empty set and the revision is empty.
import { checkPrune, diff, inventoryOf, PruneGuardError, type Inventory, type InventoryEntry } from '../inventory/inventory.js';
import type { DesiredState } from './load.js';
import type { SyncSettings } from './settings.js';

export interface PrunePlan {
  /** The inventory of the revision. */
  next: Inventory;
  /** Entries of the old inventory the revision no longer declares (prune on or off). */
  dropped: InventoryEntry[];
  /** What may be deleted: `dropped` when prune is on and the guard passes, else nothing. */
  toPrune: InventoryEntry[];
  /** The guard's refusal (prune on only): the revision must not be applied. */
  refused?: string;
}

export function guardedPrune(
  old: Inventory | undefined,
  desired: Pick<DesiredState, 'revision' | 'objects'>,
  settings: Pick<SyncSettings, 'name' | 'prune' | 'maxPruneRatio' | 'allowEmpty'>,
): PrunePlan {
  const next = inventoryOf(settings.name, desired.revision, desired.objects, old);
  const dropped = diff(old, next);
  if (!settings.prune) return { next, dropped, toPrune: [] };
  try {
    const stale = checkPrune(old, next, { maxPruneRatio: settings.maxPruneRatio, allow: settings.allowEmpty && next.entries.length === 0 });
    return { next, dropped, toPrune: stale };
  } catch (err) {
    if (err instanceof PruneGuardError) return { next, dropped, toPrune: [], refused: err.message };
    throw err;
  }
}
