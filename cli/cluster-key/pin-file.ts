// Which `.sops.yaml` holds the pins for `cluster-key fetch` / `add`: `--config`, else
// $SOPS_CONFIG, else the nearest one from the current directory upward (as sops looks it up,
// since these commands concern no particular file); `add` creates `./.sops.yaml` when there is
// none.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { displayPath } from '../context.js';
import { explicitConfig } from '../encryption-settings.js';
import { ConfigError, sanitizeMessage } from '../errors.js';
import { CONFIG_FILE_NAME, lookupConfigFile } from '../sops-config.js';
import { parsePins, type ClusterKeyPin, type Fingerprinter } from './pins.js';

export interface PinFile {
  /** Absolute path; for a file that does not exist yet, where `add` will create it. */
  readonly path: string;
  /** As shown in messages (relative to the current directory when below it). */
  readonly label: string;
  readonly exists: boolean;
  readonly text: string;
  readonly pins: ClusterKeyPin[];
}

export interface PinFileContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  resolvePath: (p: string) => string;
}

export async function loadPinFile(ctx: PinFileContext, keys: Fingerprinter, configFlag: string | undefined): Promise<PinFile> {
  const path =
    explicitConfig(configFlag, ctx.env, ctx.resolvePath) ??
    (await lookupConfigFile(join(ctx.cwd, '_'))).path ??
    join(ctx.cwd, CONFIG_FILE_NAME);
  const label = displayPath(ctx.cwd, path);
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, label, exists: false, text: '', pins: [] };
    throw new ConfigError(`cannot read config: ${sanitizeMessage(err)}`, label);
  }
  return { path, label, exists: true, text, pins: parsePins(text, label, keys) };
}

// A pin name is a YAML key a person reads and types: keep it a plain word.
const PIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function validPinName(name: string): boolean {
  return PIN_NAME.test(name);
}
