// Folder a uses b.
import { middle } from '../b/middle.js';
export const start = (): number => middle() + 1;
