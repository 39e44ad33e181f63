// spec.sources[]: where manifests come from.

import semver from 'semver';
import { Obj } from './fields.js';
import { isSshUrl, unsupportedUrl } from '../git/index.js';
import {
  DNS_LABEL,
  DNS_LABEL_HINT,
  filePath,
  readDuration,
  readHttpUrl,
  readLocalSecretRef,
  readSecretRef,
  type ReadCtx,
} from './parse-refs.js';
import type { GitRef, SourceSpec } from './types.js';

const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
const WEBHOOK_TYPES = ['github', 'gitlab', 'generic'] as const;

function readRef(o: Obj): GitRef | undefined {
  const which = o.oneOf(['branch', 'tag', 'semver', 'commit'] as const);
  switch (which) {
    case 'branch':
    case 'tag': {
      const v = o.str(which);
      return v === undefined ? undefined : which === 'branch' ? { branch: v } : { tag: v };
    }
    case 'semver': {
      const v = o.str('semver');
      if (v !== undefined && semver.validRange(v) === null) {
        o.issues.add(o.at('semver'), 'is not a valid semver range (e.g. ">=1.2.0 <2", "~1.4", "1.x")');
        return undefined;
      }
      return v === undefined ? undefined : { semver: v };
    }
    case 'commit': {
      const v = o.str('commit', { pattern: COMMIT, patternHint: 'must be a full 40- (or 64-) character lowercase hex commit id' });
      return v === undefined ? undefined : { commit: v };
    }
    default:
      return undefined;
  }
}

/** Jitter as a percentage: `10`, `10%` or `"2.5%"`, from 0 to 100. */
function readJitter(o: Obj): number {
  const v = o.raw('jitter');
  if (v === undefined || v === null) return 10;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?%$/.test(v) ? Number(v.slice(0, -1)) : Number.NaN;
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    o.issues.add(o.at('jitter'), 'must be a percentage from 0 to 100, like 10 or "10%"');
    return 10;
  }
  return n;
}

/** `url`: http(s) as before, or an SSH URL (ssh://[user@]host[:port]/path, user@host:path). */
function readSourceUrl(o: Obj): string | undefined {
  const raw = o.raw('url');
  if (typeof raw !== 'string' || !isSshUrl(raw)) return readHttpUrl(o, 'url');
  const why = unsupportedUrl(raw);
  if (why !== undefined) {
    o.issues.add(o.at('url'), why);
    return undefined;
  }
  return raw;
}

/** `ssh`: the deploy key of an SSH URL, and the known_hosts its host key is checked against. */
function readSsh(ctx: ReadCtx, o: Obj, url: string | undefined): SourceSpec['ssh'] {
  const s = o.obj('ssh', 'SourceSsh');
  const ssh = url !== undefined && isSshUrl(url);
  if (!s) {
    if (ssh) o.issues.add(o.at('ssh'), 'is required for an SSH url: ssh.privateKeyFrom and ssh.knownHostsFrom');
    return undefined;
  }
  if (url !== undefined && !ssh) {
    s.issues.add(o.at('ssh'), 'is only for ssh:// or user@host:path urls');
    return undefined;
  }
  const privateKeyFrom = readSecretRef(ctx, s, 'privateKeyFrom', true);
  const passphraseFrom = readSecretRef(ctx, s, 'passphraseFrom', false);
  const knownHostsFrom = readSecretRef(ctx, s, 'knownHostsFrom', false);
  const insecure = s.bool('insecureIgnoreHostKey', false);
  if (knownHostsFrom === undefined && !insecure) {
    s.issues.add(
      s.at('knownHostsFrom'),
      'is required: the host key is always checked (ssh-keyscan HOST > known_hosts, then verify the fingerprints); insecureIgnoreHostKey: true turns the check off',
    );
    return undefined;
  }
  if (knownHostsFrom !== undefined && insecure) {
    s.issues.add(s.at('insecureIgnoreHostKey'), 'contradicts knownHostsFrom: give one of them');
    return undefined;
  }
  if (privateKeyFrom === undefined) return undefined;
  return {
    privateKeyFrom,
    ...(passphraseFrom ? { passphraseFrom } : {}),
    ...(knownHostsFrom ? { knownHostsFrom } : { insecureIgnoreHostKey: true as const }),
  };
}

export function readSource(ctx: ReadCtx, path: string, value: unknown): SourceSpec | undefined {
  const o = Obj.read(ctx.issues, path, value, 'Source');
  if (!o) return undefined;
  const name = o.str('name', { required: true, pattern: DNS_LABEL, patternHint: DNS_LABEL_HINT });
  const url = readSourceUrl(o);
  const refObj = o.obj('ref', 'GitRef', { required: true });
  const ref = refObj ? readRef(refObj) : undefined;
  const intervalMs = readDuration(o, 'interval', '1m');
  const jitterPercent = readJitter(o);

  let credentials: SourceSpec['credentials'];
  const c = o.obj('credentials', 'Credentials');
  if (c) {
    const usernameFrom = readLocalSecretRef(ctx, c, 'usernameFrom', false);
    const passwordFrom = readLocalSecretRef(ctx, c, 'passwordFrom', true);
    if (passwordFrom) credentials = usernameFrom ? { usernameFrom, passwordFrom } : { passwordFrom };
  }

  let webhook: SourceSpec['webhook'];
  const w = o.obj('webhook', 'Webhook');
  if (w) {
    const type = w.raw('type') ?? 'generic';
    const secretFrom = readLocalSecretRef(ctx, w, 'secretFrom', true);
    if (!WEBHOOK_TYPES.includes(type as (typeof WEBHOOK_TYPES)[number])) {
      w.issues.add(w.at('type'), `must be one of ${WEBHOOK_TYPES.join(', ')}`);
    } else if (secretFrom) webhook = { type: type as (typeof WEBHOOK_TYPES)[number], secretFrom };
  }

  let verify: SourceSpec['verify'];
  const v = o.obj('verify', 'Verify');
  if (v) {
    const f = v.str('allowedSignersFile', { required: true });
    if (f !== undefined) verify = { allowedSignersFile: filePath(ctx, f) };
  }

  const ssh = readSsh(ctx, o, url);
  if (ssh && credentials) o.issues.add(o.at('credentials'), 'is for http(s) urls; an SSH url authenticates with ssh.privateKeyFrom');

  if (name === undefined || url === undefined || ref === undefined) return undefined;
  return {
    name,
    url,
    ref,
    intervalMs,
    jitterPercent,
    ...(credentials ? { credentials } : {}),
    ...(webhook ? { webhook } : {}),
    ...(verify ? { verify } : {}),
    ...(ssh ? { ssh } : {}),
  };
}
