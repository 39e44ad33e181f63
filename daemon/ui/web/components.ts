// The page's components (Preact + htm): rendered to HTML by the daemon (../html.ts, with
// preact-render-to-string, so the page works without JavaScript) and re-rendered in the browser
// from each server-sent update (app.ts). One markup, two renderers. Plain links and <details>
// carry the navigation, so the keyboard and a screen reader get it for free.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import type {
  AutomationView,
  DaemonView,
  FeedEntry,
  HistoryView,
  ImageView,
  ObjectGroup,
  OverviewModel,
  PageModel,
  SyncModel,
  SyncView,
} from './model.js';

type Node = VNode | VNode[] | string | null;

/** `2026-12-06 05:04:07 UTC`: the same text on the server and in any browser's time zone. */
export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const Time = ({ at }: { at: string | undefined }): Node => (at ? html`<time datetime=${at}>${when(at)}</time>` : '—');

const short = (rev: string | undefined): string => (rev ? rev.slice(0, 12) : '—');

const STATE_TEXT: Record<SyncView['state'], string> = {
  applied: 'Applied',
  failing: 'Failing',
  pending: 'Applying',
  'never-applied': 'Not applied yet',
};

const Badge = ({ tone, text }: { tone: string; text: string }): Node => html`<span class=${`badge ${tone}`}>${text}</span>`;

function stateBadge(s: SyncView): Node {
  const tone = s.state === 'applied' ? 'ok' : s.state === 'failing' ? 'bad' : 'warn';
  return html`<${Badge} tone=${tone} text=${STATE_TEXT[s.state]} />`;
}

function healthTone(status: string): string {
  if (status === 'Ready') return 'ok';
  if (status === 'Degraded' || status === 'Missing') return 'bad';
  return 'warn';
}

function Header({ daemon, live, signedIn }: { daemon: DaemonView; live?: string; signedIn?: boolean }): Node {
  // Sharded, there is no leader: each replica owns some shards (daemon/shard/).
  const shards = daemon.sharding;
  const role = shards
    ? `replica ${shards.replica}: ${shards.owned.length} of ${shards.shards} shards, ${shards.members} live`
    : daemon.election
      ? daemon.leader
        ? `leader (${daemon.election.replica})`
        : `follower — leader: ${daemon.election.holder || 'none yet'}`
      : daemon.leader
        ? 'leader'
        : 'follower';
  return html`<header class="top">
    <a class="skip" href="#main">Skip to content</a>
    <a class="brand" href="/">gitops-seal</a>
    <span class="meta">${daemon.name}</span>
    <span class="meta" data-testid="role"
      ><${Badge} tone=${daemon.leader || (shards?.owned.length ?? 0) > 0 ? 'ok' : 'info'} text=${role}
    /></span>
    <span class="meta">up since <${Time} at=${daemon.startedAt} /></span>
    <span id="live" class="live" role="status">${live ?? 'static page (reload for news)'}</span>
    ${
      signedIn
        ? html`<form class="signout" method="post" action="/ui/logout">
            <button type="submit">Sign out</button>
          </form>`
        : null
    }
  </header>`;
}

function Failing({ s }: { s: SyncView }): Node {
  if (!s.failing) return null;
  return html`<div class="failing" role="alert">
    <strong>Refused at stage <code>${s.failing.stage}</code></strong>
    ${s.failing.revision ? html` (revision <code>${short(s.failing.revision)}</code>, <${Time} at=${s.failing.at} />)` : null}
    <pre>${s.failing.message}</pre>
  </div>`;
}

