// spec.notifications and spec.commitStatus (issue 19; run by daemon/notify, README there).
//
//   notifications:
//     providers:
//       - name: team-chat                  # DNS label, unique
//         type: slack                      # webhook | slack | teams | discord
//         urlFrom: {env: SLACK_WEBHOOK_URL} # or url: https://… (a chat webhook's URL is its token: prefer urlFrom)
//         secretFrom: {file: /etc/hmac}    # webhook only: HMAC-SHA256 key → X-Gitops-Seal-Signature
//         timeout: 10s                     # per request;  maxAttempts: 5;  queueSize: 100
//         rateLimit: {burst: 20, per: 1m}
//     alerts:
//       - name: prod
//         providers: [team-chat]
//         events: [refused, decrypt-failed, health-degraded, drift, writeback-failed]
//         syncs: [apps]                    # default: every sync;  imageUpdates: [...] likewise
//         drift: {moreThan: 3, window: 1h} # drift: alert past 3 corrections within 1h (default 0, 1h)
//         dedupWindow: 10m                 # same sync+event+reason → one message with a count (0: off)
//   commitStatus:
//     - name: github
//       provider: github                   # github | gitlab | gitea (Forgejo: gitea)
//       apiUrl: https://api.github.com     # default for github and gitlab (https://gitlab.com/api/v4); required for gitea
//       repository: acme/fleet             # owner/repo; GitLab: group/project or the numeric id
//       tokenFrom: {env: GITHUB_TOKEN}
//       source: fleet                      # the spec.sources[] whose commits get statuses
//       syncs: [apps]                      # default: every sync of that source
//       targetUrl: https://gitops.example.com/status
import type {
  AlertEvent,
  AlertSpec,
  CommitStatusProvider,
  CommitStatusSpec,
  DeliverySpec,
  NotificationProviderSpec,
  NotificationsSpec,
  NotificationType,
} from '../notify/types.js';
import { Obj, type Issues } from './fields.js';
import { DNS_LABEL, DNS_LABEL_HINT, readDuration, readHttpUrl, readLocalSecretRef, type ReadCtx } from './parse-refs.js';
import type { SyncSpec } from './types.js';

export const ALERT_EVENTS: readonly AlertEvent[] = [
  'applied',
  'refused',
  'decrypt-failed',
  'health-degraded',
  'drift',
  'writeback-pushed',
  'writeback-failed',
];
export const NOTIFICATION_TYPES: readonly NotificationType[] = ['webhook', 'slack', 'teams', 'discord'];
export const COMMIT_STATUS_PROVIDERS: readonly CommitStatusProvider[] = ['github', 'gitlab', 'gitea'];

export const DELIVERY_DEFAULTS = { timeout: '10s', maxAttempts: 5, queueSize: 100, burst: 20, commitStatusBurst: 60, per: '1m' } as const;
const DEFAULT_API: Partial<Record<CommitStatusProvider, string>> = {
  github: 'https://api.github.com',
  gitlab: 'https://gitlab.com/api/v4',
};

function oneOfWords<T extends string>(o: Obj, name: string, words: readonly T[]): T | undefined {
  const v = o.str(name, { required: true });
  if (v === undefined) return undefined;
  if (!(words as readonly string[]).includes(v)) {
    o.issues.add(o.at(name), `must be one of ${words.join(', ')}`);
    return undefined;
  }
  return v as T;
}

function readName(o: Obj): string | undefined {
  const name = o.str('name', { required: true });
  if (name !== undefined && !DNS_LABEL.test(name)) {
    o.issues.add(o.at('name'), DNS_LABEL_HINT);
    return undefined;
  }
  return name;
}

/** A list of non-empty strings, each one of `known` (when given) — the problem names the known ones. */
function readNames(
  o: Obj,
  name: string,
  known: readonly string[] | undefined,
  what: string,
  opts: { required?: boolean } = {},
): string[] | undefined {
  const list = o.list(name, opts);
  if (list === undefined) return undefined;
  if (list.length === 0) {
    o.issues.add(o.at(name), `must not be empty${opts.required ? '' : ' (leave it out for all)'}`);
    return undefined;
  }
  const out: string[] = [];
  list.forEach((v, i) => {
    if (typeof v !== 'string' || v === '') o.issues.add(`${o.at(name)}[${i}]`, 'must be a non-empty string');
    else if (known && !known.includes(v))
      o.issues.add(`${o.at(name)}[${i}]`, `no ${what} named "${v}"${known.length ? ` (${what}s: ${known.join(', ')})` : ''}`);
    else out.push(v);
  });
  return out;
}

