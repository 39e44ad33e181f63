// The request body each notification provider expects, from one notice (with its de-duplication
// count). Every string of every payload goes through the daemon's redaction by shape
// (daemon/log.ts scrubSecrets: age keys, PEM keys, Vault tokens, Bearer/Basic credentials,
// user:password@ in URLs, token=/password= pairs) after it is built, whatever it came from.
// Shapes, from the providers' public documentation:
//   webhook  our own JSON (below), signed by the caller (HMAC-SHA256 over the exact body)
//   slack    incoming webhook: {text, blocks}; `&`, `<`, `>` escaped; a section's text ≤ 3000
//   teams    Workflows / incoming webhook: a message with one Adaptive Card attachment (1.4)
//   discord  execute webhook: {content ≤ 2000 chars, allowed_mentions: {parse: []}} — nothing
//            in a cause text (an `@everyone` in a file name, say) can ping anyone
import { scrubSecrets } from '../log.js';
import type { Occurrence } from './dedup.js';
import type { Notice } from './notice.js';
import type { NotificationType } from './types.js';

/** Cut `text` to at most `max` characters (code points), marking the cut. */
export function truncate(text: string, max: number): string {
  const cps = [...text];
  return cps.length <= max ? text : `${cps.slice(0, max - 1).join('')}…`;
}

/** Every string in `value` scrubbed of secret-shaped text (the last line of defence). */
export function scrubDeep<T>(value: T): T {
  if (typeof value === 'string') return scrubSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => scrubDeep(v)) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v)])) as T;
  return value;
}

/** Longest cause text any payload carries (an Event's message is capped at 1 KiB too). */
const MAX_DETAIL = 1500;

function countLine(o: Occurrence<Notice>): string | undefined {
  if (o.count <= 1) return undefined;
  return `${o.count} times between ${new Date(o.firstAt).toISOString()} and ${new Date(o.lastAt).toISOString()}`;
}

/** Plain text of a notice: summary, count, cause. */
export function plainText(o: Occurrence<Notice>): string {
  const n = o.item;
  const c = countLine(o);
  return [n.summary + (c ? ` — ${c}` : ''), n.detail ? truncate(n.detail, MAX_DETAIL) : undefined].filter(Boolean).join('\n');
}

/** The generic webhook's JSON document (documented in daemon/notify/README.md). */
export interface WebhookBody {
  version: 1;
  alert: string;
  event: Notice['event'];
  severity: Notice['severity'];
  sync?: string;
  automation?: string;
  source?: string;
  revision?: string;
  stage?: string;
  summary: string;
  detail?: string;
  count: number;
  firstAt: string;
  lastAt: string;
}

function webhookBody(alert: string, o: Occurrence<Notice>): WebhookBody {
  const n = o.item;
  return {
    version: 1,
    alert,
    event: n.event,
    severity: n.severity,
    ...(n.sync !== undefined ? { sync: n.sync } : {}),
    ...(n.automation !== undefined ? { automation: n.automation } : {}),
    ...(n.source !== undefined ? { source: n.source } : {}),
    ...(n.revision !== undefined ? { revision: n.revision } : {}),
    ...(n.stage !== undefined ? { stage: n.stage } : {}),
    summary: n.summary,
    ...(n.detail !== undefined ? { detail: truncate(n.detail, MAX_DETAIL) } : {}),
    count: o.count,
    firstAt: new Date(o.firstAt).toISOString(),
    lastAt: new Date(o.lastAt).toISOString(),
  };
}

const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const ICON: Record<Notice['severity'], string> = { info: ':white_check_mark:', warning: ':warning:', error: ':x:' };

function slackBody(alert: string, o: Occurrence<Notice>): object {
  const n = o.item;
  const c = countLine(o);
  const blocks: object[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`${ICON[n.severity]} ${slackEscape(n.summary)}`, 3000) } },
  ];
  // A code block cannot hold ``` itself; the cause is text, so a look-alike is harmless.
  if (n.detail)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`\`\`\`${slackEscape(n.detail.replace(/```/g, "'''"))}`, 2997) + '```' },
    });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`gitops-seal · alert ${alert}${c ? ` · ${c}` : ''}`) }] });
  return { text: truncate(slackEscape(plainText(o)), 3000), blocks };
}

function teamsBody(alert: string, o: Occurrence<Notice>): object {
  const n = o.item;
  const c = countLine(o);
  const facts = [
    ['Sync', n.sync],
    ['Image update', n.automation],
    ['Source', n.source],
    ['Revision', n.revision],
    ['Stage', n.stage],
    ['Repeated', c],
    ['Alert', alert],
  ]
    .filter((f): f is [string, string] => f[1] !== undefined)
    .map(([title, value]) => ({ title, value }));
  const body: object[] = [
    {
      type: 'TextBlock',
      text: n.summary,
      wrap: true,
      weight: 'Bolder',
      color: n.severity === 'info' ? 'Good' : n.severity === 'warning' ? 'Warning' : 'Attention',
    },
  ];
  if (n.detail) body.push({ type: 'TextBlock', text: truncate(n.detail, MAX_DETAIL), wrap: true, fontType: 'Monospace' });
  body.push({ type: 'FactSet', facts });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body },
      },
    ],
  };
}

function discordBody(alert: string, o: Occurrence<Notice>): object {
  return { content: truncate(`${plainText(o)}\n— gitops-seal, alert ${alert}`, 2000), allowed_mentions: { parse: [] } };
}

/** The JSON body (as text) a provider of `type` is sent for this occurrence. */
export function payloadFor(type: NotificationType, alert: string, o: Occurrence<Notice>): string {
  const build = { webhook: webhookBody, slack: slackBody, teams: teamsBody, discord: discordBody }[type];
  // Scrubbed before it is cut to size (a cut must not split a secret out of its shape), and the
  // built document once more.
  return JSON.stringify(scrubDeep(build(alert, { ...o, item: scrubDeep(o.item) })));
}
