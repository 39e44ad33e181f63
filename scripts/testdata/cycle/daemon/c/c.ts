// Folder c depends on a; only c's test is imported back by nothing — no cycle.
import { start } from '../a/start.js';
export const c = (): number => start();
