// One fresh CLI sandbox per test without repeating the beforeEach/afterEach pair in every file:
// `const sb = useSandbox();` at describe level, then `sb.run(...)`, `sb.dir`, ... inside tests.
import { afterEach, beforeEach } from 'vitest';
import { sandbox, type Sandbox } from '../../cli/test-helpers.js';

/** The sandbox of the running test (a stand-in that forwards to it); `setup` runs after creation. */
export function useSandbox(setup?: (sb: Sandbox) => Promise<void>): Sandbox {
  let current: Sandbox | undefined;
  beforeEach(async () => {
    current = await sandbox();
    await setup?.(current);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return new Proxy({} as Sandbox, {
    get(_target, key) {
      if (!current) throw new Error('the CLI sandbox is only available inside a test');
      return current[key as keyof Sandbox];
    },
  });
}
