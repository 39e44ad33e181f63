export { KubeClient, type KubeClientOptions, type LoadOptions, type Query, type RawResponse, type RequestOptions } from './client.js';
export { KubeconfigError } from './locate.js';
export { RESTMapper, parseResourceList, resourcePath, type ResourceMapping } from './discovery.js';
export {
  KubeApiError, KubeTransportError, NoMatchError, apiErrorFromResponse, redactSecretValues, redactedApiError,
  type KubeApiErrorContext,
} from './errors.js';
export { watch, LineSplitter, WatchExpiredError, WatchFailedError, type WatchEvent, type WatchEventType, type WatchOptions } from './watch.js';
export * from './types.js';
