// Post-quantum hybrid age recipients (age 1.3, `age1pq1…`): keys written by the real age-keygen
// -pq; files written by gitops-seal decrypt with the real sops and the other way round.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, inject, it } from 'vitest';
import { decryptText, encryptText, parseIdentityFile } from '../../keys/index.js';

const run = promisify(execFile);
const stack = inject('stack');
const CANARY = `canary-pq-${Math.random().toString(36).slice(2)}`;
const doc = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: pq\nstringData:\n  token: ${CANARY}\n`;

describe('age post-quantum recipients interoperate with age 1.3 and sops', () => {
  it('gitops-seal → sops and sops → gitops-seal with an age-keygen -pq key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitops-seal-pq-'));
    const keyFile = join(dir, 'keys.txt');
    await run(stack.bins.ageKeygen, ['-pq', '-o', keyFile]);
    const keyText = readFileSync(keyFile, 'utf8');
    const recipient = /# public key: (age1pq1\S+)/.exec(keyText)?.[1] ?? '';
    expect(recipient.startsWith('age1pq1')).toBe(true);
    const identities = parseIdentityFile(keyText, keyFile);

    const ours = await encryptText(
      doc,
      { format: 'yaml', source: 'pq.yaml', keys: { age: [recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
      {},
    );
    expect(ours).not.toContain(CANARY);
    writeFileSync(join(dir, 'ours.yaml'), ours);
    const env = { ...process.env, SOPS_AGE_KEY_FILE: keyFile };
    const bySops = await run(stack.bins.sops, ['decrypt', join(dir, 'ours.yaml')], { env });
    expect((parse(bySops.stdout) as { stringData: { token: string } }).stringData.token).toBe(CANARY);

    writeFileSync(join(dir, 'plain.yaml'), doc);
    const theirs = await run(
      stack.bins.sops,
      ['encrypt', '--age', recipient, '--encrypted-regex', '^(data|stringData)$', join(dir, 'plain.yaml')],
      { env },
    );
    const back = await decryptText(theirs.stdout, { format: 'yaml', source: 'theirs.yaml' }, { ageIdentities: identities });
    expect((parse(back) as { stringData: { token: string } }).stringData.token).toBe(CANARY);
  });
});
