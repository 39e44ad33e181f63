// The fetch half of git's pack protocol (v0/v1, gitprotocol-pack), spoken over any
// isomorphic-git-shaped HttpClient: smart HTTP, or the SSH adapter (ssh-http.ts). Ours rather than
// isomorphic-git's `fetch`, which resolves the remote HEAD after every fetch and fails with
// "Could not find HEAD" when HEAD names a branch that does not exist — a fetch of a configured
// branch, tag or commit must not depend on the remote's default branch. It also writes no
// remote-tracking refs: callers point their own refs at what was fetched.
import { Buffer } from 'node:buffer';
import git, { type HttpClient } from 'isomorphic-git';
import { type FixThinOptions, fixThinPack, ThinPackError } from './fix-thin.js';
import type { ObjectStore } from './object-io.js';
import {
  FLUSH,
  PktLineError,
  pktLine,
  PktReader,
  pktText,
  readAdvertisement,
  RemoteProtocolError,
  type RefAdvertisement,
} from './pkt-line.js';

const SERVICE = 'git-upload-pack';
const SHA_RE = /^[0-9a-f]{40}$/;
/** Every branch tip (a commit pin the server would not give by id is looked for in them). */
export const ALL_BRANCHES = 'refs/heads/*';

export interface UploadPackRequest {
  http: HttpClient;
  url: string;
  headers: Record<string, string>;
  store: ObjectStore;
  /** A full ref name, a 40-hex sha, or ALL_BRANCHES. */
  remoteRef: string;
  /** Local ref whose commit is offered as a "have". */
  haveRef: string;
  depth?: number;
  /**
   * The server's capabilities from an earlier advertisement: the want (`remoteRef`, a 40-hex sha)
   * is POSTed without reading the advertisement again — one round trip instead of two. Only for
   * stateless smart HTTP, where every request stands alone; SSH shares one channel.
   */
  capabilities?: ReadonlySet<string>;
  /** Bounds of the thin-pack completion (defaults: fix-thin.ts). */
  fixThin?: FixThinOptions;
}

/** What a fetch learnt: the oid fetched (null for ALL_BRANCHES), and the server's capabilities. */
export interface UploadPackResult {
  fetchHead: string | null;
  capabilities: ReadonlySet<string>;
  /**
   * How the pack was stored. `fixed`: a thin pack, completed by fix-thin.ts; `fallback`: a thin
   * pack that could not be completed safely (`thinError`), fetched again without thin-pack;
   * `whole`: no "have" was offered (or the server cannot send thin packs), so the pack needed
   * nothing from the store and went in as it came.
   */
  pack: 'fixed' | 'fallback' | 'whole';
  thinError?: ThinPackError;
}

/** The ref (or object) asked for is not on the remote; classified as `ref-not-found`. */
class RemoteRefNotFound extends Error {
  override readonly name = 'NotFoundError';
  readonly code = 'NotFoundError';
}

/** The v1 ref advertisement of `url` (one GET). */
export async function advertisement(http: HttpClient, url: string, headers: Record<string, string>): Promise<RefAdvertisement> {
  const res = await http.request({ method: 'GET', url: `${url}/info/refs?service=${SERVICE}`, headers: { ...headers } });
  if (res.statusCode !== 200) throw await httpError(res);
  return readAdvertisement(new PktReader(res.body ?? emptyBody()), SERVICE);
}

/** Fetches the wanted tips into the store; returns the oid the wanted ref had (null for ALL_BRANCHES). */
export async function fetchPack(req: UploadPackRequest): Promise<UploadPackResult> {
  try {
    return await fetchOnce(req, true);
  } catch (err) {
    if (!(err instanceof ThinPackError)) throw err;
    // Nothing was stored (fix-thin writes only a completed pack): ask again for a pack that
    // needs nothing of ours. Costs one more round trip and the full tree's changed blobs.
    const res = await fetchOnce(req, false);
    return { ...res, pack: 'fallback', thinError: err };
  }
}

