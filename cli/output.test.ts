// Choice parsers and -o yaml on the report commands (check here; diff in
// test/e2e/cli-status.int.test.ts, it needs a cluster).
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ExitCode } from './errors.js';
import { choiceParser, parseOutputFormat, parseReportFormat, parserChoices } from './output.js';
import { secretYaml, useSandbox } from '../test/support/cli-sandbox.js';

describe('choiceParser', () => {
  it('accepts the listed words, refuses others with the list, and carries the list for completion', () => {
    const p = choiceParser(['table', 'json', 'yaml']);
    expect(p('json')).toBe('json');
    expect(() => p('xml')).toThrow(InvalidArgumentError);
    expect(() => p('xml')).toThrow("expected one of 'table', 'json', 'yaml', got 'xml'");
    expect(() => parseOutputFormat('yaml')).toThrow("expected 'text' or 'json', got 'yaml'");
    expect(parserChoices(p)).toEqual(['table', 'json', 'yaml']);
    expect(parserChoices(parseReportFormat)).toEqual(['text', 'json', 'yaml']);
    expect(parserChoices((v: string) => v)).toBeUndefined();
    expect(parserChoices(undefined)).toBeUndefined();
  });
});

describe('check -o yaml', () => {
  const sb = useSandbox();

  it('prints the same report as -o json, as YAML, with the same exit code', async () => {
    await sb.write('leak.yaml', secretYaml('leak', { token: 'canary-output-7f3a' }));
    await sb.write('ok.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
    const json = await sb.run(['check', '--no-decrypt', '-o', 'json']);
    const yaml = await sb.run(['check', '--no-decrypt', '-o', 'yaml']);
    expect(json.code).toBe(ExitCode.PROBLEMS);
    expect(yaml.code).toBe(ExitCode.PROBLEMS);
    const report = parse(yaml.out) as { checked: number; problems: { path: string; reason: string }[] };
    expect(report).toEqual(JSON.parse(json.out));
    expect(report.checked).toBe(2);
    expect(report.problems.map((p) => p.path)).toEqual(['leak.yaml']);
    expect(yaml.out).not.toContain('canary-output-7f3a');
    expect(yaml.out.trimStart().startsWith('{')).toBe(false);
  });
});
