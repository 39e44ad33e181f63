// apply → kube through the door, one direction only.
import { client } from '../kube/index.js';
export const manager = (): number => client();
