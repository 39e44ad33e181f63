// The file system isomorphic-git sees for one object store. isomorphic-git looks an object up by
// first trying the loose path (a failing open) and then listing objects/pack (a readdir) — two
// syscalls per object before any work, which dominate a 1,000-file read. Our stores only ever
// receive packs, so both answers are cached here and dropped on any write under objects/.
import * as nodeFs from 'node:fs';
import type { PromiseFsClient } from 'isomorphic-git';

type Promises = typeof nodeFs.promises;

export interface StoreFs extends PromiseFsClient {
  /** Forget cached listings (called automatically on writes through this fs). */
  invalidate(): void;
}

const LOOSE_RE = /\/objects\/([0-9a-f]{2})\/[0-9a-f]{38}$/;

/**
 * One shared error for "no loose object": isomorphic-git only checks that the read failed, and
 * building a fresh Error (with its stack) per object showed up in profiles of large reads.
 */
const NO_LOOSE_OBJECT: NodeJS.ErrnoException = Object.assign(new Error('ENOENT: no such loose object'), {
  code: 'ENOENT',
  errno: -2,
  syscall: 'open',
});

let tmpSeq = 0;

export function storeFs(gitdir: string): StoreFs {
  const p = nodeFs.promises;
  const objectsDir = `${gitdir}/objects`;
  const packDir = `${objectsDir}/pack`;
  let looseDirs: Promise<Set<string>> | undefined;
  let packList: Promise<string[]> | undefined;
  // Every isomorphic-git command stats the gitdir (to follow `.git` files of worktrees); ours is
  // always a directory, so one successful stat is reused.
  let gitdirStat: Promise<nodeFs.Stats> | undefined;

  const invalidate = (): void => {
    looseDirs = undefined;
    packList = undefined;
  };
  const touches = (path: unknown): boolean => typeof path === 'string' && path.startsWith(objectsDir);

  const listLoose = (): Promise<Set<string>> => {
    looseDirs ??= p.readdir(objectsDir).then(
      (names) => new Set(names.filter((n) => /^[0-9a-f]{2}$/.test(n))),
      () => new Set<string>(),
    );
    return looseDirs;
  };

  const promises = {
    ...p,
    async readFile(...args: Parameters<Promises['readFile']>) {
      const [path] = args;
      // isomorphic-git probes every fs it is handed with a bare `readFile()` to see whether it
      // returns a promise — once per command. Answer without a syscall or a fresh Error.
      if (path === undefined) throw NO_LOOSE_OBJECT;
      if (typeof path === 'string') {
        const m = LOOSE_RE.exec(path);
        if (m !== null && path.startsWith(objectsDir) && !(await listLoose()).has(m[1] as string)) throw NO_LOOSE_OBJECT;
      }
      return p.readFile(...args);
    },
    async stat(...args: Parameters<Promises['stat']>) {
      if (args[0] === gitdir && args.length === 1) {
        gitdirStat ??= p.stat(gitdir).catch((err: unknown) => {
          gitdirStat = undefined;
          throw err;
        });
        return gitdirStat;
      }
      return p.stat(...args);
    },
    async readdir(path: string, options?: undefined) {
      if (path === packDir && options === undefined) {
        packList ??= p.readdir(packDir).catch((err: unknown) => {
          packList = undefined;
          throw err;
        });
        return [...(await packList)];
      }
      return p.readdir(path);
    },
    async writeFile(...args: Parameters<Promises['writeFile']>) {
      if (touches(args[0])) invalidate();
      try {
        // Atomic: write a temp file beside the target, then rename over it. A process killed
        // mid-write (SIGKILL, OOM) must not leave a truncated loose object or pack that
        // isomorphic-git then finds "present" and can never read (inflate errors forever).
        // Temp names match neither loose-object names nor the *.idx/*.pack that git lists.
        const [path, ...rest] = args;
        if (typeof path !== 'string') return await p.writeFile(...args);
        const tmp = `${path}.tmp-${process.pid}-${++tmpSeq}`;
        try {
          await p.writeFile(tmp, ...rest);
          await p.rename(tmp, path);
        } catch (err) {
          await p.unlink(tmp).catch(() => undefined);
          throw err;
        }
      } finally {
        if (touches(args[0])) invalidate();
      }
    },
    async mkdir(...args: Parameters<Promises['mkdir']>) {
      if (touches(args[0])) invalidate();
      return p.mkdir(...args);
    },
    async unlink(...args: Parameters<Promises['unlink']>) {
      if (touches(args[0])) invalidate();
      return p.unlink(...args);
    },
    async rmdir(...args: Parameters<Promises['rmdir']>) {
      if (touches(args[0])) invalidate();
      return p.rmdir(...args);
    },
  };
  return { promises, invalidate };
}