/**
 * A channel's delivery settings. `burst`: 20 a minute for a chat (a flood is noise), 60 for a
 * commit-status target (two requests per sync and commit; GitHub's secondary limit is ~80 a minute).
 */
function readDelivery(o: Obj, burst: number = DELIVERY_DEFAULTS.burst): DeliverySpec {
  const d = DELIVERY_DEFAULTS;
  const rl = o.obj('rateLimit', 'RateLimit');
  return {
    timeoutMs: readDuration(o, 'timeout', d.timeout, { maxMs: 300_000 }),
    maxAttempts: o.num('maxAttempts', d.maxAttempts, 1, 20),
    queueSize: o.num('queueSize', d.queueSize, 1, 10_000),
    rateLimit: { burst: rl ? rl.num('burst', burst, 1, 1000) : burst, perMs: rl ? readDuration(rl, 'per', d.per) : 60_000 },
  };
}

function checkUnique(issues: Issues, names: (string | undefined)[], path: string): void {
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    if (n === undefined) return;
    const first = seen.get(n);
    if (first !== undefined) issues.add(`${path}[${i}].name`, `duplicate name "${n}" (also ${path.replace(/^\./, '')}[${first}])`);
    else seen.set(n, i);
  });
}

function readProvider(ctx: ReadCtx, o: Obj): NotificationProviderSpec | undefined {
  const name = readName(o);
  const type = oneOfWords(o, 'type', NOTIFICATION_TYPES);
  const which = o.oneOf(['url', 'urlFrom'] as const);
  let url: NotificationProviderSpec['url'] | undefined;
  const raw = o.raw('url');
  if (which === 'url' && typeof raw === 'string' && URL.canParse(raw) && (new URL(raw).username || new URL(raw).password)) {
    // Never echoed: the text holds a password.
    o.issues.add(o.at('url'), 'must not contain credentials; give the whole URL by reference in urlFrom');
  } else if (which === 'url') {
    const plain = readHttpUrl(o, 'url');
    url = plain === undefined ? undefined : { plain };
  } else if (which === 'urlFrom') {
    const ref = readLocalSecretRef(ctx, o, 'urlFrom', true);
    url = ref === undefined ? undefined : { ref };
  }
  const secretFrom = readLocalSecretRef(ctx, o, 'secretFrom', false);
  if (secretFrom && type !== undefined && type !== 'webhook')
    o.issues.add(o.at('secretFrom'), `only a webhook provider signs its messages (this one is ${type})`);
  const delivery = readDelivery(o);
  if (name === undefined || type === undefined || url === undefined) return undefined;
  return { name, type, url, ...(secretFrom && type === 'webhook' ? { secretFrom } : {}), delivery };
}

function readAlert(o: Obj, providers: readonly string[], syncs: readonly string[], automations: readonly string[]): AlertSpec | undefined {
  const name = readName(o);
  const to = readNames(o, 'providers', providers, 'provider', { required: true });
  const events = readNames(o, 'events', ALERT_EVENTS, 'event', { required: true }) as AlertEvent[] | undefined;
  const s = readNames(o, 'syncs', syncs, 'sync');
  const u = readNames(o, 'imageUpdates', automations, 'imageUpdates entry');
  const d = o.obj('drift', 'DriftAlert');
  const drift = { moreThan: d ? d.num('moreThan', 0, 0, 100_000) : 0, windowMs: d ? readDuration(d, 'window', '1h') : 3_600_000 };
  // `dedupWindow: 0` is YAML's number 0: "off", like "0s".
  const dedupWindowMs = o.raw('dedupWindow') === 0 ? 0 : readDuration(o, 'dedupWindow', '10m', { allowZero: true });
  if (name === undefined || to === undefined || events === undefined) return undefined;
  return { name, providers: to, events, ...(s ? { syncs: s } : {}), ...(u ? { imageUpdates: u } : {}), drift, dedupWindowMs };
}

/**
 * spec.notifications; `syncNames` and `imageUpdates` are the names configured (entries that failed
 * validation included: already reported, not reported again as unknown).
 */
