// Who may see the page. On a loopback listener: anyone who can reach it (they are on the host,
// or came through `kubectl port-forward`, which needs pods/portforward). Beyond loopback: a
// bearer token — spec.ui.tokenFrom, compared in constant time, or any Kubernetes token a
// TokenReview accepts (spec.ui.tokenReview, optionally limited to users/groups) — presented as
// `Authorization: Bearer …` or once on the sign-in form, which then sets a session cookie
// (random, HttpOnly, SameSite=Strict, kept in memory only). Without either configured the page
// answers 403 and says what to set. When the daemon cannot ask (its ServiceAccount may not create
// TokenReviews, the apiserver is down) the answer is 503 naming the cause, not a refusal of the
// caller's token. /healthz, /readyz, /metrics and /hooks are not routed here.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { scrubSecrets } from '../log.js';
import { resolveSecretRef } from '../secret-ref.js';
import type { UiParts } from './parts.js';
import type { UiSpec } from './types.js';

export const SESSION_COOKIE = 'gitops-seal-ui';
const SESSION_TTL_MS = 8 * 3600_000;
/** A TokenReview's answer is reused this long (each request of a bearer client would repeat it). */
const REVIEW_TTL_MS = 60_000;
const MAX_SESSIONS = 10_000;
/** Refused tokens allowed per minute; past that, tokens are refused unchecked until the minute ends (no TokenReview flood). */
export const MAX_REFUSALS_PER_MINUTE = 30;

/** `session`: admitted by a sign-in cookie (the page then offers Sign out). */
export type Verdict = { ok: true; session?: true } | { ok: false; status: 401 | 403 | 503; why: string };
/** How long a failed TokenReview call is remembered: requests meanwhile get the same 503 unasked. */
const REVIEW_DOWN_MS = 5_000;

const REFUSED: Verdict = { ok: false, status: 401, why: 'the bearer token was not accepted' };

/** Why a TokenReview call failed, in words an operator can act on (never the token). */
export function reviewFailure(err: unknown, token: string): string {
  const status = (err as { status?: unknown } | null)?.status;
  const detail = scrubSecrets((err instanceof Error ? err.message : String(err)).split(token).join('[REDACTED]'));
  if (status === 403)
    return `cannot check tokens: the daemon's ServiceAccount may not create TokenReviews (403 from the apiserver); grant it create on authentication.k8s.io tokenreviews (deploy/rbac-self.yaml: ClusterRole gitops-seal-tokenreview) or use spec.ui.tokenFrom`;
  return `cannot check tokens: the TokenReview failed (${detail})`;
}