async function fetchOnce(req: UploadPackRequest, thin: boolean): Promise<UploadPackResult> {
  const { http, url, store } = req;
  const known = req.capabilities !== undefined && SHA_RE.test(req.remoteRef);
  const adv: RefAdvertisement = known
    ? { refs: new Map(), capabilities: new Set(req.capabilities) }
    : await advertisement(http, url, req.headers);

  let wants: string[];
  let fetchHead: string | null;
  if (req.remoteRef === ALL_BRANCHES) {
    wants = [...new Set([...adv.refs].filter(([r]) => r.startsWith('refs/heads/')).map(([, oid]) => oid))];
    fetchHead = null;
    if (wants.length === 0) throw new RemoteRefNotFound('the remote has no branches');
  } else if (SHA_RE.test(req.remoteRef)) {
    wants = [req.remoteRef];
    fetchHead = req.remoteRef;
  } else {
    const oid = adv.refs.get(req.remoteRef);
    if (oid === undefined) throw new RemoteRefNotFound(`Could not find ${req.remoteRef} on the remote.`);
    wants = [oid];
    fetchHead = oid;
  }

  const caps = adv.capabilities;
  const band = caps.has('side-band-64k') ? 'side-band-64k' : caps.has('side-band') ? 'side-band' : undefined;
  const shallowOk = caps.has('shallow');
  if (req.depth !== undefined && !shallowOk) throw new PktLineError('the server does not support shallow fetches');
  const shallowFile = `${store.gitdir}/shallow`;
  const shallows = shallowOk ? await readShallow(store, shallowFile) : new Set<string>();
  const haves = await haveOids(store, req.haveRef);
  // thin-pack: only what changed since our "have", as deltas on objects we hold (a one-file
  // commit at 20,000 objects: under 1 KiB instead of the new tree's changed blobs, 139 KiB).
  // Such a pack is never stored as it came: fix-thin.ts completes it from the store first (see
  // there for the delta cycle that exhausted the heap when it was). Without a "have" the server
  // has nothing to be thin against, and the pack goes in as it came.
  const thinPack = thin && haves.length > 0 && caps.has('thin-pack');
  const ours = [band, 'ofs-delta', thinPack ? 'thin-pack' : undefined, 'no-progress', 'agent=gitops-seal'].filter(
    (c): c is string => c !== undefined && (c.startsWith('agent=') || caps.has(c)),
  );
  const parts: Buffer[] = wants.map((w, i) => pktLine(`want ${w}${i === 0 ? ` ${ours.join(' ')}` : ''}\n`));
  for (const s of shallows) parts.push(pktLine(`shallow ${s}\n`));
  if (req.depth !== undefined) parts.push(pktLine(`deepen ${req.depth}\n`));
  parts.push(FLUSH);
  for (const h of haves) parts.push(pktLine(`have ${h}\n`));
  parts.push(pktLine('done\n'));

  const post = await http.request({
    method: 'POST',
    url: `${url}/${SERVICE}`,
    headers: { ...req.headers, 'content-type': `application/x-${SERVICE}-request`, accept: `application/x-${SERVICE}-result` },
    body: once(Buffer.concat(parts)),
  });
  if (post.statusCode !== 200) throw await httpError(post);
  const reader = new PktReader(post.body ?? emptyBody());
  const { shallow, unshallow } = await readNegotiation(reader);
  const pack = band !== undefined ? await readSideBand(reader) : Buffer.concat(await collect(reader.remaining()));
  // As git does: a commit the server calls shallow stays whole if we already hold its parents.
  const newShallow: string[] = [];
  for (const oid of shallow) if (!(await hasAllParents(store, oid))) newShallow.push(oid);
  if (thinPack) await storeThinPack(store, pack, req.fixThin);
  else await storePack(store, pack);
  // The shallow boundary changes only once the objects it refers to are in the store.
  if (shallow.length > 0 || unshallow.length > 0) {
    for (const oid of newShallow) shallows.add(oid);
    for (const oid of unshallow) shallows.delete(oid);
    const text = [...shallows].sort().join('\n');
    if (text === '') await store.fs.promises.unlink(shallowFile).catch(() => undefined);
    else await store.fs.promises.writeFile(shallowFile, `${text}\n`);
  }
  return { fetchHead, capabilities: caps, pack: thinPack ? 'fixed' : 'whole' };
}

/** Shallow/unshallow lines and the ACK/NAK that ends the negotiation; the pack follows. */
async function readNegotiation(reader: PktReader): Promise<{ shallow: string[]; unshallow: string[] }> {
  const shallow: string[] = [];
  const unshallow: string[] = [];
  for (;;) {
    const p = await reader.next();
    if (p === 'end') throw new PktLineError('the server closed the connection before sending a pack');
    if (p === 'flush' || p === 'delim') continue;
    const line = pktText(p);
    const [word, oid, status] = line.split(' ');
    if (word === 'shallow' && oid !== undefined) shallow.push(oid);
    else if (word === 'unshallow' && oid !== undefined) unshallow.push(oid);
    else if (word === 'NAK' || (word === 'ACK' && status === undefined)) return { shallow, unshallow };
    else if (word === 'ACK') continue;
    else if (word === 'ERR') throw new RemoteProtocolError(line.slice(4));
    else throw new PktLineError(`unexpected line in the server's answer: ${JSON.stringify(line.slice(0, 100))}`);
  }
}

