// Running the user's editor on a file and waiting for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { InputError } from './errors.js';

/** $EDITOR, then $VISUAL, then vi. The value may carry arguments (`code --wait`). */
export function editorCommand(env: NodeJS.ProcessEnv): string {
  return env['EDITOR']?.trim() || env['VISUAL']?.trim() || 'vi';
}

/**
 * Run the editor through `sh -c` so that commands with arguments work, passing the file as a
 * positional parameter ("$1") so its name is never interpreted by the shell.
 */
export async function runEditor(
  command: string,
  file: string,
  env: NodeJS.ProcessEnv,
  label: string,
  onSpawn?: (child: ChildProcess) => void,
): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn('/bin/sh', ['-c', `exec ${command} "$1"`, 'sh', file], { stdio: 'inherit', env });
    onSpawn?.(child);
    child.on('error', (err) => reject(new InputError(`cannot start editor '${command}': ${err.message}`, label)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else
        reject(
          new InputError(
            `editor '${command}' ${signal ? `killed by ${signal}` : `exited with status ${code}`}; file left unchanged`,
            label,
          ),
        );
    });
  });
}
