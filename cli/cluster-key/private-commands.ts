// `cluster-key backup`, `restore` and `rotate`: the private half, which only an admin's
// credentials can read or write. The identities are in this process's memory only: the backup
// leaves as age ciphertext, the restore arrives as age ciphertext.
import type { CliContext } from '../context.js';
import { InputError, UsageError } from '../errors.js';
import { readText } from '../io.js';
import { assertBackupRecipients, assertNotClusterHeld, openBackup, sealBackup, writeBackupFile } from './backup.js';
import { connect, getData, type ClusterFlags } from './cluster.js';

export interface BackupFlags extends ClusterFlags {
  to: string[];
  output?: string;
}

export async function runBackup(ctx: CliContext, flags: BackupFlags): Promise<void> {
  assertBackupRecipients(flags.to);
  if (flags.output === '-') throw new UsageError("'-' is not a file to write; leave out -o to write to standard output");
  const keys = await ctx.keys();
  const cluster = await connect(flags, ctx.env, ctx.resolvePath);
  let armored: string;
  let summary: string;
  try {
    const data = await getData(cluster, 'secrets', keys.CLUSTER_KEY_SECRET);
    const where = `Secret ${cluster.namespace}/${keys.CLUSTER_KEY_SECRET}`;
    const b64 = data[keys.IDENTITIES_KEY];
    if (b64 === undefined) throw new InputError(`has no ${keys.IDENTITIES_KEY}`, where);
    const text = Buffer.from(b64, 'base64').toString('utf8');
    // Parsed only to check it is what a restore will accept (and to say what it holds).
    const identities = await keys.parseClusterIdentities(text, where);
    assertNotClusterHeld(
      flags.to,
      identities.map((i) => i.recipient),
    );
    armored = await sealBackup(text, flags.to);
    const current = keys.publicClusterKey(identities);
    summary = `cluster-key: backed up ${identities.length} identit${identities.length === 1 ? 'y' : 'ies'} of ${where} (current ${current.fingerprint}) to ${flags.to.length} recipient(s)`;
  } finally {
    cluster.close();
  }
  if (flags.output !== undefined) {
    await writeBackupFile(ctx.resolvePath(flags.output), flags.output, armored);
    ctx.stderr.write(`${summary}: ${flags.output}\n`);
  } else {
    ctx.stdout.write(armored);
    ctx.stderr.write(`${summary}\n`);
  }
}

export interface RestoreFlags extends ClusterFlags {
  from: string;
  identity?: string;
  merge?: boolean;
}

/** The identity file text of a backup, decrypted in memory with the admin's age identities. */
export async function readBackup(ctx: CliContext, flags: RestoreFlags): Promise<string> {
  const keys = await ctx.keys();
  const backup = await readText(ctx, flags.from);
  const identities = await keys.loadAgeIdentities(
    flags.identity !== undefined ? { keyFile: ctx.resolvePath(flags.identity), env: ctx.env } : { env: ctx.env },
  );
  return openBackup(backup, identities, flags.from === '-' ? '(stdin)' : flags.from);
}
