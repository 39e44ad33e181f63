// After `kustomize build`: the rendered documents that still carry a `sops` block (an encrypted
// resource that went through the overlays) get their `ENC[…]` values replaced by plaintext —
// only when that exact ciphertext string came from a file whose MAC we verified before the
// build (sops-sources.ts). Overlays may change what sops left unencrypted (namespace, name
// prefix, labels): the MAC was checked on the file as committed, and every ciphertext is
// authenticated by AES-GCM against the path it was written under. Any other `ENC[…]` (a forged
// value, one from a file we did not verify) refuses the render, naming the object; ciphertext
// in a document without a sops block is refused by the manifest reader, as for plain YAML.
import { describe, isKubeObject, type KubeObject } from '../kube/types.js';
import { ManifestError, objectsFromDecrypted, readManifests } from '../manifests/index.js';
import { CLAIM_PATH, committedClaim, isCiphertext, type ObjectSeal, type SealOrigin } from '../scope-binding/index.js';
import type { CiphertextOrigin } from './sops-sources.js';

export interface RenderedObject {
  object: KubeObject;
  /** Provenance: the verified SOPS file its values came from, else the sync's kustomization file. */
  file: string;
  decrypted: boolean;
  /** Which committed documents its ciphertext came from, and its claim's (scope binding). */
  seal?: ObjectSeal;
}

export interface DecodedOutput {
  objects: RenderedObject[];
  problems: string[];
}

const ENC = /^ENC\[AES256_GCM,data:/;

function replaceCiphertext(
  value: unknown,
  path: string,
  map: ReadonlyMap<string, CiphertextOrigin>,
  from: Set<string>,
  unknown: string[],
): unknown {
  if (typeof value === 'string') {
    if (!ENC.test(value)) return value;
    const origin = map.get(value);
    if (origin === undefined) {
      unknown.push(path || '(document)');
      return value;
    }
    from.add(origin.file);
    return origin.value;
  }
  if (Array.isArray(value)) {
    // sops keeps a comment inside a list as an encrypted item; decrypted, it is no item at all.
    const items: unknown[] = [];
    value.forEach((v, i) => {
      const origin = typeof v === 'string' ? map.get(v) : undefined;
      if (origin?.comment) from.add(origin.file);
      else items.push(replaceCiphertext(v, `${path}[${i}]`, map, from, unknown));
    });
    return items;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceCiphertext(v, path ? `${path}.${k}` : k, map, from, unknown);
    return out;
  }
  return value;
}

/** Every ciphertext string of a rendered document (before decryption). */
function ciphertexts(value: unknown, out: string[]): string[] {
  if (isCiphertext(value)) out.push(value as string);
  else if (Array.isArray(value)) for (const v of value) ciphertexts(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) ciphertexts(v, out);
  return out;
}

/**
 * The seal of a rendered document: the committed documents its ciphertext came from, and the
 * claim's — counted only when the ciphertext at the claim path was committed at that same path
 * (an overlay may move ciphertext anywhere; AES-GCM authenticated it at its committed path).
 */
function sealOf(body: Record<string, unknown>, map: ReadonlyMap<string, CiphertextOrigin>): ObjectSeal {
  const origins = new Map<string, SealOrigin>();
  for (const c of ciphertexts(body, [])) {
    const o = map.get(c);
    if (o?.doc !== undefined) origins.set(`${o.doc}\0${o.file}`, { file: o.file, doc: o.doc });
  }
  const claimed = committedClaim(body);
  const origin = typeof claimed === 'string' ? map.get(claimed) : undefined;
  const atPath = origin?.doc !== undefined && origin.path?.join('\0') === CLAIM_PATH.join('\0');
  return {
    origins: [...origins.values()],
    ...(atPath && origin.doc !== undefined ? { claim: { file: origin.file, doc: origin.doc } } : {}),
  };
}

/** Decodes kustomize's output (`label` names it in problems) and decrypts the sops-marked documents. */
export function decodeRendered(stdout: string, label: string, map: ReadonlyMap<string, CiphertextOrigin>): DecodedOutput {
  const problems: string[] = [];
  const objects: RenderedObject[] = [];
  let read;
  try {
    // Named as kustomize's output (a path ending in kustomization.yaml would be skipped as one).
    read = readManifests([{ path: `${label} (kustomize build output)`, text: stdout }]);
  } catch (err) {
    if (err instanceof ManifestError)
      return {
        objects,
        problems: err.message
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== ''),
      };
    throw err;
  }
  for (const o of read.objects) {
    if (!o.encrypted) {
      if (isKubeObject(o.object)) objects.push({ object: o.object, file: label, decrypted: false });
      continue;
    }
    const { sops: _sops, ...body } = o.object as Record<string, unknown>;
    const from = new Set<string>();
    const unknownPaths: string[] = [];
    const plain = replaceCiphertext(body, '', map, from, unknownPaths) as Record<string, unknown>;
    const name = isKubeObject(o.object) ? describe(o.object) : `document ${o.index}`;
    if (unknownPaths.length > 0) {
      problems.push(
        `${label}: ${name}: ${unknownPaths.join(', ')} ${unknownPaths.length === 1 ? 'holds' : 'hold'} SOPS ciphertext that did not come from a verified file of this render; refusing to decrypt it`,
      );
      continue;
    }
    if (from.size === 0) {
      problems.push(
        `${label}: ${name}: has a sops block but no encrypted value from a verified file (a sops block copied or added by an overlay?)`,
      );
      continue;
    }
    const file = [...from].sort()[0] as string;
    const seal = sealOf(body, map);
    try {
      for (const d of objectsFromDecrypted(o, plain))
        if (isKubeObject(d.object)) objects.push({ object: d.object, file, decrypted: true, seal });
    } catch (err) {
      if (err instanceof ManifestError)
        problems.push(
          ...err.message
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l !== ''),
        );
      else throw err;
    }
  }
  return { objects, problems };
}