/** Whether `listen` (host:port) binds loopback only. */
export function isLoopbackListen(listen: string): boolean {
  const host = listen
    .slice(0, listen.lastIndexOf(':'))
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

interface TokenReviewAnswer {
  status?: { authenticated?: boolean; user?: { username?: string; groups?: string[] }; error?: string };
}

function sha(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function cookieValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export class Access {
  readonly open: boolean;
  private readonly sessions = new Map<string, number>();
  private readonly reviewed = new Map<string, number>();
  private refusals = { windowStart: 0, count: 0 };
  private reviewDown: { until: number; why: string } | undefined;

  private readonly spec: UiSpec | undefined;

  constructor(private readonly parts: Pick<UiParts, 'config' | 'listen' | 'homeKube' | 'log'>) {
    this.open = isLoopbackListen(parts.listen);
    this.spec = parts.config.spec.ui;
  }

  /** Whether any way to sign in is configured (beyond loopback the page is refused otherwise). */
  get configured(): boolean {
    return this.spec?.tokenFrom !== undefined || this.spec?.tokenReview !== undefined;
  }

  /** The verdict for a request with these headers. */
  async check(headers: IncomingHttpHeaders): Promise<Verdict> {
    if (this.open) return { ok: true };
    if (!this.configured)
      return {
        ok: false,
        status: 403,
        why: `the status listener binds ${this.parts.listen}, beyond loopback: set spec.ui.tokenFrom or spec.ui.tokenReview to open the page (or use kubectl port-forward to a loopback listener)`,
      };
    const session = cookieValue(headers, SESSION_COOKIE);
    if (session && this.sessionValid(session)) return { ok: true, session: true };
    const auth = headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1]) return this.tokenVerdict(m[1]);
    return { ok: false, status: 401, why: 'sign in with a bearer token' };
  }

  private sessionValid(id: string): boolean {
    const exp = this.sessions.get(sha(id).toString('hex'));
    if (exp === undefined) return false;
    if (exp < Date.now()) {
      this.sessions.delete(sha(id).toString('hex'));
      return false;
    }
    return true;
  }

  /** A new session for a token that checks out, or why not. */
  async signIn(token: string): Promise<{ session: string } | Exclude<Verdict, { ok: true }>> {
    if (this.open) return { ok: false, status: 403, why: 'the page is open on a loopback listener: nothing to sign in to' };
    const v = await this.tokenVerdict(token);
    if (!v.ok) return v;
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    if (this.sessions.size >= MAX_SESSIONS) for (const [k, exp] of this.sessions) if (exp < now) this.sessions.delete(k);
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    this.sessions.set(sha(id).toString('hex'), now + SESSION_TTL_MS);
    return { session: id };
  }

  signOut(headers: IncomingHttpHeaders): void {
    const id = cookieValue(headers, SESSION_COOKIE);
    if (id) this.sessions.delete(sha(id).toString('hex'));
  }

  /** Whether `token` is the configured one, or one the TokenReview accepts. Never logs or returns it. */
  async tokenVerdict(token: string): Promise<Verdict> {
    const now = Date.now();
    if (now - this.refusals.windowStart > 60_000) this.refusals = { windowStart: now, count: 0 };
    if (this.refusals.count >= MAX_REFUSALS_PER_MINUTE) {
      if (this.refusals.count++ === MAX_REFUSALS_PER_MINUTE)
        this.parts.log.warn({ limit: MAX_REFUSALS_PER_MINUTE }, 'web page: too many refused tokens; refusing all until the minute is over');
      return REFUSED;
    }
    const v = await this.tokenChecks(token);
    // A review that could not be made says nothing about the token: not counted as a refusal.
    if (!v.ok && v.status === 401) this.refusals.count++;
    return v;
  }

  private async tokenChecks(token: string): Promise<Verdict> {
    if (token.length === 0 || token.length > 16_384) return REFUSED;
    const spec = this.spec;
    if (spec?.tokenFrom) {
      try {
        const want = await resolveSecretRef(
          spec.tokenFrom,
          process.env,
          'secret' in spec.tokenFrom ? await this.parts.homeKube() : undefined,
        );
        if (timingSafeEqual(sha(want), sha(token))) return { ok: true };
      } catch (err) {
        // The reference names itself (never the value); a broken reference must be visible.
        this.parts.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'web page: cannot read spec.ui.tokenFrom');
      }
    }
    if (spec?.tokenReview) return this.review(token, spec.tokenReview);
    return REFUSED;
  }

  private async review(token: string, rules: { users: string[]; groups: string[] }): Promise<Verdict> {
    const key = sha(token).toString('hex');
    const until = this.reviewed.get(key);
    if (until !== undefined && until > Date.now()) return { ok: true };
    if (this.reviewDown && this.reviewDown.until > Date.now()) return { ok: false, status: 503, why: this.reviewDown.why };
    let answer: TokenReviewAnswer;
    try {
      const kube = await this.parts.homeKube();
      answer = await kube.request<TokenReviewAnswer>('/apis/authentication.k8s.io/v1/tokenreviews', {
        method: 'POST',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      });
    } catch (err) {
      const why = reviewFailure(err, token);
      this.parts.log.warn(`web page: ${why}`);
      this.reviewDown = { until: Date.now() + REVIEW_DOWN_MS, why };
      return { ok: false, status: 503, why };
    }
    this.reviewDown = undefined;
    const st = answer.status;
    if (!st?.authenticated) return REFUSED;
    const user = st.user?.username ?? '';
    const groups = st.user?.groups ?? [];
    const limited = rules.users.length > 0 || rules.groups.length > 0;
    if (limited && !rules.users.includes(user) && !groups.some((g) => rules.groups.includes(g))) {
      this.parts.log.info({ user }, 'web page: TokenReview authenticated a user outside spec.ui.tokenReview users/groups');
      return REFUSED;
    }
    if (this.reviewed.size > MAX_SESSIONS) this.reviewed.clear();
    this.reviewed.set(key, Date.now() + REVIEW_TTL_MS);
    return { ok: true };
  }
}
