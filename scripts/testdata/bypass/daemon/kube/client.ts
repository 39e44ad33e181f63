// Inside kube: may import its siblings and sub-folders directly.
import { deep } from './sub/deep.js';
export const client = (): number => deep;
