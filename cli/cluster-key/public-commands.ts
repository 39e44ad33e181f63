// `cluster-key fetch` and `cluster-key add`: the public half of the cluster key, fetched, checked
// against its pin and written into `.sops.yaml`.
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../io.js';
import { writeJson } from '../output.js';
import { compileGoRegex } from '../sops-config.js';
import { applyAdd } from './add.js';
import { fetchClusterKey, type FetchedClusterKey, type SourceFlags } from './fetch.js';
import { checkPin, type PinVerdict } from './pin-check.js';
import { loadPinFile, validPinName } from './pin-file.js';

export interface PublicFlags extends SourceFlags {
  name: string;
  config?: string;
  output: 'text' | 'json';
}

export interface AddFlags extends PublicFlags {
  acceptRotation?: boolean;
}

function assertSource(flags: SourceFlags): void {
  if (flags.url !== undefined && (flags.context !== undefined || flags.kubeconfig !== undefined)) {
    throw new UsageError('--url reads the key from the daemon; it cannot be combined with --context or --kubeconfig');
  }
}

function printKey(
  ctx: CliContext,
  key: FetchedClusterKey,
  pin: { name: string; config: string; verdict: PinVerdict },
  format: 'text' | 'json',
): void {
  if (format === 'json') {
    writeJson(ctx.stdout, {
      recipient: key.recipient,
      fingerprint: key.fingerprint,
      created: key.created,
      retired: key.retired,
      source: key.source,
      pin: { name: pin.name, config: pin.config, status: pin.verdict },
    });
    return;
  }
  const lines = [`recipient:   ${key.recipient}`, `fingerprint: ${key.fingerprint}`];
  if (key.created !== '') lines.push(`created:     ${key.created}`);
  for (const r of key.retired) lines.push(`retired:     ${r}`);
  ctx.stdout.write(`${lines.join('\n')}\n`);
  const said =
    pin.verdict === 'match'
      ? `matches the pin "${pin.name}" in ${pin.config}`
      : pin.verdict === 'unpinned'
        ? `not pinned (no "${pin.name}" pin in ${pin.config}; \`gitops-seal cluster-key add PATH_REGEX\` pins it)`
        : `rotation accepted for the pin "${pin.name}" in ${pin.config}`;
  ctx.stderr.write(`cluster-key: ${key.source}: ${said}\n`);
}

export async function runFetch(ctx: CliContext, flags: PublicFlags): Promise<void> {
  assertSource(flags);
  if (!validPinName(flags.name)) throw new UsageError(`invalid pin name '${flags.name}' (letters, digits, '.', '_', '-')`);
  const keys = await ctx.keys();
  const pinFile = await loadPinFile(ctx, keys, flags.config);
  const key = await fetchClusterKey(keys, flags, ctx.env, ctx.resolvePath);
  const pinned = pinFile.pins.find((p) => p.name === flags.name);
  const verdict = checkPin(pinFile.label, pinned, key, false, (l) => ctx.stderr.write(l));
  printKey(ctx, key, { name: flags.name, config: pinFile.label, verdict }, flags.output);
}

export async function runAdd(ctx: CliContext, pathRegex: string, flags: AddFlags): Promise<void> {
  assertSource(flags);
  if (pathRegex.trim() === '') throw new UsageError('PATH_REGEX is empty (a rule for every file is `.*`)');
  try {
    compileGoRegex(pathRegex);
  } catch {
    throw new UsageError(`PATH_REGEX is not a valid regular expression: ${pathRegex}`);
  }
  if (!validPinName(flags.name)) throw new UsageError(`invalid pin name '${flags.name}' (letters, digits, '.', '_', '-')`);
  const keys = await ctx.keys();
  const pinFile = await loadPinFile(ctx, keys, flags.config);
  const key = await fetchClusterKey(keys, flags, ctx.env, ctx.resolvePath);
  const pinned = pinFile.pins.find((p) => p.name === flags.name);
  const verdict = checkPin(pinFile.label, pinned, key, flags.acceptRotation === true, (l) => ctx.stderr.write(l));
  const result = applyAdd(pinFile.text, pinFile.label, { pathRegex, pinName: flags.name, key, pinned });
  if (result.changes.length > 0) await writeFileAtomic(ctx, pinFile.path, result.text);
  if (flags.output === 'json') {
    writeJson(ctx.stdout, {
      config: pinFile.label,
      created: !pinFile.exists,
      recipient: key.recipient,
      fingerprint: key.fingerprint,
      pin: { name: flags.name, status: verdict },
      changes: result.changes,
    });
  } else if (result.changes.length === 0) {
    ctx.stdout.write(
      `${pinFile.label}: unchanged (the rule for ${JSON.stringify(pathRegex)} already has ${key.fingerprint}, pinned as "${flags.name}")\n`,
    );
  } else {
    ctx.stdout.write(`${pinFile.label}: ${pinFile.exists ? 'updated' : 'created'}\n${result.changes.map((c) => `  ${c}\n`).join('')}`);
  }
  if (verdict === 'rotation-accepted') {
    ctx.stderr.write(
      `cluster-key: existing files keep their stanza for the old key (the cluster still decrypts them with its retired key); ` +
        'run `gitops-seal updatekeys FILE...` to move them to the new key\n',
    );
  }
}
