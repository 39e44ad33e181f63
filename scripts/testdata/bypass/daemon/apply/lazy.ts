// Type-only and dynamic imports past the door count too: both must fail.
import type { client } from '../kube/client.js';
export const later = async (): Promise<typeof client> => (await import('../kube/client.js')).client;
