// The two kinds of channel a Notifier feeds: a notification provider (a JSON message to a
// webhook, HMAC-signed for the generic one) and a commit-status target (one status per request).
// References (URL, HMAC key, token) are resolved on every send, so a rotated file or variable is
// picked up without a restart, and a reference that cannot be read fails that delivery only.
import { createHmac } from 'node:crypto';
import { describeSecretRef, resolveSecretRef, SecretRefError, type LocalSecretRef } from '../secret-ref.js';
import { Channel, type ChannelEvents, type Job } from './channel.js';
import type { Clock } from './clock.js';
import { statusRequest, type CommitStatus } from './commit-status.js';
import { DeliveryError } from './errors.js';
import { postJson } from './http.js';
import type { CommitStatusSpec, NotificationProviderSpec } from './types.js';

/** The header carrying the generic webhook's signature: `sha256=<hex HMAC-SHA256 of the body>`. */
export const SIGNATURE_HEADER = 'X-Gitops-Seal-Signature';

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface ChannelDeps {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  random: () => number;
  events: ChannelEvents;
}

async function resolve(name: string, ref: LocalSecretRef, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return await resolveSecretRef(ref, env);
  } catch (err) {
    // The reference's own error names it (never its value).
    const why = err instanceof SecretRefError ? err.message : `cannot read ${describeSecretRef(ref)}`;
    throw new DeliveryError('credentials', `${name}: ${why}`, false);
  }
}

export class NotificationChannel {
  readonly channel: Channel;

  constructor(
    readonly spec: NotificationProviderSpec,
    private readonly deps: ChannelDeps,
  ) {
    this.channel = new Channel(spec.name, spec.delivery, deps.events, deps.clock, deps.random);
  }

  /** Queue one message (its body is final: built, scrubbed and cut to size by payloads.ts). */
  send(label: string, body: string): void {
    const { spec, deps } = this;
    const job: Job = {
      label,
      send: async (signal) => {
        const url = 'plain' in spec.url ? spec.url.plain : await resolve(spec.name, spec.url.ref, deps.env);
        if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
          throw new DeliveryError(
            'credentials',
            `${spec.name}: the URL read from ${'ref' in spec.url ? describeSecretRef(spec.url.ref) : 'url'} is not an http(s) URL`,
            false,
          );
        const headers: Record<string, string> = {};
        if (spec.secretFrom) headers[SIGNATURE_HEADER] = signature(await resolve(spec.name, spec.secretFrom, deps.env), body);
        await postJson({ name: spec.name, url, headers, body }, signal);
      },
    };
    this.channel.push(job);
  }
}

export class CommitStatusChannel {
  readonly channel: Channel;

  constructor(
    readonly spec: CommitStatusSpec,
    private readonly deps: ChannelDeps,
  ) {
    this.channel = new Channel(spec.name, spec.delivery, deps.events, deps.clock, deps.random);
  }

  post(status: CommitStatus): void {
    const { spec, deps } = this;
    this.channel.push({
      label: `${status.state} ${status.sync}@${status.sha.slice(0, 12)}`,
      // A result still waiting behind a slow API is replaced by the newer one for the same commit.
      key: `${status.sync}\0${status.sha}`,
      send: async (signal) => {
        const token = await resolve(spec.name, spec.tokenFrom, deps.env);
        const req = statusRequest(spec.provider, spec.apiUrl, spec.repository, token, {
          ...status,
          ...(spec.targetUrl ? { targetUrl: spec.targetUrl } : {}),
        });
        await postJson({ name: spec.name, ...req }, signal);
      },
    });
  }
}
