// `npm run lint`'s architecture half: fails on an import cycle between daemon folders, on product
// code importing test code, on an import past a folder's door (index.ts), and on allow-list
// entries that no longer match anything. The rules are in scripts/architecture/rules.ts, where
// the code lives (and the few side doors) in scripts/architecture/layout.ts.
import { fileURLToPath } from 'node:url';
import { ALLOWED } from './architecture-allow.js';
import { checkArchitecture, formatResult, passed } from './architecture/check.js';
import { PROJECT_LAYOUT } from './architecture/layout.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const result = checkArchitecture(root, PROJECT_LAYOUT, ALLOWED);
const failed = !passed(result);
(failed ? process.stderr : process.stdout).write(`${formatResult(result, 'scripts/architecture-allow.ts')}\n`);
process.exitCode = failed ? 1 : 0;
