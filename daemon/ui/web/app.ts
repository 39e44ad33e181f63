// The browser half (progressive enhancement): the server already rendered the page; this
// script takes it over with the same components, opens the server-sent event stream, and
// re-renders each model the daemon pushes. No reload, no polling, nothing fetched but this
// origin's stream. Without it the page is still complete, just not live.
import { render } from 'preact';
import { html } from 'htm/preact';
import { Page, when } from './components.js';
import type { PageModel } from './model.js';

const root = document.getElementById('app');
const initial = document.getElementById('model');
if (root && initial?.textContent) {
  let model = JSON.parse(initial.textContent) as PageModel;
  let live = 'connecting…';
  const signedIn = root.hasAttribute('data-signed-in');
  const draw = (): void => render(html`<${Page} model=${model} live=${live} signedIn=${signedIn} />`, root);
  draw();
  const url = model.page === 'sync' ? `/ui/events?sync=${encodeURIComponent(model.sync.name)}` : '/ui/events';
  const events = new EventSource(url);
  events.addEventListener('model', (e: MessageEvent<string>) => {
    model = JSON.parse(e.data) as PageModel;
    live = `live · updated ${when(model.generatedAt)}`;
    draw();
  });
  events.addEventListener('error', () => {
    // EventSource reconnects by itself; CLOSED means it gave up (signed out, daemon gone).
    live = events.readyState === EventSource.CLOSED ? 'disconnected: reload the page' : 'reconnecting…';
    draw();
  });
}