function SyncCard({ s }: { s: SyncView }): Node {
  return html`<article class="card" data-sync=${s.name} aria-labelledby=${`sync-${s.name}`}>
    <h3 id=${`sync-${s.name}`}><a href=${`/syncs/${encodeURIComponent(s.name)}`}>${s.name}</a> ${stateBadge(s)}</h3>
    <dl>
      <dt>Source</dt>
      <dd><span class="wrap">${s.sourceUrl}</span> <small>${s.ref}${s.path ? ` · ${s.path}` : ''}</small></dd>
      <dt>Revision</dt>
      <dd data-testid="revision">
        <code title=${s.revision ?? ''}>${short(s.revision)}</code
        >${s.commitMessage ? html` <span class="msg">${s.commitMessage}</span>` : null}
      </dd>
      <dt>Last applied</dt>
      <dd><${Time} at=${s.lastAppliedAt} /></dd>
      <dt>Objects</dt>
      <dd>${s.objects}</dd>
      <dt>Drift corrections</dt>
      <dd data-testid="drift">${s.driftCorrections}</dd>
      <dt>Decryption</dt>
      <dd>${s.decryption.length ? s.decryption.join(', ') : 'none'}</dd>
      ${
        s.owner !== undefined
          ? html`<dt>Replica</dt>
              <dd data-testid="owner">
                ${s.owner || 'none right now'}${s.shard !== undefined ? html` <small>shard ${s.shard}</small>` : null}
              </dd>`
          : null
      }
    </dl>
    ${s.staleReason ? html`<p class="warnings" data-testid="stale">Not current: ${s.staleReason}</p>` : null}
    <${Failing} s=${s} />
    ${
      s.warnings.length
        ? html`<ul class="warnings">
            ${s.warnings.map((w) => html`<li>${w}</li>`)}
          </ul>`
        : null
    }
  </article>`;
}

