// The pages as HTML: the components of web/components.ts rendered on the server
// (preact-render-to-string), the stylesheet inline, the model as JSON for the script to start
// from, and the script itself when there is one. Security headers travel with every page: a
// Content-Security-Policy that allows only this origin's script and this stylesheet's hash.
import { createHash } from 'node:crypto';
import { html } from 'htm/preact';
import { renderToString } from 'preact-render-to-string';
import { Page } from './web/components.js';
import type { PageModel } from './web/model.js';
import { CSS } from './web/style.js';

const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': `default-src 'none'; script-src 'self'; connect-src 'self'; style-src ${STYLE_HASH}; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
};

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON safe inside a <script> element: no `<` (so no `</script>`), no U+2028/2029. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function shell(title: string, body: string, extra = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark"><title>${esc(title)}</title><link rel="icon" href="data:,"><style>${CSS}</style></head><body>${body}${extra}</body></html>`;
}

/**
 * A page for `model`; `scriptUrl` absent: no script (the page is complete without it).
 * `signedIn`: the viewer has a session (a Sign out form in the header); per request, so it is
 * an attribute of #app for the script, not part of the model every viewer shares.
 */
export function pageHtml(model: PageModel, scriptUrl: string | undefined, opts: { signedIn?: boolean } = {}): string {
  const title = model.page === 'sync' ? `${model.sync.name} · gitops-seal` : `gitops-seal · ${model.daemon.name}`;
  const signedIn = opts.signedIn === true;
  const body = `<div id="app"${signedIn ? ' data-signed-in=""' : ''}>${renderToString(html`<${Page} model=${model} signedIn=${signedIn} />` as never)}</div>`;
  const script = scriptUrl
    ? `<script type="application/json" id="model">${scriptJson(model)}</script><script src="${esc(scriptUrl)}" defer></script>`
    : '';
  return shell(title, body, script);
}

/** The sign-in form (beyond loopback), or why the page is closed. */
export function signInHtml(opts: { why: string; form: boolean; next: string; failed?: string }): string {
  const why = opts.why.charAt(0).toUpperCase() + opts.why.slice(1);
  const form = opts.form
    ? `<form class="signin" method="post" action="/ui/login"><h1>gitops-seal</h1><p>${esc(why)}.</p>${
        opts.failed ? `<p class="err" role="alert">${esc(opts.failed)}</p>` : ''
      }<label for="tok">Bearer token</label><input id="tok" name="token" type="password" autocomplete="off" required autofocus><input type="hidden" name="next" value="${esc(
        opts.next,
      )}"><button type="submit">Sign in</button><p class="quiet">A Kubernetes token (<code>kubectl create token …</code>) when the daemon checks tokens with a TokenReview, else the token of spec.ui.tokenFrom.</p></form>`
    : `<main id="main"><h1>gitops-seal</h1><p>The web page is closed: ${esc(opts.why)}.</p></main>`;
  return shell('gitops-seal · sign in', form);
}

/** An unknown sync's page: says so and links back. */
export function notFoundHtml(name: string): string {
  return shell('gitops-seal · not found', `<main id="main"><h1>No sync named “${esc(name)}”</h1><p><a href="/">All syncs</a></p></main>`);
}
