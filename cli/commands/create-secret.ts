// `gitops-seal create-secret NAME -n NS ...`: build a Secret and write it already encrypted.
// The plaintext exists only in memory; the only thing written anywhere is ciphertext.
import type { Command } from 'commander';
import { addBackupRuleOption, enforceBackupRule, keyOrigin, type BackupRuleFlags } from '../cluster-key/index.js';
import type { CliContext } from '../context.js';
import { addKeyOptions, resolveSettings, type KeyFlags } from '../encryption-settings.js';
import { UsageError, withFile } from '../errors.js';
import { writeFileAtomic } from '../io.js';
import { encryptionContext } from '../keys-api.js';
import { addScopeOption, scopeClaimed } from '../scope-claim.js';
import { buildSecret, secretYaml } from '../secret-builder.js';

interface CreateSecretOptions extends KeyFlags, BackupRuleFlags {
  namespace: string;
  fromLiteral: string[];
  fromFile: string[];
  fromEnvFile: string[];
  type: string;
  output?: string;
  scope?: string;
}

const repeat = (value: string, previous: string[]): string[] => [...previous, value];

// DNS-1123 subdomain, what the apiserver requires for Secret names.
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('create-secret')
    .description('create an encrypted Kubernetes Secret (like kubectl create secret generic, values base64 in data)')
    .argument('<name>', 'Secret name')
    .requiredOption('-n, --namespace <ns>', 'namespace of the Secret')
    .option('--from-literal <key=value>', 'add a literal value (repeatable)', repeat, [])
    .option(
      '--from-file <[key=]path>',
      "add a file's content (key defaults to the file name), or each regular file of a directory (repeatable)",
      repeat,
      [],
    )
    .option(
      '--from-env-file <file>',
      "add KEY=VALUE lines of an env file; a bare NAME line takes $NAME ('-': stdin; repeatable)",
      repeat,
      [],
    )
    .option('--type <type>', 'Secret type', 'Opaque')
    .option('-o, --output <file>', 'write the encrypted Secret here (.json for JSON) instead of stdout');
  addBackupRuleOption(cmd);
  addKeyOptions(cmd);
  addScopeOption(cmd);
  cmd.action(async (name: string, opts: CreateSecretOptions) => {
    if (!DNS1123.test(name) || name.length > 253) throw new UsageError(`invalid Secret name '${name}' (must be a DNS-1123 subdomain)`);
    if (!DNS1123.test(opts.namespace) || opts.namespace.length > 63) throw new UsageError(`invalid namespace '${opts.namespace}'`);
    const keys = await ctx.keys();
    const secret = await buildSecret(
      { name, namespace: opts.namespace, type: opts.type },
      { fromLiteral: opts.fromLiteral, fromFile: opts.fromFile, fromEnvFile: opts.fromEnvFile },
      ctx.resolvePath,
      { env: ctx.env, readStdin: ctx.readStdin },
    );
    // Creation rules are matched against the output path, or `<cwd>/<name>.yaml` for stdout.
    const target = ctx.resolvePath(opts.output ?? `${name}.yaml`);
    const format = opts.output !== undefined ? keys.formatFromPath(target) : 'yaml';
    const plaintext = format === 'json' ? `${JSON.stringify(secret, null, 2)}\n` : secretYaml(secret, keys.yamlNeedsQuotes);
    const source = opts.output ?? `${name}.yaml`;
    const settings = await resolveSettings(target, source, opts, true, ctx);
    const claimed = await scopeClaimed({
      plaintext,
      format,
      docs: [secret],
      settings,
      scope: opts.scope,
      label: source,
      pins: { ctx, keys, target, configFlag: opts.config },
    });
    const encrypted = await withFile(source, () =>
      keys.encryptText(
        claimed.plaintext,
        { format, source, keys: settings.keys, rule: claimed.rule, macOnlyEncrypted: settings.macOnlyEncrypted },
        encryptionContext(ctx.env),
      ),
    );
    // The backup rule (cli/cluster-key): refuse before anything is written.
    await enforceBackupRule(
      ctx,
      keys,
      { target, label: source, configFlag: opts.config },
      settings.keys,
      keyOrigin(opts),
      opts.allowClusterKeyOnly,
    );
    if (opts.output !== undefined) await writeFileAtomic(ctx, opts.output, encrypted);
    else ctx.stdout.write(encrypted);
  });
}
