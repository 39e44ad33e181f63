// A test beside product code may import test helpers.
import { helper } from '../test/support/helper.js';
export const fromTest = helper();
