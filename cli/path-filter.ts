// `check --exclude GLOB` and the `.gitops-seal-ignore` file: gitignore-style patterns over the
// paths `check` walks. A pattern without a slash matches a file or directory name at any depth
// (`*.tpl.yaml`, `charts`); one with a slash is anchored at the directory check runs in
// (`deploy/helm/**`); a trailing slash matches directories only; `*` and `?` stay within one path
// segment, `**` spans any number of them. Negation (`!`) is not supported and refused, so a
// pattern never silently means something else than in .gitignore.
import { promises as fsp } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ConfigError, UsageError } from './errors.js';

export const IGNORE_FILE = '.gitops-seal-ignore';

interface Pattern {
  source: string;
  re: RegExp;
  dirOnly: boolean;
}

function globToRegExp(glob: string, anchored: boolean): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` everything below.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(anchored ? `^${re}$` : `(?:^|/)${re}$`);
}

export function compilePattern(raw: string, where: () => Error): Pattern {
  let p = raw.trim();
  if (p.startsWith('!')) throw where();
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.replace(/\/+$/, '');
  const anchored = p.includes('/');
  p = p.replace(/^\.?\//, '');
  return { source: raw, re: globToRegExp(p, anchored), dirOnly };
}

export class PathFilter {
  constructor(
    private readonly cwd: string,
    private readonly patterns: readonly Pattern[],
  ) {}

  /** The pattern that excludes `absPath` (a directory when `isDir`), if any. */
  match(absPath: string, isDir: boolean): string | undefined {
    if (this.patterns.length === 0) return undefined;
    const rel = relative(this.cwd, absPath);
    const path = (rel.startsWith('..') || isAbsolute(rel) ? absPath : rel).split(sep).join('/');
    return this.patterns.find((p) => (!p.dirOnly || isDir) && p.re.test(path))?.source;
  }
}

/** `--exclude` patterns plus those of `.gitops-seal-ignore` in `cwd`, when it exists. */
export async function loadPathFilter(cwd: string, excludes: readonly string[]): Promise<PathFilter> {
  const patterns = excludes.map((e) => compilePattern(e, () => new UsageError(`--exclude ${e}: negated patterns ('!') are not supported`)));
  const file = join(cwd, IGNORE_FILE);
  let text: string | undefined;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ConfigError(`cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, IGNORE_FILE);
  }
  text?.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    patterns.push(compilePattern(line, () => new ConfigError(`line ${i + 1}: negated patterns ('!') are not supported`, IGNORE_FILE)));
  });
  return new PathFilter(cwd, patterns);
}
