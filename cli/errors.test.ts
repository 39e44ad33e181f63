import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CliError, ExitCode, formatError, sanitizeMessage, toCliError, UsageError } from './errors.js';

const CANARY = 'canary-s3cr3t-7f1e';

describe('sanitizeMessage', () => {
  it('drops the source excerpt V8 puts into JSON.parse errors', () => {
    let err: unknown;
    try {
      JSON.parse(`{"password": ${CANARY}}`);
    } catch (e) {
      err = e;
    }
    const head = CANARY.slice(0, 8);
    expect(String((err as Error).message)).toContain(head); // the premise of this test
    expect(sanitizeMessage(err)).not.toContain(head);
    expect(sanitizeMessage(err)).toMatch(/^invalid JSON/);
  });

  it('keeps only position information from YAML parse errors', () => {
    const doc = parseDocument(`password: ${CANARY}\n  bad: [${CANARY}\n`);
    const err = doc.errors[0];
    expect(err).toBeDefined();
    const msg = sanitizeMessage(err);
    expect(msg).not.toContain(CANARY);
    expect(msg).toMatch(/^invalid YAML: .* at line \d+, column \d+$/);
  });

  it('maps fs error codes to plain causes and cuts messages to one line', () => {
    expect(sanitizeMessage(Object.assign(new Error('ENOENT: open /x'), { code: 'ENOENT' }))).toBe('no such file or directory');
    expect(sanitizeMessage(new Error('first line\nsecond'))).toBe('first line');
  });
});

describe('toCliError', () => {
  it('maps keys/ error classes by name to exit codes and picks up their source', () => {
    class SopsError extends Error {
      constructor(
        message: string,
        readonly source: string,
      ) {
        super(message);
      }
    }
    class TamperedError extends SopsError {}
    class NoMatchingKeyError extends SopsError {}
    class VaultError extends SopsError {}
    const t = toCliError(new TamperedError('MAC mismatch', 'a.yaml'));
    expect(t.exitCode).toBe(ExitCode.DECRYPT);
    expect(t.file).toBe('a.yaml');
    expect(toCliError(new NoMatchingKeyError('no key', 'b.yaml')).exitCode).toBe(ExitCode.KEYS);
    expect(toCliError(new VaultError('503', 'b.yaml'), 'given.yaml').file).toBe('given.yaml');
  });

  it('passes CliErrors through, adding the file when missing', () => {
    const e = new UsageError('bad');
    expect(toCliError(e)).toBe(e);
    expect(toCliError(e, 'f').file).toBe('f');
    expect(toCliError(e, 'f').exitCode).toBe(ExitCode.USAGE);
  });

  it('formats one line with or without a file', () => {
    expect(formatError(new CliError('boom', ExitCode.IO, 'x.yaml'))).toBe('gitops-seal: x.yaml: boom');
    expect(formatError(new CliError('boom', ExitCode.IO))).toBe('gitops-seal: boom');
  });
});
