// Stage 4½, sealed (issue 16, migration from Sealed Secrets): with `decryption.sealedSecrets`,
// every SealedSecret of the revision becomes, in memory, the Secret the Sealed Secrets controller
// would have created — so a repository moves file by file with no controller in between. Without
// that option SealedSecrets pass through untouched (applied as objects, for a controller to act on).
//
// Scope is checked against the namespace the object will actually be applied in: a sync's
// targetNamespace (it moves every namespaced object), else metadata.namespace, else the sync's
// default namespace (a Helm release's) — the same order scope.ts and the ResourceManager use. So a
// SealedSecret copied into another tenant's path, or moved by targetNamespace, does not open.
// Any refusal refuses the whole revision at `decrypt`, naming file and object, never a value.
import { isSealedSecret, unsealSealedSecret, UnsealError, type SealingKey } from '../../../keys/index.js';
import { AggregateDecryptError, DecryptError, type DecryptFailureReason } from '../../decrypt/index.js';
import type { KubeObject } from '../../kube/types.js';
import { refuse, type RevisionAt } from '../errors.js';
import type { SyncSettings } from '../settings.js';

/** The decrypt-failure metric's words for an unseal refusal (a wrong scope reads as no key opening it). */
const REASON: Record<UnsealError['reason'], DecryptFailureReason> = {
  tampered: 'tampered',
  'no-key-or-wrong-scope': 'no-key',
  malformed: 'format',
  template: 'format',
};

export interface Unsealed {
  /** The input objects, each SealedSecret replaced by its Secret (same order, same length). */
  objects: KubeObject[];
  /** Files that held a SealedSecret (reported with the SOPS-decrypted ones). */
  files: string[];
}

/** The namespace a namespaced object of this sync lands in (undefined: none, the apply refuses it). */
export function applyNamespace(o: KubeObject, settings: Pick<SyncSettings, 'targetNamespace' | 'helm'>): string | undefined {
  if (!settings.helm && settings.targetNamespace) return settings.targetNamespace;
  return o.metadata.namespace ?? settings.helm?.release.namespace ?? settings.targetNamespace;
}

export function unsealSealed(
  objects: readonly KubeObject[],
  files: readonly string[],
  keys: readonly SealingKey[] | undefined,
  settings: Pick<SyncSettings, 'targetNamespace' | 'helm'>,
  at: RevisionAt,
): Unsealed {
  if (keys === undefined) return { objects: [...objects], files: [] };
  const problems: string[] = [];
  const failures: DecryptError[] = [];
  const touched = new Set<string>();
  const out = objects.map((o, i) => {
    if (!isSealedSecret(o)) return o;
    const file = files[i] ?? '';
    touched.add(file);
    const namespace = applyNamespace(o, settings);
    try {
      return unsealSealedSecret(o, keys, namespace !== undefined ? { namespace } : {}).secret as unknown as KubeObject;
    } catch (err) {
      if (!(err instanceof UnsealError)) throw err;
      problems.push(`${file}: ${err.message}`);
      failures.push(new DecryptError(file, err.message, REASON[err.reason]));
      return o;
    }
  });
  // The typed cause lets the sync controller count reasons in the decrypt-failure metric.
  if (problems.length > 0) refuse(at, 'decrypt', problems, new AggregateDecryptError(failures));
  return { objects: out, files: [...touched].filter((f) => f !== '') };
}
