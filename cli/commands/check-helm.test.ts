// `check` on a repository with a Helm chart (issue 13 item 9): templates are skipped as
// documented and said so, `--exclude` and `.gitops-seal-ignore` skip more, no Node warnings.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCaptured } from '../../test/support/cli-capture.js';
import { secretYaml, useSandbox } from '../../test/support/cli-sandbox.js';
import { ExitCode } from '../errors.js';

const SECRET_TEMPLATE = `apiVersion: v1
kind: Secret
metadata:
  name: {{ include "mychart.fullname" . }}
  labels:
    {{- include "mychart.labels" . | nindent 4 }}
type: Opaque
data:
  password: {{ .Values.password | b64enc | quote }}
`;
// Parses as YAML (a flow mapping as key): the yaml library used to print a Node warning for it.
const CONFIGMAP_TEMPLATE = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  a: b\n';

describe('check with Helm charts and exclusions', () => {
  const sb = useSandbox(async (sb) => {
    await mkdir(join(sb.dir, 'charts/app/templates'), { recursive: true });
    await sb.write('charts/app/Chart.yaml', 'apiVersion: v2\nname: app\nversion: 0.1.0\n');
    await sb.write('charts/app/values.yaml', 'replicas: 1\n');
    await sb.write('charts/app/templates/secret.yaml', SECRET_TEMPLATE);
    await sb.write('charts/app/templates/cm.yaml', CONFIGMAP_TEMPLATE);
    // Outside a chart (gomplate, helmfile, ...): skipped when it does not parse because of its
    // template actions; a templated file that happens to parse is checked like any other.
    await mkdir(join(sb.dir, 'gomplate'), { recursive: true });
    await sb.write(
      'gomplate/secret.yaml',
      '{{- if .Env.CREATE }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  pw: {{ .Env.PW }}\n{{- end }}\n',
    );
  });

  it('skips chart templates and unparsable templated files, says so, and prints no Node warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const r = await sb.run(['check', '--no-decrypt']);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.err).toBe(
      'check: skipped charts/app/templates/: Helm chart templates (not YAML until rendered; check the rendered output instead)\n' +
        'check: skipped gomplate/secret.yaml: templated (Go template actions, does not parse as YAML)\n' +
        'check: 2 files checked, no problems\n',
    );
    // A pre-commit hook passes staged files one by one: a template named explicitly is skipped too.
    const hook = await sb.run(['check', '--no-decrypt', 'charts/app/templates/secret.yaml', 'charts/app/values.yaml']);
    expect(hook.code).toBe(0);
    expect(hook.err).toContain('check: 1 file checked, no problems\n');
    const json = await sb.run(['check', '--no-decrypt', '-o', 'json', 'charts']);
    expect(JSON.parse(json.out)).toEqual({
      checked: 2,
      problems: [],
      skipped: [
        { path: 'charts/app/templates/', reason: 'Helm chart templates (not YAML until rendered; check the rendered output instead)' },
      ],
    });
  });

  it('still reports a plaintext Secret next to the chart, and --exclude / .gitops-seal-ignore skip paths', async () => {
    await mkdir(join(sb.dir, 'fixtures'), { recursive: true });
    await sb.write('fixtures/leak.yaml', secretYaml('leak', { a: 'x' }));
    await sb.write('charts/app/leak.yaml', secretYaml('leak2', { a: 'x' }));
    const all = await sb.run(['check', '--no-decrypt']);
    expect(all.code).toBe(ExitCode.PROBLEMS);
    expect(
      all.out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':')[0]),
    ).toEqual(['charts/app/leak.yaml', 'fixtures/leak.yaml']);

    const ex = await sb.run(['check', '--no-decrypt', '--exclude', 'fixtures/', '--exclude', 'charts/**/leak.yaml']);
    expect(ex).toMatchObject({ code: 0, out: '' });
    expect(ex.err).toContain("check: skipped fixtures/: excluded by 'fixtures/'\n");
    expect(ex.err).toContain("check: skipped charts/app/leak.yaml: excluded by 'charts/**/leak.yaml'\n");

    await sb.write('.gitops-seal-ignore', '# test data\nfixtures/\nleak.yaml\n');
    expect(await sb.run(['check', '--no-decrypt'])).toMatchObject({ code: 0, out: '' });
    await sb.write('.gitops-seal-ignore', '!keep.yaml\n');
    expect((await sb.run(['check', '--no-decrypt'])).err).toBe(
      "gitops-seal: .gitops-seal-ignore: line 1: negated patterns ('!') are not supported\n",
    );
  });

  it('calls a malformed sops file malformed, not a key problem', async () => {
    await sb.write('a.yaml', 'a: b\n');
    expect((await sb.run(['encrypt', '-i', '--age', sb.recipient, 'a.yaml'])).code).toBe(0);
    const real = await import('../../keys/index.js');
    // A keys/ FormatError (exit 6), whatever the file: check must not blame the keys.
    const keys = async (): Promise<typeof real> => ({
      ...real,
      decryptText: async () => {
        throw new real.FormatError('a.yaml', 'unknown value type "xyz"', 'a');
      },
    });
    const { code, out } = await runCaptured(['check', 'a.yaml'], { env: sb.env, cwd: sb.dir, keys });
    expect(code).toBe(ExitCode.PROBLEMS);
    expect(out).toBe('a.yaml: is not a valid sops file: at a: unknown value type "xyz"\n');
  });
});
