// Parsing of WWW-Authenticate (RFC 9110 §11.6.1) and Link (RFC 8288) headers. Both come from the
// network, so both parsers are total: any string yields a (possibly empty) result, never a throw.

export interface Challenge {
  /** Lower-cased auth scheme: `bearer`, `basic`, … */
  scheme: string;
  /** Auth parameters with lower-cased names (`realm`, `service`, `scope`, `error`). */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Every challenge in a WWW-Authenticate value, e.g.
 * `Bearer realm="https://auth/token",service="reg",scope="repository:a/b:pull", Basic realm="x"`.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const s = header;
  let i = 0;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TOKEN_CHAR.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  // Unquoted values should be tokens, but registries send bare URLs (`realm=https://x/t`): read
  // up to the next comma or whitespace.
  const readBare = (): string => {
    const start = i;
    while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    // At the opening quote. A missing closing quote takes the rest of the header.
    i++;
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      v += s[i];
      i++;
    }
    i++;
    return v;
  };
  let current: Challenge | undefined;
  while (i < s.length) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const token = readToken();
    if (token === '') {
      // Not a token character: skip it so malformed input cannot stall the loop.
      i = start + 1;
      continue;
    }
    skipWs();
    if (s[i] === '=' && current) {
      i++;
      skipWs();
      const value = s[i] === '"' ? readQuoted() : readBare();
      const name = token.toLowerCase();
      // Prototype keys must not become params; own-property semantics only.
      if (name !== '__proto__' && !(name in current.params)) current.params[name] = value;
      continue;
    }
    if (s[i] === '=' && !current) {
      i++;
      continue;
    }
    // A token not followed by "=" starts a new challenge. token68 credentials (`Negotiate abc==`)
    // are consumed as a parameter-less challenge's trailing junk, which no registry uses.
    current = { scheme: token.toLowerCase(), params: Object.create(null) as Record<string, string> };
    out.push(current);
  }
  // Plain objects for callers (tests compare with toEqual).
  return out.map((c) => ({ scheme: c.scheme, params: { ...c.params } }));
}

/** The `rel="next"` target of a Link header, resolved against the request URL; undefined if none. */
export function parseNextLink(header: string | null | undefined, base: string): string | undefined {
  if (!header) return undefined;
  // Each link-value: `<uri-reference>` followed by `;`-separated params. URIs cannot contain '>'.
  const re = /<([^>]*)>([^<]*)/g;
  for (const m of header.matchAll(re)) {
    const target = m[1] ?? '';
    const params = m[2] ?? '';
    const rel = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (!rels.includes('next')) continue;
    try {
      return new URL(target, base).toString();
    } catch {
      return undefined;
    }
  }
  return undefined;
}