/** Demultiplexes side-band: 1 is pack data, 2 progress (ignored), 3 a fatal error from the server. */
async function readSideBand(reader: PktReader): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (;;) {
    const p = await reader.next();
    if (p === 'end' || p === 'flush') return Buffer.concat(chunks);
    if (p === 'delim') continue;
    const channel = p[0];
    if (channel === 1) chunks.push(p.subarray(1));
    else if (channel === 3) throw new RemoteProtocolError(p.subarray(1).toString('utf8'));
    else if (channel !== 2) throw new PktLineError(`unknown side-band channel ${channel}`);
  }
}

/** Writes the pack, then its index: a pack without an index is invisible, so a kill between the two leaves nothing half-applied. */
async function storePack(store: ObjectStore, pack: Buffer): Promise<void> {
  if (isEmptyPack(pack)) return;
  const name = `objects/pack/pack-${pack.subarray(pack.length - 20).toString('hex')}.pack`;
  await store.fs.promises.mkdir(`${store.gitdir}/objects/pack`, { recursive: true }).catch(() => undefined);
  await store.fs.promises.writeFile(`${store.gitdir}/${name}`, pack);
  await git.indexPack({ fs: store.fs, dir: store.gitdir, gitdir: store.gitdir, filepath: name, cache: store.cache });
}

/** Throws when `pack` is no pack at all (not worth a second request); true when it holds no object. */
function isEmptyPack(pack: Buffer): boolean {
  if (pack.length < 32 || pack.subarray(0, 4).toString('latin1') !== 'PACK') {
    throw new PktLineError(pack.length === 0 ? 'the server sent no pack' : 'the server sent something that is not a pack');
  }
  return pack.readUInt32BE(8) === 0;
}

/** A thin pack, completed from the store (fix-thin.ts); then its pack and its index, as storePack. */
async function storeThinPack(store: ObjectStore, thin: Buffer, opts?: FixThinOptions): Promise<void> {
  if (isEmptyPack(thin)) return;
  const fixed = await fixThinPack(store, thin, opts);
  if (fixed.pack === null || fixed.idx === null) return;
  const name = `${store.gitdir}/objects/pack/pack-${fixed.sha}`;
  await store.fs.promises.mkdir(`${store.gitdir}/objects/pack`, { recursive: true }).catch(() => undefined);
  await store.fs.promises.writeFile(`${name}.pack`, fixed.pack);
  await store.fs.promises.writeFile(`${name}.idx`, fixed.idx);
}

async function readShallow(store: ObjectStore, file: string): Promise<Set<string>> {
  try {
    const text = (await store.fs.promises.readFile(file, 'utf8')) as string;
    return new Set(text.split('\n').filter((l) => SHA_RE.test(l)));
  } catch {
    return new Set();
  }
}

async function haveOids(store: ObjectStore, ref: string): Promise<string[]> {
  try {
    const oid = await git.resolveRef({ fs: store.fs, gitdir: store.gitdir, ref });
    await git.readObject({ fs: store.fs, gitdir: store.gitdir, cache: store.cache, oid, format: 'deflated' });
    return [oid];
  } catch {
    // No such ref yet (first fetch) or its objects went with a rebuilt store: nothing to offer.
    return [];
  }
}

async function hasAllParents(store: ObjectStore, oid: string): Promise<boolean> {
  try {
    const { commit } = await git.readCommit({ fs: store.fs, gitdir: store.gitdir, cache: store.cache, oid });
    for (const p of commit.parent) {
      await git.readObject({ fs: store.fs, gitdir: store.gitdir, cache: store.cache, oid: p, format: 'deflated' });
    }
    return true;
  } catch {
    return false;
  }
}

async function httpError(res: { statusCode: number; statusMessage: string; body?: AsyncIterableIterator<Uint8Array> }): Promise<Error> {
  const body =
    res.body !== undefined
      ? Buffer.concat(await collect(res.body))
          .toString('utf8')
          .slice(0, 500)
      : '';
  return new git.Errors.HttpError(res.statusCode, res.statusMessage, body);
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(Buffer.from(c));
  return out;
}

async function* emptyBody(): AsyncIterableIterator<Uint8Array> {}

async function* once(b: Buffer): AsyncIterableIterator<Uint8Array> {
  yield b;
}
