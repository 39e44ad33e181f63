// The completion scripts are generated from the real program tree; they are checked with the
// real shells: syntax (`bash -n`, and `zsh -n` / `fish -n` where installed) and, for bash and
// fish, actual completions.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCaptured, type RunResult } from '../../test/support/cli-capture.js';
import { buildProgram } from '../program.js';
import { createContext } from '../context.js';
import type { KeysApi } from '../keys-api.js';
import { describeProgram } from './completion.js';

const exec = promisify(execFile);

const noKeys = async (): Promise<KeysApi> => {
  throw new Error('keys loaded by completion');
};

function script(shell: string): Promise<RunResult> {
  return runCaptured(['completion', shell], { env: {}, cwd: '/', keys: noKeys });
}

function installed(shell: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${shell}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The tree the scripts are generated from, walked independently of the generator.
const program = buildProgram(createContext({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: '/' }, noKeys));
const commands = program.commands.map((c) => ({
  name: c.name(),
  longs: c.options.map((o) => o.long).filter((l): l is string => l !== undefined),
}));
// Commands of command groups (cluster-key fetch, ...): their names and options must be in every script too.
const nested = program.commands.flatMap((g) =>
  g.commands.map((c) => ({ name: c.name(), longs: c.options.map((o) => o.long).filter((l): l is string => l !== undefined) })),
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gitops-seal-completion-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('completion model', () => {
  it('covers every command with its options and the choices carried by argParsers', () => {
    const spec = describeProgram(program);
    expect(spec.commands.map((c) => c.name)).toEqual([...commands.map((c) => c.name), 'help']);
    const status = spec.commands.find((c) => c.name === 'status');
    expect(status?.options.find((o) => o.long === '--output')?.choices).toEqual(['table', 'json', 'yaml']);
    expect(status?.options.find((o) => o.long === '--url')).toMatchObject({ takesValue: true, files: false, valueName: 'url' });
    expect(spec.commands.find((c) => c.name === 'build')?.options.find((o) => o.long === '--config')).toMatchObject({ files: true });
    expect(spec.commands.find((c) => c.name === 'completion')?.argChoices).toEqual(['bash', 'zsh', 'fish']);
    expect(spec.commands.find((c) => c.name === 'help')?.argChoices).toContain('encrypt');
  });
});

describe('gitops-seal completion bash', () => {
  let file: string;
  beforeAll(async () => {
    const r = await script('bash');
    expect(r).toMatchObject({ code: 0, err: '' });
    file = join(dir, 'gitops-seal.bash');
    await writeFile(file, r.out);
  });

  it('mentions every command and every long option', async () => {
    const { out } = await script('bash');
    for (const c of [...commands, ...nested]) {
      expect(out, c.name).toMatch(new RegExp(`^\\s+${c.name}\\)$`, 'm'));
      for (const l of c.longs) expect(out, `${c.name} ${l}`).toContain(l);
    }
  });

  it('is valid bash (bash -n)', async () => {
    await expect(exec('bash', ['-n', file])).resolves.toBeDefined();
  });

  /** Source the script in a fresh bash, complete `words` (the last one is the word under the cursor). */
  async function complete(words: string[]): Promise<string[]> {
    const body = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _gitops_seal; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await exec('bash', ['--norc', '--noprofile', '-c', body, 'bash', file, ...words]);
    return stdout.split('\n').filter((l) => l !== '');
  }

  it('completes commands, options, option choices and argument choices', async () => {
    expect(await complete(['gitops-seal', 'enc'])).toEqual(['encrypt']);
    expect(await complete(['gitops-seal', 'r'])).toEqual(['rotate', 'reconcile']);
    expect(await complete(['gitops-seal', 'status', '--'])).toEqual(expect.arrayContaining(['--url', '--output', '--sync', '--timeout']));
    expect(await complete(['gitops-seal', 'status', '-o', ''])).toEqual(['table', 'json', 'yaml']);
    expect(await complete(['gitops-seal', 'diff', '--output', 'y'])).toEqual(['yaml']);
    expect(await complete(['gitops-seal', 'build', '-o', ''])).toEqual(['yaml', 'json']);
    expect(await complete(['gitops-seal', 'check', '--no-decrypt', '-o', ''])).toEqual(['text', 'json', 'yaml']);
    expect(await complete(['gitops-seal', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    // Only the first argument has choices.
    expect(await complete(['gitops-seal', 'completion', 'bash', ''])).toEqual([]);
    // A free-form value: empty reply, bash falls back to file names (-o default).
    expect(await complete(['gitops-seal', 'reconcile', '--sync', ''])).toEqual([]);
    // A command group: its commands, then each one's options and choices.
    expect(await complete(['gitops-seal', 'cluster-key', ''])).toEqual(['fetch', 'add', 'backup', 'restore', 'rotate', 'help']);
    expect(await complete(['gitops-seal', 'cluster-key', 'f'])).toEqual(['fetch']);
    expect(await complete(['gitops-seal', 'cluster-key', 'fetch', '-o', ''])).toEqual(['text', 'json']);
    expect(await complete(['gitops-seal', 'cluster-key', 'backup', '--t'])).toEqual(['--to']);
    expect(await complete(['gitops-seal', 'cluster-key', 'add', '--accept'])).toEqual(['--accept-rotation']);
    expect(await complete(['gitops-seal', 'rotate', '--age'])).toEqual(['--age-key-file']);
    expect(await complete(['gitops-seal', 'encrypt', '--allow'])).toEqual(['--allow-cluster-key-only']);
  });
});

describe('gitops-seal completion zsh|fish', () => {
  it.each(['zsh', 'fish'])('%s: generated from the same tree, and valid syntax where the shell is installed', async (shell) => {
    const r = await script(shell);
    expect(r.code).toBe(0);
    for (const c of [...commands, ...nested]) {
      expect(r.out, c.name).toContain(c.name);
      for (const l of c.longs) expect(r.out, `${c.name} ${l}`).toContain(shell === 'fish' ? `-l ${l.slice(2)}` : l);
    }
    const file = join(dir, `gitops-seal.${shell}`);
    await writeFile(file, r.out);
    if (installed(shell)) await expect(exec(shell, ['-n', file])).resolves.toBeDefined();
  });

  it('fish offers the same completions as bash (where fish is installed)', async () => {
    const r = await script('fish');
    expect(r.out).toMatch(/^complete -c gitops-seal -n __fish_use_subcommand -a encrypt -d /m);
    if (!installed('fish')) return;
    const file = join(dir, 'gitops-seal.fish');
    await writeFile(file, r.out);
    const ask = async (line: string): Promise<string[]> =>
      (await exec('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`])).stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\t')[0] ?? '');
    expect(await ask('gitops-seal enc')).toEqual(['encrypt']);
    expect(await ask('gitops-seal status -o ')).toEqual(['json', 'table', 'yaml']);
    expect(await ask('gitops-seal completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(await ask('gitops-seal cluster-key ')).toEqual(['add', 'backup', 'fetch', 'help', 'restore', 'rotate']);
    expect(await ask('gitops-seal cluster-key fetch -o ')).toEqual(['json', 'text']);
    expect(await ask('gitops-seal cluster-key backup --t')).toEqual(['--to']);
    // The top-level rotate's options are not offered for `cluster-key rotate`.
    expect(await ask('gitops-seal cluster-key rotate --age')).toEqual([]);
    expect(await ask('gitops-seal rotate --age')).toEqual(['--age-key-file']);
  });

  it('zsh offers the same completions as bash (where zsh is installed)', async () => {
    if (!installed('zsh')) return;
    const r = await script('zsh');
    const file = join(dir, '_gitops-seal');
    await writeFile(file, r.out);
    // An interactive zsh on a pty with compinit and the script loaded; compadd is wrapped to
    // print what the completion system would offer for the line typed before the Tab.
    const init = join(dir, 'zinit.zsh');
    await writeFile(
      init,
      [
        'PROMPT=',
        'autoload -U compinit',
        `compinit -u -d ${join(dir, 'zcompdump')}`,
        "bindkey '^I' complete-word",
        "begin-mark() { print -r -- '<<BEGIN>>' }",
        "end-mark() { print -r -- '<<END>>'; exit }",
        'compprefuncs=( begin-mark )',
        'comppostfuncs=( end-mark )',
        'compadd() {',
        '  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return $?; fi',
        '  typeset -a hits; builtin compadd -A hits "$@"; (( $#hits )) && print -rl -- $hits; return 0',
        '}',
        `source ${file}`,
      ].join('\n'),
    );
    const capture = join(dir, 'capture.zsh');
    await writeFile(
      capture,
      [
        'zmodload zsh/zpty',
        'zpty z zsh -f -i',
        'zpty -w z "source ${(q)1}; echo READY"',
        'local line; integer on=0',
        'while zpty -r z line; do [[ $line == READY* ]] && break; done',
        'zpty -w -n z "$2"$\'\\t\'',
        'while zpty -r z line; do',
        "  [[ $line == *'<<END>>'* ]] && break",
        '  (( on )) && print -r -- "${line%$\'\\r\'}"',
        "  [[ $line == *'<<BEGIN>>'* ]] && on=1",
        'done',
        'zpty -d z',
      ].join('\n'),
    );
    const ask = async (line: string): Promise<string[]> =>
      (await exec('zsh', ['-f', capture, init, line], { timeout: 20_000 })).stdout.split(/\r?\n/).filter((l) => l.trim() !== '');
    expect(await ask('gitops-seal enc')).toEqual(['encrypt']);
    expect(await ask('gitops-seal status -o ')).toEqual(['table', 'json', 'yaml']);
    expect(await ask('gitops-seal completion ')).toEqual(['bash', 'zsh', 'fish']);
    expect(await ask('gitops-seal reconcile --')).toEqual(expect.arrayContaining(['--sync', '--url', '--wait', '--timeout', '--output']));
    expect(await ask('gitops-seal cluster-key ')).toEqual(['fetch', 'add', 'backup', 'restore', 'rotate', 'help']);
    expect(await ask('gitops-seal cluster-key fetch -o ')).toEqual(['text', 'json']);
    expect(await ask('gitops-seal cluster-key backup --')).toEqual(
      expect.arrayContaining(['--to', '--output', '--namespace', '--kubeconfig']),
    );
  }, 60_000);

  it('rejects an unknown shell as a usage error', async () => {
    const r = await script('powershell');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bash, zsh, fish/);
  });
});
