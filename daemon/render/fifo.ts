// Plaintext for a renderer without a file: each SOPS-encrypted source a `secretGenerator` reads
// is a named pipe (FIFO) in the scratch dir, and this feeder writes the plaintext from memory
// into it each time the renderer opens it. The bytes pass through the kernel's pipe buffer
// only; nothing holds them at rest, so there is nothing to scrub afterwards. kustomize reads a
// FIFO like a file (os.ReadFile reads to EOF), and the generator's hash suffix is the one of
// the same content in a regular file (daemon/render/kustomize.int.test.ts checks both).
//
// One open of the FIFO by the reader = one copy of the content, then EOF (we close). Before
// serving the next open we wait until the previous reader has closed its end: a writer that
// reopened while the reader was still draining would append a second copy to the first read.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readdir, readlink } from 'node:fs/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const POLL_MS = 5;

export class FifoError extends Error {
  override readonly name = 'FifoError';
}

export interface FifoSource {
  /** Absolute path in the scratch dir. */
  path: string;
  content: Uint8Array;
}

/** Makes the named pipes (mode 0600). Node has no mkfifo(3); coreutils' mkfifo is in every image we ship. */
export async function makeFifos(paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  try {
    await exec('mkfifo', ['-m', '600', '--', ...paths], { env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
  } catch (err) {
    throw new FifoError(`cannot create named pipes for secretGenerator sources (mkfifo): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function heldOpenBy(pid: number, path: string): Promise<boolean> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return false; // the process is gone (or no /proc: see serveOne)
  }
  for (const fd of fds) {
    try {
      if ((await readlink(`/proc/${pid}/fd/${fd}`)) === path) return true;
    } catch {
      // fd closed meanwhile
    }
  }
  return false;
}

/** Serves every source until stop() is called; `reads` counts completed deliveries per path. */
export class FifoFeeder {
  private stopped = false;
  private pid: number | undefined;
  private readonly loops: Promise<void>[] = [];
  readonly reads = new Map<string, number>();
  /** The first failure of a feeding loop (the renderer then fails on a short read, and the render reports this). */
  error: FifoError | undefined;

  constructor(private readonly sources: readonly FifoSource[]) {}

  /** The reader's pid: lets the feeder see when it has closed a FIFO. */
  setReader(pid: number): void {
    this.pid = pid;
  }

  start(): void {
    for (const s of this.sources) {
      this.loops.push(
        this.serve(s).catch((err: unknown) => {
          this.error ??= err instanceof FifoError ? err : new FifoError(`${s.path}: ${err instanceof Error ? err.message : String(err)}`);
        }),
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async serve(src: FifoSource): Promise<void> {
    while (!this.stopped) {
      let fh;
      try {
        // Non-blocking: succeeds only while a reader has the FIFO open (ENXIO otherwise), so
        // no thread of libuv's small pool sits blocked in open(2) waiting for one.
        fh = await open(src.path, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENXIO') {
          await sleep(POLL_MS);
          continue;
        }
        if (code === 'ENOENT' && this.stopped) return;
        throw new FifoError(`${src.path}: cannot open named pipe: ${code ?? 'error'}`);
      }
      try {
        let off = 0;
        while (off < src.content.length && !this.stopped) {
          try {
            const { bytesWritten } = await fh.write(src.content, off, src.content.length - off);
            off += bytesWritten;
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'EAGAIN') await sleep(1); // pipe buffer full: the reader drains it
            else if (code === 'EPIPE') break; // the reader went away (killed); it reports that itself
            else throw err;
          }
        }
      } finally {
        await fh.close();
      }
      this.reads.set(src.path, (this.reads.get(src.path) ?? 0) + 1);
      await this.readerClosed(src.path);
    }
  }

  private async readerClosed(path: string): Promise<void> {
    // Without the reader's pid (or /proc), a pause stands in for the check.
    if (this.pid === undefined) return sleep(50);
    while (!this.stopped && (await heldOpenBy(this.pid, path))) await sleep(POLL_MS);
  }
}
