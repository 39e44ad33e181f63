// Tests outside kube use its door too.
import { client } from '../../daemon/kube/client.js';
export const tested = client();
