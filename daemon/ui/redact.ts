// The page's data through the same redaction as the logs (daemon/log.ts): values of
// secret-named keys censored at any depth, and secret-shaped strings (age keys, PEM, Vault
// tokens, Bearer/Basic credentials, URL userinfo, password= pairs) scrubbed from every string.
// The view's own field names avoid the censored words, so a clean view passes unchanged.
import { redactKeys, scrubSecrets } from '../log.js';

function scrub(v: unknown): unknown {
  if (typeof v === 'string') return scrubSecrets(v);
  if (Array.isArray(v)) return v.map(scrub);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
  return v;
}

export function redactView<T>(view: T): T {
  return scrub(redactKeys(view)) as T;
}
