// Yes/no questions on the controlling terminal, for the rare interactive moments (edit retry).
import { createInterface } from 'node:readline';

/** A confirm function bound to process.stdin/stderr, or undefined when stdin is not a TTY. */
export function terminalConfirm(): ((question: string, defaultYes?: boolean) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY) return undefined;
  // An empty answer takes the default: yes for harmless retries, no for destructive changes.
  return (question, defaultYes = true) =>
    new Promise((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      let answered = false;
      const finish = (yes: boolean): void => {
        if (answered) return;
        answered = true;
        rl.close();
        resolve(yes);
      };
      // Ctrl-C at the prompt means "no" (discard), not "ignore".
      rl.on('SIGINT', () => finish(false));
      rl.on('close', () => finish(false));
      rl.question(question, (answer) => finish(defaultYes ? !/^\s*n/i.test(answer) : /^\s*y/i.test(answer)));
    });
}
