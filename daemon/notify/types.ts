// Spec types of spec.notifications and spec.commitStatus (read by config/parse-notify.ts; run by
// this folder). Types only (a side door config/ imports; scripts/architecture/layout.ts).
import type { LocalSecretRef } from '../secret-ref.js';

/** What an alert can be about. `refused` also matches the two narrower refusals after it. */
export type AlertEvent = 'applied' | 'refused' | 'decrypt-failed' | 'health-degraded' | 'drift' | 'writeback-pushed' | 'writeback-failed';

export type NotificationType = 'webhook' | 'slack' | 'teams' | 'discord';

export type CommitStatusProvider = 'github' | 'gitlab' | 'gitea';

/** How a channel delivers: its queue, retries and pace (defaults: config/parse-notify.ts). */
export interface DeliverySpec {
  /** One request's timeout (default 10s). */
  timeoutMs: number;
  /** Attempts per message, the first included (default 5). */
  maxAttempts: number;
  /** Messages waiting at most; the oldest is dropped (and counted) beyond it (default 100). */
  queueSize: number;
  /** At most `burst` messages per `perMs` (a token bucket; default 20 per 1m). */
  rateLimit: { burst: number; perMs: number };
}

/** spec.notifications.providers[]: where messages go. */
export interface NotificationProviderSpec {
  name: string;
  type: NotificationType;
  /** The endpoint, by reference (Slack/Discord/Teams webhook URLs carry their token) or plain. */
  url: { ref: LocalSecretRef } | { plain: string };
  /** webhook only: the HMAC-SHA256 key; the signature goes into X-Gitops-Seal-Signature. */
  secretFrom?: LocalSecretRef;
  delivery: DeliverySpec;
}

/** spec.notifications.alerts[]: which events of which syncs / automations go to which providers. */
export interface AlertSpec {
  name: string;
  providers: string[];
  events: AlertEvent[];
  /** Sync names; absent: every sync. */
  syncs?: string[];
  /** imageUpdates automation names; absent: every automation. */
  imageUpdates?: string[];
  /** `drift`: alert when a sync's drift was corrected more than `moreThan` times within `windowMs`. */
  drift: { moreThan: number; windowMs: number };
  /** The same sync + event + reason within this window → one message, with a count (0: off). */
  dedupWindowMs: number;
}

export interface NotificationsSpec {
  providers: NotificationProviderSpec[];
  alerts: AlertSpec[];
}

/** spec.commitStatus[]: post each reconcile's result on the commit in the Git host. */
export interface CommitStatusSpec {
  name: string;
  provider: CommitStatusProvider;
  /** The API root: https://api.github.com, https://gitlab.com/api/v4, https://gitea.example.com/api/v1. */
  apiUrl: string;
  /** owner/repo (GitHub, Gitea), or a GitLab project's path (group/sub/project) or numeric id. */
  repository: string;
  tokenFrom: LocalSecretRef;
  /** The spec.sources[] whose commits these are. */
  source: string;
  /** A subset of that source's syncs; absent: all of them. */
  syncs?: string[];
  /** Where the status links to (a dashboard, the daemon's /status). */
  targetUrl?: string;
  delivery: DeliverySpec;
}
