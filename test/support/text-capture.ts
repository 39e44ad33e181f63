// A Writable that keeps everything written to it as text: the destination of a logger under test
// (pino's JSON lines) or of a program's output stream, for assertions and canary sweeps.
import { Writable } from 'node:stream';

export class TextCapture extends Writable {
  text = '';

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }

  /** The text as JSON lines (pino's format); a line that is not JSON throws. */
  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
