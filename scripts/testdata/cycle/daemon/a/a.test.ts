// A test of a that also uses c: tests are leaves and close no cycle.
import { c } from '../c/c.js';
export const checked = c();
