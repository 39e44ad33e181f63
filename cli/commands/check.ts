// `gitops-seal check [PATH...]`: fail (exit 1) when a Kubernetes Secret is committed in plaintext
// or an encrypted file does not verify. Meant for pre-commit hooks and CI.
import { Option, type Command } from 'commander';
import { extname } from 'node:path';
import { clusterOnlyFinding } from '../cluster-key/index.js';
import type { CliContext } from '../context.js';
import { ExitCode, toCliError } from '../errors.js';
import { inspectText } from '../inspect.js';
import { readText } from '../io.js';
import type { DocFormat } from '../k8s-secret.js';
import { decryptionContext, type KeyContext, type KeysApi } from '../keys-api.js';
import { parseReportFormat, writeStructured, type ReportFormat } from '../output.js';
import { loadPathFilter } from '../path-filter.js';
import { EncodingError } from '../utf8.js';
import { collectFiles, type Skipped } from '../walk.js';
import { checkGeneratorSources, mayBeKustomization, type KustomizationFile, type SourceToVerify } from './check-kustomize.js';
import { addIdentityOption, identityFile, type IdentityFlags } from './identity-option.js';

interface CheckOptions extends IdentityFlags {
  output: ReportFormat;
  decrypt: boolean;
  exclude: string[];
}

export interface Problem {
  path: string;
  reason: string;
  /** A stable name for findings scripts may want to pick out (`cluster-key-only`). */
  code?: string;
}

function docFormat(path: string): DocFormat {
  return extname(path).toLowerCase() === '.json' ? 'json' : 'yaml';
}

/** A generator source as sops stores it: dotenv lines, binary as `{"data": …}` JSON, else YAML/JSON. */
function decryptSource(keys: KeysApi, kctx: KeyContext, s: SourceToVerify): Promise<string> {
  if (s.format === 'dotenv') return keys.decryptDotenvText(s.text, s.path, kctx);
  return keys.decryptText(s.text, { format: s.format === 'yaml' ? 'yaml' : 'json', source: s.path }, kctx);
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('check')
    .description('find plaintext Kubernetes Secrets and encrypted files that fail verification (exit 1 if any)')
    .argument('[paths...]', "files or directories (default: .; '-': standard input as YAML)")
    .option('--no-decrypt', 'only check structure, do not decrypt (for CI without keys)')
    .option(
      '--exclude <glob>',
      'skip paths matching a gitignore-style glob (repeatable; also read from .gitops-seal-ignore)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .addOption(new Option('-o, --output <format>', 'report format: text, json or yaml').argParser(parseReportFormat).default('text'));
  addIdentityOption(cmd);
  cmd.action(async (paths: string[], opts: CheckOptions) => {
    const skipped: Skipped[] = [];
    const exclude = await loadPathFilter(ctx.cwd, opts.exclude);
    // '-' is standard input, checked as one YAML stream (a hook piping `git show :path`).
    const named = paths.filter((p) => p !== '-');
    const files =
      named.length > 0 || paths.length === 0
        ? await collectFiles(named.length > 0 ? named : ['.'], ctx.resolvePath, { exclude, skipped })
        : [];
    if (paths.includes('-')) files.push('-');
    const problems: Problem[] = [];
    let checked = 0;
    let keys: KeysApi | undefined;
    let kctx: KeyContext | undefined;
    const kustomizations: KustomizationFile[] = [];
    // Decrypts with the keys at hand; a failure is a problem of `file`, worded by its kind.
    const verify = async (file: string, decrypt: (keys: KeysApi, kctx: KeyContext) => Promise<unknown>): Promise<void> => {
      try {
        keys ??= await ctx.keys();
        kctx ??= await decryptionContext(keys, ctx.env, await identityFile(ctx, opts));
        await decrypt(keys, kctx);
      } catch (err) {
        const cli = toCliError(err);
        // By kind, as the exit codes: tampering (3), missing keys (4), else a malformed file.
        const what =
          cli.exitCode === ExitCode.DECRYPT
            ? 'fails verification'
            : cli.exitCode === ExitCode.KEYS
              ? 'cannot be decrypted with the keys at hand'
              : 'is not a valid sops file';
        problems.push({ path: file, reason: `${what}: ${cli.message}` });
      }
    };
    for (const name of files) {
      const file = name === '-' ? '(stdin)' : name;
      let text: string;
      let encoding: string | undefined;
      try {
        text = await readText(ctx, name);
      } catch (err) {
        if (!(err instanceof EncodingError)) {
          checked++;
          problems.push({ path: file, reason: toCliError(err).message });
          continue;
        }
        // Not UTF-8: a problem where secrets are concerned (encrypt refuses it, and a lossy read
        // would alter the value); elsewhere not check's business, as before.
        text = err.lossy;
        encoding = err.message;
      }
      const format = docFormat(name);
      const inspection = inspectText(text, format);
      if (inspection.templated) {
        skipped.push({ path: file, reason: 'templated (Go template actions, does not parse as YAML)' });
        continue;
      }
      checked++;
      if (encoding !== undefined && (inspection.problems.length > 0 || inspection.encrypted))
        problems.push({ path: file, reason: encoding });
      for (const reason of inspection.problems) problems.push({ path: file, reason });
      if (name !== '-' && mayBeKustomization(name)) kustomizations.push({ path: name, text });
      // The backup rule: structural (recipients vs. the pins in .sops.yaml), so also --no-decrypt.
      if (inspection.encrypted && inspection.problems.length === 0) {
        keys ??= await ctx.keys();
        const finding = await clusterOnlyFinding(ctx, keys, name, text, format).catch((err: unknown) => ({
          reason: toCliError(err).message,
        }));
        if (finding) problems.push({ path: file, ...finding });
      }
      if (!inspection.encrypted || !opts.decrypt || inspection.problems.length > 0 || encoding !== undefined) continue;
      await verify(file, (keys, kctx) => keys.decryptText(text, { format, source: file }, kctx));
    }
    // secretGenerator sources: a plaintext one is a plaintext Secret (issue 15 item 7).
    if (kustomizations.length > 0) {
      const gen = await checkGeneratorSources(ctx, kustomizations, new Set(files), exclude);
      problems.push(...gen.problems);
      skipped.push(...gen.skipped);
      checked += gen.checked;
      if (opts.decrypt) for (const s of gen.verify) await verify(s.path, (keys, kctx) => decryptSource(keys, kctx, s));
      problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    }
    skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (opts.output !== 'text') {
      writeStructured(ctx.stdout, opts.output, skipped.length > 0 ? { checked, problems, skipped } : { checked, problems });
    } else {
      for (const p of problems) ctx.stdout.write(`${p.path}: ${p.reason}\n`);
      for (const s of skipped) ctx.stderr.write(`check: skipped ${s.path}: ${s.reason}\n`);
      const withProblems = new Set(problems.map((p) => p.path)).size;
      const count = `${checked} ${checked === 1 ? 'file' : 'files'} checked`;
      ctx.stderr.write(
        problems.length === 0
          ? `check: ${count}, no problems\n`
          : `check: ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'} in ${withProblems} of ${count}\n`,
      );
    }
    ctx.exitCode = problems.length > 0 ? ExitCode.PROBLEMS : ExitCode.OK;
  });
}
