// OpenSSH allowed-signers files (ssh-keygen(1) "ALLOWED SIGNERS"), the trust list git uses for
// SSH-signed commits (gpg.ssh.allowedSignersFile). Line format:
//   principals [options] keytype base64-key [comment]
// options: cert-authority, namespaces="git,...", valid-after="YYYYMMDD[HHMM[SS]][Z]", valid-before=...

export class AllowedSignersError extends Error {
  override readonly name = 'AllowedSignersError';
}

export interface AllowedSigner {
  principals: string[];
  certAuthority: boolean;
  /** Pattern list the signature namespace must match; undefined = any namespace. */
  namespaces?: string;
  validAfter?: Date;
  validBefore?: Date;
  keyType: string;
  /** Public key in SSH wire format. */
  key: Buffer;
  line: number;
}

const KEY_TYPE_RE =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com|ssh-dss)$/;

/** Split on whitespace, keeping double-quoted runs (option values) together. */
function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === ' ' || ch === '\t')) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new AllowedSignersError('unterminated quote');
  if (cur !== '') out.push(cur);
  return out;
}

/** `a,b="x,y",c` → ['a', 'b="x,y"', 'c'] (commas inside quotes do not split). */
function splitOptions(opts: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of opts) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.filter((o) => o !== '');
}

function unquote(v: string): string {
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
}

/** ssh-keygen time spec; without `Z` it is local time, as OpenSSH reads it. */
export function parseSshTime(s: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/i.exec(s);
  if (m === null) throw new AllowedSignersError(`invalid time "${s}"`);
  const [y, mo, d, h = '0', mi = '0', sec = '0'] = m.slice(1, 7).map((x) => x ?? '0') as string[];
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)] as const;
  return m[7] !== undefined ? new Date(Date.UTC(...parts)) : new Date(...parts);
}

export function parseAllowedSigners(text: string): AllowedSigner[] {
  const out: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `allowed signers line ${i + 1}`;
    let toks: string[];
    try {
      toks = tokenize(line);
    } catch (err) {
      throw new AllowedSignersError(`${where}: ${(err as Error).message}`);
    }
    const [principals, second, ...rest] = toks;
    if (principals === undefined || second === undefined)
      throw new AllowedSignersError(`${where}: expected "principals [options] keytype key"`);
    let options: string | undefined;
    let keyType = second;
    let keyB64 = rest[0];
    if (!KEY_TYPE_RE.test(second)) {
      options = second;
      keyType = rest[0] ?? '';
      keyB64 = rest[1];
    }
    if (!KEY_TYPE_RE.test(keyType) || keyB64 === undefined) throw new AllowedSignersError(`${where}: missing or unknown key type`);
    const key = Buffer.from(keyB64, 'base64');
    const entry: AllowedSigner = {
      principals: unquote(principals)
        .split(',')
        .filter((p) => p !== ''),
      certAuthority: false,
      keyType,
      key,
      line: i + 1,
    };
    for (const opt of splitOptions(options ?? '')) {
      const eq = opt.indexOf('=');
      const name = (eq < 0 ? opt : opt.slice(0, eq)).toLowerCase();
      const value = eq < 0 ? '' : unquote(opt.slice(eq + 1));
      if (name === 'cert-authority') entry.certAuthority = true;
      else if (name === 'namespaces') entry.namespaces = value;
      else if (name === 'valid-after') entry.validAfter = parseSshTime(value);
      else if (name === 'valid-before') entry.validBefore = parseSshTime(value);
      else throw new AllowedSignersError(`${where}: unknown option "${name}"`);
    }
    // The key blob must say the same type as the line, or the line is lying about the key.
    if (key.length < 4 || key.subarray(4, 4 + key.readUInt32BE(0)).toString() !== keyType) {
      throw new AllowedSignersError(`${where}: key does not match key type ${keyType}`);
    }
    out.push(entry);
  });
  return out;
}

/** OpenSSH match_pattern: `*` and `?` wildcards, whole-string match. */
export function matchPattern(s: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(s);
}

/** OpenSSH match_pattern_list: comma-separated patterns, `!pattern` negates and wins. */
export function matchPatternList(s: string, list: string): boolean {
  let matched = false;
  for (const p of list.split(',')) {
    if (p.startsWith('!')) {
      if (matchPattern(s, p.slice(1))) return false;
    } else if (matchPattern(s, p)) matched = true;
  }
  return matched;
}

/**
 * Entries that authorise `key` to sign in `namespace` at time `at`. Certificate-authority lines
 * never match a plain key (git signing keys are plain keys; certificates are not supported).
 */
export function findSigners(signers: readonly AllowedSigner[], key: Buffer, namespace: string, at: Date): AllowedSigner[] {
  return signers.filter(
    (s) =>
      !s.certAuthority &&
      s.key.equals(key) &&
      (s.namespaces === undefined || matchPatternList(namespace, s.namespaces)) &&
      (s.validAfter === undefined || at.getTime() >= s.validAfter.getTime()) &&
      (s.validBefore === undefined || at.getTime() <= s.validBefore.getTime()),
  );
}
