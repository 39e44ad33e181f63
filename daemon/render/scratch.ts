// The scratch dir of one render: where the revision's files are laid out for the renderer and
// where the renderer's HOME/TMPDIR point. Memory-backed when the host has /dev/shm (so not even
// ciphertext or a tool's cache touches a disk), mode 0700, and removed when the render ends —
// on success, error and timeout alike. What goes in is non-secret by construction: committed
// files as committed (SOPS files stay ciphertext) and FIFOs, which hold no bytes at rest.
import { accessSync, constants, readdirSync, rmSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';

export const SCRATCH_PREFIX = 'gitops-seal-render-';

export class ScratchPathError extends Error {
  override readonly name = 'ScratchPathError';
  constructor(readonly path: string) {
    super(`${path}: path escapes the render directory`);
  }
}

function writableDir(p: string): boolean {
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Where scratch dirs are made: GITOPS_SEAL_RENDER_DIR, else /dev/shm when usable, else the OS temp dir. */
export function scratchRoot(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.GITOPS_SEAL_RENDER_DIR;
  if (configured) return configured;
  return writableDir('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** Runs `fn` with a fresh 0700 scratch dir that is removed afterwards, whatever `fn` does. */
export async function withScratch<T>(fn: (dir: string) => Promise<T>, root: string = scratchRoot()): Promise<T> {
  // The pid in the name lets sweepScratch() tell a dead daemon's leftovers from a live render.
  const dir = await mkdtemp(join(root, `${SCRATCH_PREFIX}${process.pid}-`));
  try {
    await chmod(dir, 0o700);
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Joins a repo-relative `/` path under `dir`, refusing anything that would land outside it. */
export function scratchPath(dir: string, repoPath: string): string {
  if (repoPath === '' || isAbsolute(repoPath) || repoPath.split('/').some((s) => s === '..' || s === '')) throw new ScratchPathError(repoPath);
  const full = join(dir, ...repoPath.split('/'));
  const rel = relative(dir, full);
  if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) throw new ScratchPathError(repoPath);
  return full;
}

/** Writes one non-secret file (parents 0700, file 0600). */
export async function writeScratchFile(dir: string, repoPath: string, bytes: Uint8Array): Promise<string> {
  const full = scratchPath(dir, repoPath);
  await mkdir(dirname(full), { recursive: true, mode: 0o700 });
  await writeFile(full, bytes, { mode: 0o600 });
  return full;
}

/** Repo-relative directory of a repo-relative file path (`''` for the root). */
export function repoDir(path: string): string {
  const d = posix.dirname(path);
  return d === '.' ? '' : d;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes scratch dirs left by a process that no longer runs (a daemon killed mid-render). Only
 * dirs with our prefix and a dead pid are touched, so concurrent daemons and tests are safe.
 */
export function sweepScratch(root: string = scratchRoot()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(SCRATCH_PREFIX)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(SCRATCH_PREFIX.length))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || pidAlive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
