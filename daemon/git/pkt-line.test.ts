import { describe, expect, it } from 'vitest';
import { FLUSH, pktLine, PktReader, readAdvertisement } from './pkt-line.js';

async function* chunks(...parts: Buffer[]): AsyncGenerator<Uint8Array> {
  // One byte at a time: the reader must not depend on how the stream is cut.
  for (const b of Buffer.concat(parts)) yield Buffer.from([b]);
}
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('pkt-line', () => {
  it('reads an SSH advertisement (no # service line), capabilities on the first ref, and stops at the flush', async () => {
    const r = new PktReader(
      chunks(
        pktLine(`${A} HEAD\0side-band-64k shallow symref=HEAD:refs/heads/main\n`),
        pktLine(`${B} refs/heads/main\n`),
        FLUSH,
        Buffer.from('PACK'),
      ),
    );
    const adv = await readAdvertisement(r, 'git-upload-pack');
    expect([...adv.refs]).toEqual([
      ['HEAD', A],
      ['refs/heads/main', B],
    ]);
    expect(adv.capabilities.has('shallow')).toBe(true);
    const rest: Buffer[] = [];
    for await (const c of r.remaining()) rest.push(c);
    expect(Buffer.concat(rest).toString()).toBe('PACK');
  });

  it('reads the smart-HTTP form and an empty repository', async () => {
    const http = await readAdvertisement(
      new PktReader(chunks(pktLine('# service=git-upload-pack\n'), FLUSH, pktLine(`${A} refs/heads/x\0ofs-delta\n`), FLUSH)),
      'git-upload-pack',
    );
    expect(http.refs.get('refs/heads/x')).toBe(A);
    const empty = await readAdvertisement(
      new PktReader(chunks(pktLine(`${'0'.repeat(40)} capabilities^{}\0report-status\n`), FLUSH)),
      'git-receive-pack',
    );
    expect(empty.refs.size).toBe(0);
    expect(empty.capabilities.has('report-status')).toBe(true);
  });

  it('fails typed on ERR, garbage and truncation', async () => {
    await expect(readAdvertisement(new PktReader(chunks(pktLine('ERR access denied\n'))), 'git-upload-pack')).rejects.toThrow(
      /the server said: access denied/,
    );
    await expect(readAdvertisement(new PktReader(chunks(Buffer.from('zzzz'))), 'git-upload-pack')).rejects.toMatchObject({
      code: 'ParseError',
    });
    await expect(readAdvertisement(new PktReader(chunks(Buffer.from('0030abc'))), 'git-upload-pack')).rejects.toThrow(
      /stream ended inside/,
    );
    await expect(readAdvertisement(new PktReader(chunks()), 'git-upload-pack')).rejects.toThrow(
      /without a git-upload-pack ref advertisement/,
    );
  });
});
