// fix-thin against packs real git builds (`git pack-objects --thin`, `--shallow` as upload-pack
// does for a shallow client), checked by real git (`index-pack`, `cat-file`) and isomorphic-git.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixThinPack, ThinPackError } from './fix-thin.js';
import type { ObjectStore } from './object-io.js';
import { readEntries } from './pack-format.js';
import { StoreObjects } from './store-objects.js';
import { openStore, prepareStore } from './store.js';

let tmp: string;
let repo: string;
let store: ObjectStore;
beforeEach(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fix-thin-'));
  repo = join(tmp, 'origin');
  run(tmp, ['init', '-q', '-b', 'main', repo]);
  store = await prepareStore(openStore(join(tmp, 'store.git')), { remoteUrl: 'http://example.invalid/x.git', defaultBranch: 'main' });
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function run(cwd: string, args: string[], input?: Buffer | string): Buffer {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, input, maxBuffer: 64 << 20 });
}

/** A file big enough for git to store its versions as deltas on each other. */
const text = (change: string): string =>
  Array.from({ length: 200 }, (_, i) => `line ${i}: ${i === 100 ? change : 'x'.repeat(40)}\n`).join('');

function commit(content: string): { commit: string; blob: string } {
  writeFileSync(join(repo, 'a.yaml'), content);
  run(repo, ['add', 'a.yaml']);
  run(repo, ['commit', '-q', '-m', 'c']);
  return { commit: rev('HEAD'), blob: rev('HEAD:a.yaml') };
}
/** Version `v` of a file whose every version changes one more line: git chains these deltas. */
const layered = (v: number): string =>
  Array.from({ length: 200 }, (_, k) => `line ${k}: ${k <= v ? `v${Math.min(v, k)}` : 'x'.repeat(40)}\n`).join('');
const rev = (r: string): string => run(repo, ['rev-parse', r]).toString().trim();

/** `git pack-objects --revs --stdout`, as upload-pack runs it for a client that asks for ofs-delta; `shallow`: the client's shallow commits. */
function pack(revs: string[], opts: { thin?: boolean; shallow?: string[]; depth?: number } = {}): Buffer {
  const args = ['pack-objects', '--revs', '--stdout', '-q', '--delta-base-offset'];
  if (opts.thin === true) args.push('--thin');
  if (opts.shallow !== undefined) args.push('--shallow');
  if (opts.depth !== undefined) args.push(`--depth=${opts.depth}`, '--window=20');
  const input = [...(opts.shallow ?? []).map((s) => `--shallow ${s}`), ...revs].join('\n') + '\n';
  return run(repo, args, input);
}

/** Bases of the pack's ref-deltas that the pack does not carry: what makes it thin. */
function externalBases(p: Buffer): string[] {
  return readEntries(p).flatMap((e) => (e.kind === 'ref-delta' ? [e.baseOid] : []));
}

/** fix-thin, then the pack and index written as upload-pack writes them. */
async function storeFixed(p: Buffer): Promise<Awaited<ReturnType<typeof fixThinPack>>> {
  const fixed = await fixThinPack(store, p);
  if (fixed.pack !== null && fixed.idx !== null) {
    await store.fs.promises.writeFile(`${store.gitdir}/objects/pack/pack-${fixed.sha}.pack`, fixed.pack);
    await store.fs.promises.writeFile(`${store.gitdir}/objects/pack/pack-${fixed.sha}.idx`, fixed.idx);
  }
  return fixed;
}

/** A pack stored as it came and indexed by isomorphic-git: what the unsafe thin-pack fetch did. */
async function storeRaw(p: Buffer): Promise<string> {
  const name = `objects/pack/pack-${p.subarray(p.length - 20).toString('hex')}`;
  await store.fs.promises.writeFile(`${store.gitdir}/${name}.pack`, p);
  await git.indexPack({ fs: store.fs, dir: store.gitdir, gitdir: store.gitdir, filepath: `${name}.pack`, cache: {} });
  return `${store.gitdir}/${name}`;
}

const blobText = async (oid: string): Promise<string> =>
  Buffer.from((await git.readBlob({ fs: store.fs, gitdir: store.gitdir, oid, cache: {} })).blob).toString('utf8');