export function readNotifications(
  ctx: ReadCtx,
  spec: Obj,
  syncNames: readonly string[],
  imageUpdates: readonly string[],
): NotificationsSpec | undefined {
  const o = spec.obj('notifications', 'Notifications');
  if (!o) return undefined;
  const providers: NotificationProviderSpec[] = [];
  const rawProviders = o.list('providers') ?? [];
  const providerNames = rawProviders.map((item, i) => {
    const p = Obj.read(ctx.issues, `${o.at('providers')}[${i}]`, item, 'NotificationProvider');
    const r = p ? readProvider(ctx, p) : undefined;
    if (r) providers.push(r);
    // The raw name: an alert naming a provider that failed validation is not reported twice.
    return p && typeof p.raw('name') === 'string' ? (p.raw('name') as string) : undefined;
  });
  checkUnique(ctx.issues, providerNames, o.at('providers'));
  const known = [...new Set(providerNames.filter((n): n is string => n !== undefined))];
  const alerts: AlertSpec[] = [];
  const alertNames = (o.list('alerts') ?? []).map((item, i) => {
    const a = Obj.read(ctx.issues, `${o.at('alerts')}[${i}]`, item, 'Alert');
    const r = a ? readAlert(a, known, syncNames, imageUpdates) : undefined;
    if (r) alerts.push(r);
    return r?.name;
  });
  checkUnique(ctx.issues, alertNames, o.at('alerts'));
  return { providers, alerts };
}

function readTarget(ctx: ReadCtx, o: Obj, syncs: readonly SyncSpec[], sources: readonly string[]): CommitStatusSpec | undefined {
  const name = readName(o);
  const provider = oneOfWords(o, 'provider', COMMIT_STATUS_PROVIDERS);
  let apiUrl: string | undefined;
  if (o.has('apiUrl')) apiUrl = readHttpUrl(o, 'apiUrl');
  else if (provider !== undefined) {
    apiUrl = DEFAULT_API[provider];
    if (apiUrl === undefined) o.issues.add(o.at('apiUrl'), `is required for ${provider} (e.g. https://gitea.example.com/api/v1)`);
  }
  const repository = o.str('repository', { required: true });
  if (repository !== undefined && provider !== 'gitlab' && !/^[^/\s]+\/[^/\s]+$/.test(repository))
    o.issues.add(o.at('repository'), 'must be owner/repo');
  const tokenFrom = readLocalSecretRef(ctx, o, 'tokenFrom', true);
  const source = o.str('source', { required: true });
  if (source !== undefined && !sources.includes(source))
    o.issues.add(o.at('source'), `no source named "${source}"${sources.length ? ` (sources: ${sources.join(', ')})` : ''}`);
  const ofSource = syncs.filter((s) => s.source === source).map((s) => s.name);
  const only = readNames(o, 'syncs', source !== undefined && sources.includes(source) ? ofSource : undefined, `sync of source "${source}"`);
  let targetUrl: string | undefined;
  if (o.has('targetUrl')) targetUrl = readHttpUrl(o, 'targetUrl');
  const delivery = readDelivery(o, DELIVERY_DEFAULTS.commitStatusBurst);
  if (
    name === undefined ||
    provider === undefined ||
    apiUrl === undefined ||
    repository === undefined ||
    tokenFrom === undefined ||
    source === undefined
  )
    return undefined;
  return {
    name,
    provider,
    apiUrl,
    repository,
    tokenFrom,
    source,
    ...(only ? { syncs: only } : {}),
    ...(targetUrl ? { targetUrl } : {}),
    delivery,
  };
}

/** spec.commitStatus; `sources` are the configured source names (invalid ones included: reported once). */
export function readCommitStatus(
  ctx: ReadCtx,
  spec: Obj,
  syncs: readonly SyncSpec[],
  sources: readonly string[],
): CommitStatusSpec[] | undefined {
  const list = spec.list('commitStatus');
  if (list === undefined) return undefined;
  const out: CommitStatusSpec[] = [];
  const names = list.map((item, i) => {
    const o = Obj.read(ctx.issues, `${spec.at('commitStatus')}[${i}]`, item, 'CommitStatus');
    const r = o ? readTarget(ctx, o, syncs, sources) : undefined;
    if (r) out.push(r);
    return r?.name;
  });
  checkUnique(ctx.issues, names, spec.at('commitStatus'));
  return out;
}
