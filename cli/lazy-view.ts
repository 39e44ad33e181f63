// `build`/`diff` need the daemon's loading code and the Kubernetes client (~1 s of CPU to load);
// every other command, `--help` and `--version` must not pay for it. This forwarder is what the
// two commands import, so daemon-view.ts is loaded only when one of them actually runs.
import type { CliContext } from './context.js';
import type { DaemonView, ViewOptions } from './daemon-view.js';

export type { DaemonView, ViewOptions };

export async function withDaemonView<T>(ctx: CliContext, opts: ViewOptions, fn: (view: DaemonView) => Promise<T>): Promise<T> {
  const view = await import('./daemon-view.js');
  return view.withDaemonView(ctx, opts, fn);
}
