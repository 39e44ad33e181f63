// What the demo prints: step headers, the commands it runs (as a person would type them) with
// their output indented, checks that passed, and pauses between steps in interactive mode.
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';

const useColor = (out: Writable): boolean => (out as Writable & { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR;

export class Printer {
  private readonly color: boolean;

  constructor(readonly out: Writable) {
    this.color = useColor(out);
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  line(text = ''): void {
    this.out.write(`${text}\n`);
  }

  header(index: number, total: number, title: string): void {
    this.line();
    this.line(this.paint('1;36', `[${index}/${total}] ${title}`));
  }

  section(title: string): void {
    this.line();
    this.line(this.paint('1;36', title));
  }

  /** Narration: what is about to happen and why. */
  say(text: string): void {
    this.line(`  ${text}`);
  }

  /** A command as a person would type it, then its output indented under it. */
  command(display: string, output?: string): void {
    this.line(this.paint('33', `  $ ${display}`));
    if (output !== undefined && output.trim() !== '') {
      for (const l of output.replace(/\n+$/, '').split('\n')) this.line(`    ${l}`);
    }
  }

  /** A verified fact. */
  ok(text: string): void {
    this.line(`  ${this.paint('32', '✓')} ${text}`);
  }

  fail(text: string): void {
    this.line(`  ${this.paint('31', '✗')} ${text}`);
  }
}

/** Resolves when the user presses Enter (stdin stays in cooked mode, so Ctrl-C is a signal). */
export function waitForEnter(printer: Printer, prompt = 'press Enter to continue'): Promise<void> {
  printer.line();
  printer.out.write(`  … ${prompt} `);
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    rl.once('line', () => {
      rl.close();
      resolve();
    });
    // End of input (stdin closed): nothing more will come; go on rather than hang.
    rl.once('close', () => resolve());
  });
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
