// Folder b reaches back into a.
import { leaf } from '../a/leaf.js';
export const middle = (): number => leaf() + 1;
