// `gitops-seal import sealed-secrets PATH...`: migration from Sealed Secrets. Each SealedSecret is
// opened with the controller's private keys exactly as the controller would (scope included), and
// the Secret it would have created is written SOPS-encrypted for this repository's recipients
// (flags, else the .sops.yaml creation rule of the output path — as `encrypt`). Plaintext exists
// only in memory, between unsealing and encryptText.
import { promises as fsp } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addCryptOptions, addKeyOptions, collectList, resolveSettings, type CryptFlags, type KeyFlags } from '../encryption-settings.js';
import { ExitCode, formatError, InputError, KeyError, toCliError, UsageError } from '../errors.js';
import { readText, writeFileAtomic } from '../io.js';
import { encryptionContext, type KeysApi } from '../keys-api.js';
import { convertSealedSecretsFile } from '../sealed-import.js';
import { collectFiles } from '../walk.js';

interface ImportOptions extends KeyFlags, CryptFlags {
  keys: string[];
  namespace?: string;
  outputDir?: string;
  inPlace?: boolean;
}

type SealingKeys = ReturnType<KeysApi['mergeSealingKeys']>;

/** An input file and where its Secrets go: a path under -o DIR, the file itself, or stdout. */
interface Job {
  file: string;
  target: string | undefined;
}

export function register(program: Command, ctx: CliContext): void {
  const imp = program.command('import').description('convert secrets managed by another tool into SOPS-encrypted files');
  const cmd = imp
    .command('sealed-secrets')
    .description('convert SealedSecret manifests into SOPS-encrypted Secrets, unsealed with the controller keys (scope honoured)')
    .argument('<paths...>', 'SealedSecret manifests (multi-document YAML/JSON) or directories to walk')
    .requiredOption(
      '--keys <file>',
      'Sealed Secrets controller private keys: `kubectl get secret -n kube-system -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml`, or PEM (repeatable)',
      collectList,
    )
    .option('--namespace <ns>', 'the namespace SealedSecrets without metadata.namespace are unsealed for (where they were applied)')
    .addOption(new Option('-o, --output-dir <dir>', 'write each converted file here (same relative path)').conflicts('inPlace'))
    .option('-i, --in-place', 'replace each file with its converted, encrypted Secrets');
  addKeyOptions(cmd);
  addCryptOptions(cmd);
  cmd.action(async (paths: string[], opts: ImportOptions) => {
    const keys = await ctx.keys();
    const sealingKeys = await readSealingKeys(ctx, keys, opts.keys);
    const jobs = await planJobs(ctx, paths, opts);
    let converted = 0;
    let failed: number | undefined;
    for (const job of jobs) {
      try {
        converted += await importFile(ctx, keys, sealingKeys, job, opts);
      } catch (err) {
        const cli = toCliError(err, job.file);
        ctx.stderr.write(`${formatError(cli)}\n`);
        failed ??= cli.exitCode;
      }
    }
    ctx.stderr.write(
      `import sealed-secrets: ${converted} SealedSecret(s) converted from ${jobs.length} file(s)${failed ? ', some refused' : ''}\n`,
    );
    ctx.exitCode = failed ?? ExitCode.OK;
  });
}

async function readSealingKeys(ctx: CliContext, api: KeysApi, files: string[]): Promise<SealingKeys> {
  const lists = [];
  for (const f of files) {
    const text = await readText(ctx, f);
    try {
      lists.push(api.parseSealingKeys(text, f));
    } catch (err) {
      if (err instanceof api.KeyFileError) throw new KeyError(err.message);
      throw err;
    }
  }
  return api.mergeSealingKeys(lists);
}

async function planJobs(ctx: CliContext, paths: string[], opts: ImportOptions): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const p of paths) {
    const st = await fsp.stat(ctx.resolvePath(p)).catch(() => undefined);
    if (!st) throw new InputError('cannot read: no such file or directory', p);
    const files = st.isDirectory() ? await collectFiles([p], ctx.resolvePath) : [p];
    for (const f of files) {
      const rel = st.isDirectory() ? relative(p, f) : basename(f);
      const target = opts.outputDir !== undefined ? join(opts.outputDir, rel) : opts.inPlace ? f : undefined;
      jobs.push({ file: f, target });
    }
  }
  if (opts.outputDir === undefined && !opts.inPlace && jobs.length !== 1)
    throw new UsageError(`${jobs.length} files to convert: pass -o DIR or --in-place (standard output takes one file)`);
  return jobs;
}

/** Converts one file; returns how many SealedSecrets it held. Nothing is written if one is refused. */
async function importFile(ctx: CliContext, api: KeysApi, sealingKeys: SealingKeys, job: Job, opts: ImportOptions): Promise<number> {
  const text = await readText(ctx, job.file);
  const result = convertSealedSecretsFile(api, text, job.file, sealingKeys, opts.namespace);
  if (result.converted.length === 0) {
    ctx.stderr.write(`${job.file}: no SealedSecret, skipped\n`);
    return 0;
  }
  if (opts.inPlace && result.others > 0)
    throw new InputError(
      `also holds ${result.others} other document(s) that converting in place would drop: use -o DIR, or move them out first`,
    );
  const label = job.target ?? job.file;
  const abs = ctx.resolvePath(label);
  const format = api.formatFromPath(abs);
  let plaintext = result.plaintext;
  if (format === 'json') {
    if (result.secrets.length !== 1)
      throw new InputError(`holds ${result.secrets.length} SealedSecrets; a JSON file holds one document: write YAML (-o DIR)`);
    plaintext = `${JSON.stringify(result.secrets[0], null, 2)}\n`;
  } else if (format !== 'yaml') throw new InputError(`the output ${label} is neither YAML nor JSON`);
  const settings = await resolveSettings(abs, label, opts, true, ctx);
  const encrypted = await api.encryptText(
    plaintext,
    { format, source: label, keys: settings.keys, rule: settings.rule, macOnlyEncrypted: settings.macOnlyEncrypted },
    encryptionContext(ctx.env),
  );
  if (job.target !== undefined) {
    await fsp.mkdir(dirname(abs), { recursive: true });
    await writeFileAtomic(ctx, job.target, encrypted);
  } else ctx.stdout.write(encrypted);
  const what = result.converted.map((c) => `${c.object} (${c.scope}, ${c.keys} key${c.keys === 1 ? '' : 's'}, document ${c.document})`);
  const kept = result.others > 0 ? `; ${result.others} other document(s) not copied` : '';
  ctx.stderr.write(
    `${job.file}: converted ${what.join(', ')}${job.target !== undefined && job.target !== job.file ? ` → ${job.target}` : ''}${kept}\n`,
  );
  return result.converted.length;
}