describe('fixThinPack', () => {
  it('completes a thin pack from the store: a pack of whole objects that real git indexes and reads on its own', async () => {
    const c1 = commit(text('one'));
    const c2 = commit(text('two'));
    expect((await storeFixed(pack([c1.commit]))).externalBases).toBe(0);
    const thin = pack([c2.commit, `^${c1.commit}`], { thin: true });
    expect(externalBases(thin)).toEqual([c1.blob]);

    const fixed = await storeFixed(thin);
    expect(fixed).toMatchObject({ received: 3, written: 3, dropped: 0, externalBases: 1 });
    // Self-contained: real git's index-pack (which refuses unresolved deltas) builds the same index.
    const packPath = `${store.gitdir}/objects/pack/pack-${fixed.sha}.pack`;
    run(tmp, ['index-pack', '-o', join(tmp, 'check.idx'), packPath]);
    expect(readFileSync(join(tmp, 'check.idx')).equals(fixed.idx as Buffer)).toBe(true);
    expect(run(tmp, ['--git-dir', store.gitdir, 'cat-file', 'blob', c2.blob]).toString()).toBe(text('two'));
    expect(await blobText(c2.blob)).toBe(text('two'));
  });

  it('drops what the store holds: a tree back at an earlier state, sent to a shallow client as a delta on the middle one', async () => {
    const c1 = commit(text('one'));
    const c2 = commit(text('two'));
    const c3 = commit(text('one'));
    await storeFixed(pack([c1.commit]));
    await storeFixed(pack([c2.commit, `^${c1.commit}`], { thin: true }));
    // Our history is shallow at c2: the server cannot know we hold c1's objects and sends them
    // again, the blob as a delta on c2's — which we hold as a delta on it.
    const thin = pack([c3.commit, `^${c2.commit}`], { thin: true, shallow: [c2.commit] });
    expect(externalBases(thin)).toEqual([c2.blob]);

    const fixed = await storeFixed(thin);
    expect(fixed).toMatchObject({ received: 3, written: 1, dropped: 2, externalBases: 1 });
    expect(run(tmp, ['--git-dir', store.gitdir, 'cat-file', 'blob', `${c3.commit}:a.yaml`]).toString()).toBe(text('one'));
    expect(await blobText(c3.blob)).toBe(text('one'));
  });

  it('refuses a base the store can only give through a delta cycle (two thin packs stored as they came), naming the object', async () => {
    const c1 = commit(text('one'));
    const c2 = commit(text('two'));
    const c3 = commit(text('one'));
    const c4 = commit(text('two'));
    const first = await storeRaw(pack([c1.commit]));
    await storeRaw(pack([c2.commit, `^${c1.commit}`], { thin: true }));
    await storeRaw(pack([c3.commit, `^${c2.commit}`], { thin: true, shallow: [c2.commit] }));
    // Without c1's pack the store holds c2's blob only as a delta on c1's, and c1's only as a delta on c2's.
    unlinkSync(`${first}.pack`);
    unlinkSync(`${first}.idx`);
    store.fs.invalidate();
    const thin = pack([c4.commit, `^${c3.commit}`], { thin: true, shallow: [c3.commit] });
    expect(externalBases(thin)).toEqual([c3.blob]);

    const err = await fixThinPack(store, thin).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThinPackError);
    expect(err).toMatchObject({ reason: 'cycle', object: c1.blob });
    expect((err as Error).message).toContain(`${c1.blob} → ${c2.blob} → ${c1.blob}`);
  });

  it('bounds delta chains in the pack and in the store', async () => {
    const c: { commit: string; blob: string }[] = [];
    for (let i = 0; i < 8; i++) c.push(commit(layered(i)));
    const full = pack([c[7]!.commit], { depth: 50 });
    // git chained the blobs' deltas at least 4 deep (ofs-deltas on ofs-deltas).
    const depth = new Map<number, number>();
    for (const e of readEntries(full)) depth.set(e.offset, e.kind === 'ofs-delta' ? (depth.get(e.baseOffset) ?? 0) + 1 : 0);
    expect(Math.max(...depth.values())).toBeGreaterThanOrEqual(4);

    const err = await fixThinPack(store, full, { maxDepth: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThinPackError);
    expect(err).toMatchObject({ reason: 'too-deep' });
    expect((err as Error).message).toMatch(/the delta at offset \d+ of the fetched pack: delta chain longer than 3/);
    expect(await fixThinPack(store, full)).toMatchObject({ received: 24, written: 24 });

    // The same chains stored as they came (isomorphic-git's index), read back with a bound.
    await storeRaw(full);
    const objects = await StoreObjects.open(store, 3);
    const deepest = await Promise.all(
      c.map((x) =>
        objects.read(x.blob).then(
          () => null,
          (e: unknown) => e,
        ),
      ),
    );
    expect(deepest.find((e) => e !== null)).toMatchObject({ reason: 'too-deep' });
    expect((await (await StoreObjects.open(store)).read(c[0]!.blob)).content.toString()).toBe(layered(0));
  });

  it('names a base that is nowhere, and a damaged pack', async () => {
    const c1 = commit(text('one'));
    const c2 = commit(text('two'));
    const thin = pack([c2.commit, `^${c1.commit}`], { thin: true });
    await expect(fixThinPack(store, thin)).rejects.toMatchObject({ reason: 'missing-base', message: expect.stringContaining(c1.blob) });
    const damaged = Buffer.from(thin);
    damaged[20] = (damaged[20] as number) ^ 0xff;
    await expect(fixThinPack(store, damaged)).rejects.toMatchObject({ reason: 'corrupt', object: 'the fetched pack' });
  });

  it('writes nothing when the store holds every object of the pack', async () => {
    const c1 = commit(text('one'));
    await storeFixed(pack([c1.commit]));
    expect(await fixThinPack(store, pack([c1.commit]))).toMatchObject({ pack: null, received: 3, written: 0, dropped: 3 });
  });
});
