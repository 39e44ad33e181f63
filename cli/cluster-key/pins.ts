// The fingerprint pins of cluster-held keys, kept in `.sops.yaml` under a top-level `gitops-seal:`
// key (sops reads its config with a non-strict YAML decoder and ignores keys it does not know;
// cluster-key.int.test.ts proves the real sops still encrypts and decrypts with such a file):
//
//   gitops-seal:
//     clusterKeys:
//       default:                  # one pin per cluster (--name)
//         recipient: age1…        # the current cluster recipient
//         fingerprint: SHA256:…   # of that recipient, as `cluster-key fetch` prints it
//         retired: [age1…]        # earlier pinned recipients (after --accept-rotation)
//
// In the file the rules live in, so a pin travels with the repository and every teammate's
// fetch is checked against the same key; and so the backup rule (backup-rule.ts) knows which
// recipients are cluster-held from the very file that names them.
import { parse as parseYaml } from 'yaml';
import { ConfigError, sanitizeMessage } from '../errors.js';
import type { KeysApi } from '../keys-api.js';

/** keys/' fingerprint function (the CLI loads keys/ lazily, so it is passed in). */
export type Fingerprinter = Pick<KeysApi, 'clusterKeyFingerprint'>;

export const PINS_KEY = 'gitops-seal';

export interface ClusterKeyPin {
  /** The pin's name (`--name`, default `default`). */
  readonly name: string;
  readonly recipient: string;
  readonly fingerprint: string;
  /** Earlier pinned recipients of the same cluster, newest first. */
  readonly retired: readonly string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The pins of a `.sops.yaml` (empty when it has none). Errors name the config and the pin. */
export function parsePins(configText: string, configPath: string, keys: Fingerprinter): ClusterKeyPin[] {
  let doc: unknown;
  try {
    doc = parseYaml(configText, { logLevel: 'error' });
  } catch (err) {
    throw new ConfigError(sanitizeMessage(err), configPath);
  }
  if (!isRecord(doc)) return [];
  const section = doc[PINS_KEY];
  if (section === undefined || section === null) return [];
  if (!isRecord(section)) throw new ConfigError(`${PINS_KEY} must be a mapping`, configPath);
  const table = section['clusterKeys'];
  if (table === undefined || table === null) return [];
  if (!isRecord(table)) throw new ConfigError(`${PINS_KEY}.clusterKeys must be a mapping of pin names`, configPath);
  return Object.entries(table).map(([name, raw]) => {
    const where = `${PINS_KEY}.clusterKeys.${name}`;
    if (!isRecord(raw)) throw new ConfigError(`${where} must be a mapping (recipient, fingerprint)`, configPath);
    const recipient = typeof raw['recipient'] === 'string' ? raw['recipient'].trim() : '';
    if (!/^age1[0-9a-z]+$/.test(recipient)) throw new ConfigError(`${where}.recipient is not an age recipient`, configPath);
    const fingerprint = keys.clusterKeyFingerprint(recipient);
    // A hand edit that changed one and not the other: which one is the truth is unknown.
    if (raw['fingerprint'] !== fingerprint) {
      throw new ConfigError(`${where}.fingerprint does not match its recipient (the recipient's is ${fingerprint})`, configPath);
    }
    const retired = raw['retired'] ?? [];
    if (!Array.isArray(retired) || !retired.every((r): r is string => typeof r === 'string')) {
      throw new ConfigError(`${where}.retired must be a list of age recipients`, configPath);
    }
    return { name, recipient, fingerprint, retired: retired.map((r) => r.trim()).filter((r) => r !== '') };
  });
}

/** Every recipient the pins say a cluster holds (current and retired). */
export function clusterHeldRecipients(pins: readonly ClusterKeyPin[]): Map<string, ClusterKeyPin> {
  const held = new Map<string, ClusterKeyPin>();
  for (const p of pins) for (const r of [p.recipient, ...p.retired]) held.set(r, p);
  return held;
}
