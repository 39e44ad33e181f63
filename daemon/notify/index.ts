// Commit statuses on the Git host and notifications to chat and webhooks (issue 19, items 3–5):
// one subscriber of the event bus, wired in runtime/assembly.ts. See README.md.
export { Notifier, type NotificationChannelStatus, type NotifierOptions, type NotifyMetrics } from './notifier.js';
export type { LastDelivery } from './channel.js';
export type { Clock } from './clock.js';
export type { DeliveryFailure } from './errors.js';
export { SIGNATURE_HEADER, signature } from './channels.js';
export { PROVIDER_STATES, DESCRIPTION_MAX, contextOf } from './commit-status.js';
export type { WebhookBody } from './payloads.js';
export * from './types.js';
