// Smoke test of the reference tools: the real sops (built from getsops/sops) and age/age-keygen.
// The project's own SOPS implementation is checked against these elsewhere; here we only prove
// the tools work on this machine.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageSupportsPq, findTools, sopsVersion, type ToolBins } from './tools.js';

const run = promisify(execFile);

describe('sops and age', () => {
  let bins: ToolBins;
  let dir: string;
  let keyFile: string;
  let recipient: string;
  // Isolate from any sops/age config of the person running the tests.
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: dir, ...extra });

  beforeAll(async () => {
    bins = findTools();
    dir = mkdtempSync(join(tmpdir(), 'gitops-seal-sops-smoke-'));
    keyFile = join(dir, 'keys.txt');
    await run(bins.ageKeygen, ['-o', keyFile], { env: env() });
    const m = /^# public key: (age1[0-9a-z]+)$/m.exec(readFileSync(keyFile, 'utf8'));
    if (!m?.[1]) throw new Error('age-keygen wrote no public key comment');
    recipient = m[1];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('age-keygen -y derives the same recipient', async () => {
    const { stdout } = await run(bins.ageKeygen, ['-y', keyFile], { env: env() });
    expect(stdout.trim()).toBe(recipient);
  });

  it('age -r / age -d -i round-trips', async () => {
    const plain = join(dir, 'plain.bin');
    const enc = join(dir, 'plain.age');
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    writeFileSync(plain, payload);
    await run(bins.age, ['-r', recipient, '-o', enc, plain], { env: env() });
    expect(readFileSync(enc).subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    const { stdout } = await run(bins.age, ['-d', '-i', keyFile, enc], { env: env(), encoding: 'buffer', maxBuffer: 1 << 20 });
    expect(Buffer.compare(stdout, payload)).toBe(0);
  });

  it('sops --encrypt --age / --decrypt with SOPS_AGE_KEY_FILE round-trips a YAML Secret', async () => {
    const yamlText = [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: demo',
      'stringData:',
      '  password: s3cr3t-value',
      '  nested:',
      '    - 1',
      '    - true',
      '',
    ].join('\n');
    const file = join(dir, 'secret.yaml');
    writeFileSync(file, yamlText);
    const { stdout: encrypted } = await run(
      bins.sops,
      ['--encrypt', '--age', recipient, '--encrypted-regex', '^(data|stringData)$', file],
      { env: env() },
    );
    expect(encrypted).not.toContain('s3cr3t-value');
    const doc = parse(encrypted) as { metadata: { name: string }; sops: { age: { recipient: string }[]; mac: string } };
    expect(doc.metadata.name).toBe('demo');
    expect(doc.sops.age[0]?.recipient).toBe(recipient);
    expect(doc.sops.mac).toMatch(/^ENC\[AES256_GCM,/);

    const encFile = join(dir, 'secret.enc.yaml');
    writeFileSync(encFile, encrypted);
    const { stdout: decrypted } = await run(bins.sops, ['--decrypt', encFile], { env: env({ SOPS_AGE_KEY_FILE: keyFile }) });
    expect(parse(decrypted)).toEqual(parse(yamlText));

    // Without the key, sops fails and says why (and never prints the plaintext).
    const failed = await run(bins.sops, ['--decrypt', encFile], { env: env() }).then(
      () => null,
      (e: unknown) => e as { stderr: string },
    );
    expect(failed?.stderr).toMatch(/Failed to get the data key|no identity matched|could not decrypt/i);
    expect(failed?.stderr).not.toContain('s3cr3t-value');
  });

  // Needs age >= 1.3 (test/stack/build/age.sh); Debian 12's age 1.1.1 has no post-quantum keys.
  it.skipIf(!ageSupportsPq(findTools()))('post-quantum hybrid keys (age1pq1): age and sops round-trip', async () => {
    const pqKey = join(dir, 'pq.txt');
    await run(bins.ageKeygen, ['-pq', '-o', pqKey], { env: env() });
    const pqRecipient = /^# public key: (age1pq1[0-9a-z]+)$/m.exec(readFileSync(pqKey, 'utf8'))?.[1];
    expect(pqRecipient).toBeDefined();
    const r = pqRecipient as string;

    const plain = join(dir, 'pq-plain.txt');
    writeFileSync(plain, 'post-quantum payload\n');
    await run(bins.age, ['-r', r, '-o', `${plain}.age`, plain], { env: env() });
    // The stanza type of the hybrid recipient, visible in the age header.
    expect(readFileSync(`${plain}.age`).toString('latin1')).toContain('-> mlkem768x25519 ');
    const { stdout } = await run(bins.age, ['-d', '-i', pqKey, `${plain}.age`], { env: env() });
    expect(stdout).toBe('post-quantum payload\n');

    const file = join(dir, 'pq.yaml');
    writeFileSync(file, 'token: pq-secret\n');
    const { stdout: enc } = await run(bins.sops, ['--encrypt', '--age', r, file], { env: env() });
    expect(enc).not.toContain('pq-secret');
    writeFileSync(`${file}.enc`, enc);
    const { stdout: dec } = await run(bins.sops, ['--decrypt', '--input-type', 'yaml', '--output-type', 'yaml', `${file}.enc`], {
      env: env({ SOPS_AGE_KEY_FILE: pqKey }),
    });
    expect(parse(dec)).toEqual({ token: 'pq-secret' });
  });

  it('sops --version is the pinned version', async () => {
    const { stdout } = await run(bins.sops, ['--version', '--disable-version-check'], { env: env() });
    expect(stdout.split('\n')[0]).toBe(`sops ${sopsVersion().replace(/^v/, '')}`);
  });
});