function Images({ images, automations }: { images: ImageView[]; automations: AutomationView[] }): Node {
  if (images.length === 0 && automations.length === 0) return null;
  return html`<section aria-labelledby="images-h">
    <h2 id="images-h">Image policies</h2>
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Policy</th>
            <th scope="col">Image</th>
            <th scope="col">Current tag</th>
            <th scope="col">Newest seen</th>
            <th scope="col">Last bump commit</th>
            <th scope="col">Last scan</th>
          </tr>
        </thead>
        <tbody>
          ${images.map(
            (i) =>
              html`<tr>
                <th scope="row">${i.name}${i.namespaces?.length ? html` <small>(${i.namespaces.join(', ')})</small>` : null}</th>
                <td class="wrap">${i.image}</td>
                <td><code>${i.currentTag ?? '—'}</code></td>
                <td><code>${i.newestSeen ?? '—'}</code></td>
                <td data-testid="last-bump">
                  ${
                    i.lastBump
                      ? html`<code title=${i.lastBump.commit}>${short(i.lastBump.commit)}</code> <${Time} at=${i.lastBump.at} />
                          <small>by ${i.lastBump.automation}${i.lastBump.tag ? ` → ${i.lastBump.tag}` : ''}</small>`
                      : '—'
                  }
                </td>
                <td><${Time} at=${i.lastScanAt} />${i.error ? html`<div class="err">${i.error}</div>` : null}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${
      automations.length
        ? html`<div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Automation</th>
                  <th scope="col">Branch</th>
                  <th scope="col">Last bump commit</th>
                  <th scope="col">Last run</th>
                </tr>
              </thead>
              <tbody>
                ${automations.map(
                  (a) =>
                    html`<tr>
                      <th scope="row">${a.name}</th>
                      <td>${a.branch}</td>
                      <td><code>${short(a.lastBumpCommit)}</code> <${Time} at=${a.lastBumpAt} /></td>
                      <td>
                        <${Time} at=${a.lastRunAt} /> ${a.lastResult ?? ''}${a.error ? html`<div class="err">${a.error}</div>` : null}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : null
    }
  </section>`;
}

export function Feed({ feed }: { feed: FeedEntry[] }): Node {
  return html`<section aria-labelledby="feed-h" class="feed">
    <h2 id="feed-h">Live feed</h2>
    ${
      feed.length === 0
        ? html`<p class="quiet">Nothing happened yet since the daemon started.</p>`
        : html`<ol aria-live="polite">
            ${feed.map(
              (f) =>
                html`<li class=${`feed-${f.kind}`} key=${`${f.at}${f.kind}${f.subject}`}>
                  <${Time} at=${f.at} /> <${Badge} tone=${feedTone(f.kind)} text=${f.kind} /> <strong>${f.subject}</strong>
                  <span class="wrap">${f.text}</span>
                </li>`,
            )}
          </ol>`
    }
  </section>`;
}

function feedTone(kind: string): string {
  if (kind === 'applied' || kind === 'pushed') return 'ok';
  if (kind === 'refused' || kind === 'fetch-failed') return 'bad';
  if (kind === 'drift') return 'warn';
  return 'info';
}

function Overview({ m }: { m: OverviewModel }): Node {
  return html`<main id="main">
    <h1>Syncs <small>${m.syncs.length}</small></h1>
    ${m.syncs.length === 0 ? html`<p class="quiet">No syncs configured.</p>` : null}
    <div class="cards">${m.syncs.map((s) => html`<${SyncCard} s=${s} key=${s.name} />`)}</div>
    <${Images} images=${m.images} automations=${m.automations} />
    <${Feed} feed=${m.feed} />
  </main>`;
}

function History({ history }: { history: HistoryView[] }): Node {
  return html`<section aria-labelledby="history-h">
    <h2 id="history-h">Revision history</h2>
    ${
      history.length === 0
        ? html`<p class="quiet">No revision tried yet.</p>`
        : html`<div class="scroll">
            <table class="history">
              <thead>
                <tr>
                  <th scope="col">Revision</th>
                  <th scope="col">Result</th>
                  <th scope="col">When</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                ${history.map(
                  (h) =>
                    html`<tr class=${`h-${h.result}`}>
                      <td><code title=${h.revision}>${short(h.revision)}</code></td>
                      <td>
                        <${Badge}
                          tone=${h.result === 'applied' ? 'ok' : 'bad'}
                          text=${h.result}
                        />${h.count > 1 ? html` <small>×${h.count}</small>` : null}
                      </td>
                      <td><${Time} at=${h.lastAt} /></td>
                      <td>
                        ${
                          h.result === 'applied'
                            ? `${h.objects ?? 0} objects`
                            : html`<code>${h.stage}</code>
                                <pre>${h.message}</pre>`
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}

function Objects({ groups, note }: { groups: ObjectGroup[]; note: string | undefined }): Node {
  return html`<section aria-labelledby="objects-h">
    <h2 id="objects-h">Objects</h2>
    ${note ? html`<p class="quiet">${note}</p>` : null}
    ${!note && groups.length === 0 ? html`<p class="quiet">This revision has no objects.</p>` : null}
    ${groups.map(
      (g) =>
        html`<details open key=${`${g.kind}/${g.namespace}`} class="group">
          <summary>
            <strong>${g.kind}</strong> ${g.namespace ? html`in <code>${g.namespace}</code>` : html`<small>cluster-scoped</small>`}
            <small>(${g.objects.length})</small>
          </summary>
          <ul>
            ${g.objects.map(
              (o) =>
                html`<li data-object=${`${g.kind}/${g.namespace}/${o.name}`}>
                  <span class="oname">${o.name}</span>
                  <${Badge} tone=${healthTone(o.health.status)} text=${o.health.status} />
                  ${o.correctedAt ? html`<${Badge} tone="warn" text="drift corrected" /> <${Time} at=${o.correctedAt} />` : html`<small>in sync</small>`}
                  ${o.health.message && o.health.status !== 'Ready' ? html`<div class="quiet">${o.health.message}</div>` : null}
                  ${o.keyNames ? html`<div class="keys">keys: ${o.keyNames.length ? o.keyNames.map((k) => html`<code>${k}</code> `) : '(none)'}</div>` : null}
                </li>`,
            )}
          </ul>
        </details>`,
    )}
  </section>`;
}

function SyncPage({ m }: { m: SyncModel }): Node {
  return html`<main id="main">
    <nav aria-label="Breadcrumb"><a href="/">All syncs</a></nav>
    <div class="cards one"><${SyncCard} s=${m.sync} /></div>
    <${Objects} groups=${m.groups} note=${m.objectsNote} />
    <${History} history=${m.sync.history} />
    <${Feed} feed=${m.feed} />
  </main>`;
}

/** The whole page body for a model; `live` is the connection status text the client keeps. */
export function Page({ model, live, signedIn }: { model: PageModel; live?: string; signedIn?: boolean }): Node {
  return html`<${Header}
      daemon=${model.daemon}
      live=${live}
      signedIn=${signedIn}
    />${model.page === 'overview' ? html`<${Overview} m=${model} />` : html`<${SyncPage} m=${model} />`}`;
}
