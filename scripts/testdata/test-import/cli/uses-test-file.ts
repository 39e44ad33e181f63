// Product code that imports a test module: must fail.
import { fromTest } from './main.test.js';
export const again = (): string => fromTest;
