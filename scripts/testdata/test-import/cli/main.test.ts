// A test may import test helpers.
import { helper } from '../test/support/helper.js';
export const fromTest = helper();
