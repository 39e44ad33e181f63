// Product code that imports a test helper: must fail.
import { helper } from '../test/support/helper.js';
export const main = (): string => helper();
