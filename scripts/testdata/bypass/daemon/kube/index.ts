// The door of kube.
export { client } from './client.js';
