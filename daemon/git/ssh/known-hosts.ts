// Host key checking against an OpenSSH known_hosts text: plain and hashed (`|1|salt|hash`) host
// patterns, `[host]:port` for other ports than 22, wildcards and negations, `@revoked` lines.
// `@cert-authority` lines are not supported (host certificates): they match nothing.
import { createHash, createHmac } from 'node:crypto';

export type HostKeyVerdict =
  | { ok: true }
  | {
      ok: false;
      why: 'unknown' | 'changed' | 'revoked';
      fingerprint: string;
      keyType: string;
      hostString: string;
      /** A `@cert-authority` line names the host: its operator uses host certificates, which are not supported. */
      certAuthority?: true;
    };

interface Entry {
  marker: '' | '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
}

/** `SHA256:…` as `ssh-keygen -l` prints it (unpadded base64 of the key blob's SHA-256). */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first string). */
export function blobKeyType(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const n = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + n).toString('latin1');
}

/** The name a host is looked up by: `host`, or `[host]:port` on another port than 22. */
export function hostString(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function parse(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    let marker: Entry['marker'] = '';
    if (f[0] === '@revoked' || f[0] === '@cert-authority') marker = f.shift() as Entry['marker'];
    const [patterns, keyType, b64] = f;
    if (patterns === undefined || keyType === undefined || b64 === undefined || !/^[A-Za-z0-9+/]+=*$/.test(b64)) continue;
    out.push({ marker, patterns, keyType, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

function glob(pattern: string, s: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(s);
}

/** Whether a comma-separated pattern list (or one hashed entry) names `name`; a matching `!pattern` wins. */
function matches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let hit = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (glob(p.slice(1), name)) return false;
    } else if (glob(p, name)) hit = true;
  }
  return hit;
}

/** Key types known for the host, in file order: the host key algorithms to ask the server for. */
export function knownKeyTypes(knownHosts: string, host: string, port: number): string[] {
  const name = hostString(host, port);
  const types = parse(knownHosts)
    .filter((e) => e.marker === '' && matches(e.patterns, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/** Checks the key a server presented for `host:port`. */
export function checkHostKey(knownHosts: string, host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const name = hostString(host, port);
  const all = parse(knownHosts).filter((e) => matches(e.patterns, name));
  const entries = all.filter((e) => e.marker !== '@cert-authority');
  const fail = (why: 'unknown' | 'changed' | 'revoked'): HostKeyVerdict => ({
    ok: false,
    why,
    fingerprint: fingerprint(keyBlob),
    keyType: blobKeyType(keyBlob),
    hostString: name,
    ...(all.some((e) => e.marker === '@cert-authority') ? { certAuthority: true as const } : {}),
  });
  if (entries.some((e) => e.marker === '@revoked' && e.key.equals(keyBlob))) return fail('revoked');
  if (entries.some((e) => e.marker === '' && e.key.equals(keyBlob))) return { ok: true };
  return fail(entries.some((e) => e.marker === '') ? 'changed' : 'unknown');
}

/** The sentence an error gives for a refused host key. */
export function describeVerdict(v: Exclude<HostKeyVerdict, { ok: true }>): string {
  const seen = `${v.keyType} key ${v.fingerprint}`;
  if (v.why === 'revoked')
    return `host key verification failed for ${v.hostString}: the server presented ${seen}, which known_hosts marks @revoked`;
  if (v.why === 'changed') {
    return `host key verification failed for ${v.hostString}: the server presented ${seen}, which does not match the known_hosts entries for this host (the host key changed, or someone is intercepting the connection)`;
  }
  const ca = v.certAuthority
    ? '; a @cert-authority line names this host, but host certificates are not supported: add the host key itself'
    : '';
  return `host key verification failed for ${v.hostString}: no known_hosts entry for this host; the server presented ${seen} (check it with the host's operator, then add it: ssh-keyscan -p PORT HOST)${ca}`;
}
