// The CLI may use the daemon's doors.
import { manager } from '../daemon/apply/manager.js';
import { log } from '../daemon/log.js';
export const main = (): number => (log(), manager());
