// One inventory entry: the identity of one object a sync applied, as one line of text.
//
// Encoding: `group_kind_namespace_name_version`, each field escaped so that `_` only ever
// separates fields and a line break only ever separates entries. Escaped as `%` + two
// upper-case hex digits: `%` itself, `_`, space, DEL and every control character below
// U+0020 (so `\n` cannot split an entry and no reader trimming whitespace can change one);
// every other character, non-ASCII included, is kept as is. `_` is needed: RBAC kinds
// (Role, ClusterRole, RoleBinding, ClusterRoleBinding) and others validate names only as path
// segments (apimachinery `path.IsValidPathSegmentName`: anything but `.`, `..`, `/`, `%`), so
// `app_reader`, `system:auth.reader` or a name with a space or a line break are legal. The
// other fields are narrower (group: DNS-1123 subdomain or "" for core; namespace: DNS-1123
// label or "" when cluster-scoped; kind: DNS-1035 label of the lower-cased kind for CRDs,
// a Go identifier for built-ins; version: DNS-1035 label) but are escaped the same way, so
// the codec holds for any string.
//
// Entries written before this encoding (release 414b303 and earlier) were the bare fields
// joined by `_`. They are read too, without a format marker:
//   - 5 parts, no `%`: identical in both encodings (no legal name contains `%`).
//   - more than 5 parts: the old writer's `_` inside a name. Only the name may hold one —
//     group, kind, namespace and version are DNS-style labels without `_` — so the name is
//     everything between the namespace and the version. Such an entry is accepted only when
//     group, kind, namespace and version pass those rules; anything else is unparseable.
// An unparseable entry is reported and kept, and its object is never pruned (no guessing).
import { keyOf, type KubeObject } from '../kube/types.js';

export interface InventoryEntry {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  version: string;
}

export class InventoryFormatError extends Error {
  override readonly name = 'InventoryFormatError';
  constructor(
    readonly entry: string,
    readonly detail: string,
  ) {
    super(`invalid inventory entry ${JSON.stringify(entry)}: ${detail}`);
  }
}

const ESCAPED = /[%_\u0000-\u0020\u007f]/g;
const HEX = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

function escapeField(s: string): string {
  return s.replace(ESCAPED, HEX);
}

/**
 * Strict about `%` (two upper-case hex digits of a character the writer escapes: `%41` or
 * `%5f` are refused, not guessed at). A raw space or control character is accepted only in a
 * name, where the older writer left it as is (elsewhere it is damage, e.g. a `\r` from an
 * editor). load() re-encodes every entry, so each object has one spelling.
 */
function unescapeField(s: string, entry: string, isName: boolean): string {
  const raw = /[\u0000-\u0020\u007f]/.exec(s);
  if (raw && !isName) throw new InventoryFormatError(entry, `field ${JSON.stringify(s)} holds an unescaped ${JSON.stringify(raw[0])}`);
  return s.replace(/%([0-9A-F]{2})?/g, (m, h: string | undefined) => {
    const c = h === undefined ? '' : String.fromCharCode(parseInt(h, 16));
    if (c === '' || escapeField(c) === c) {
      throw new InventoryFormatError(entry, `field ${JSON.stringify(s)} has an invalid %-escape at "${m}"`);
    }
    return c;
  });
}

export function formatEntry(e: InventoryEntry): string {
  return [e.group, e.kind, e.namespace, e.name, e.version].map(escapeField).join('_');
}

/** Identity without the version (a move from v1beta1 to v1 is the same object), unambiguous. */
export function identity(e: InventoryEntry): string {
  return [e.group, e.kind, e.namespace, e.name].map(escapeField).join('_');
}

// apimachinery's rules (k8s.io/apimachinery/pkg/util/validation), for reading old entries.
const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Za-z]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

function legacyFieldsValid(e: InventoryEntry): boolean {
  return (
    (e.group === '' || (e.group.length <= 253 && DNS1123_SUBDOMAIN.test(e.group))) &&
    e.kind.length <= 63 &&
    KIND.test(e.kind) &&
    (e.namespace === '' || (e.namespace.length <= 63 && DNS1123_LABEL_RE.test(e.namespace))) &&
    e.version.length <= 63 &&
    DNS1035_LABEL.test(e.version)
  );
}

export function parseEntry(s: string): InventoryEntry {
  const parts = s.split('_');
  let e: InventoryEntry;
  if (parts.length === 5) {
    const [group, kind, namespace, name, version] = parts.map((p, i) => unescapeField(p, s, i === 3)) as [
      string,
      string,
      string,
      string,
      string,
    ];
    e = { group, kind, namespace, name, version };
  } else if (parts.length > 5) {
    if (s.includes('%')) throw new InventoryFormatError(s, `expected 5 "_"-separated fields, got ${parts.length}`);
    const [group, kind, namespace] = parts as [string, string, string];
    e = { group, kind, namespace, name: parts.slice(3, -1).join('_'), version: parts[parts.length - 1] as string };
    if (!legacyFieldsValid(e)) {
      throw new InventoryFormatError(
        s,
        `expected 5 "_"-separated fields, got ${parts.length}, and not an entry of the older format (only its name may hold "_")`,
      );
    }
  } else {
    throw new InventoryFormatError(s, `expected 5 "_"-separated fields, got ${parts.length}`);
  }
  if (!e.kind || !e.name || !e.version) throw new InventoryFormatError(s, 'kind, name and version are required');
  return e;
}

export function entryOf(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): InventoryEntry {
  const k = keyOf(obj);
  return { group: k.group, kind: k.kind, namespace: k.namespace, name: k.name, version: k.version };
}

/** Minimal object for an entry, enough for ResourceManager.delete. */
export function objectOf(e: InventoryEntry): KubeObject {
  return {
    apiVersion: e.group === '' ? e.version : `${e.group}/${e.version}`,
    kind: e.kind,
    metadata: { name: e.name, ...(e.namespace ? { namespace: e.namespace } : {}) },
  };
}
