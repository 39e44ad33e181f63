// Enters kube past its door: must fail.
import { client } from '../kube/client.js';
import { deep } from '../kube/sub/deep.js';
export const manager = (): number => client() + deep;
