// The read-only web status page (issue 20): server-rendered pages on the status listener, live
// updates over server-sent events, access control beyond loopback. README.md says how.
export { FLEET_REFRESH_MS, uiRoutes, SCRIPT_PATH } from './routes.js';
export { isLoopbackListen, SESSION_COOKIE } from './access.js';
export { feedEntry, FEED_LIMIT } from './feed.js';
export { redactView } from './redact.js';
export type { UiConfig, UiParts } from './parts.js';
export type { UiSpec, UiTokenReviewSpec } from './types.js';
export type { OverviewModel, PageModel, SyncModel, SyncView } from './web/model.js';
