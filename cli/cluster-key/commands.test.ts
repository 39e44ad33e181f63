// `gitops-seal cluster-key …` as a user types it, up to the point where a cluster would be asked:
// usage errors (exit 2) say what is wrong without contacting anything, and a missing kubeconfig
// or an unreachable daemon is exit 8 naming where it looked.
import { describe, expect, it } from 'vitest';
import { generateAgeIdentity } from '../../keys/index.js';
import { useSandbox } from '../../test/support/cli-sandbox.js';
import { ExitCode } from '../errors.js';

describe('cluster-key command line', () => {
  const sb = useSandbox();

  it.each([
    [['cluster-key', 'add', ''], 'PATH_REGEX is empty'],
    [['cluster-key', 'add', '(unclosed'], 'PATH_REGEX is not a valid regular expression: (unclosed'],
    [['cluster-key', 'add'], "missing required argument 'path_regex'"],
    [
      ['cluster-key', 'fetch', '--url', 'http://127.0.0.1:9', '--context', 'prod'],
      "option '--url <url>' cannot be used with option '--context <name>'",
    ],
    [['cluster-key', 'fetch', '-n', 'Not_A_Namespace'], "invalid namespace 'Not_A_Namespace' (must be a DNS-1123 label)"],
    [['cluster-key', 'fetch', '--name', 'two words'], "invalid pin name 'two words'"],
    [['cluster-key', 'backup'], "required option '--to <recipients>' not specified"],
    [['cluster-key', 'backup', '--to', ''], 'backup needs --to RECIPIENT'],
    [['cluster-key', 'restore'], "required option '--from <file>' not specified"],
    [['cluster-key', 'fetch', '-o', 'yaml'], "expected 'text' or 'json', got 'yaml'"],
  ])('%j is a usage error', async (args, message) => {
    const r = await sb.run(args);
    expect(r.err).toContain(message);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.out).toBe('');
  });

  it('a private key given as --to is named as such, never echoed, before any cluster is asked', async () => {
    const r = await sb.run(['cluster-key', 'backup', '--to', sb.identity]);
    expect(r.code).toBe(ExitCode.KEYS);
    expect(r.err).toContain('recipient #1 of --to is an age PRIVATE key');
    expect(r.err).not.toContain(sb.identity);
  });

  it('no kubeconfig, or no daemon at --url: exit 8 naming what was tried', async () => {
    const noKube = await sb.run(['cluster-key', 'fetch']);
    expect(noKube.code).toBe(ExitCode.REMOTE);
    expect(noKube.err).toMatch(
      /^gitops-seal: cannot load Kubernetes credentials \(the current kubeconfig context\): no Kubernetes credentials found; looked for KUBECONFIG/,
    );
    const noDaemon = await sb.run(['cluster-key', 'fetch', '--url', 'http://127.0.0.1:9']);
    expect(noDaemon.code).toBe(ExitCode.REMOTE);
    expect(noDaemon.err).toContain('cannot reach the gitops-seal daemon at http://127.0.0.1:9');
    // A .sops.yaml whose pin was edited by hand is refused before anything is fetched.
    const other = await generateAgeIdentity();
    await sb.write(
      '.sops.yaml',
      `gitops-seal:\n  clusterKeys:\n    default:\n      recipient: ${other.recipient}\n      fingerprint: SHA256:edited\n`,
    );
    const edited = await sb.run(['cluster-key', 'fetch', '--url', 'http://127.0.0.1:9']);
    expect(edited.code).toBe(ExitCode.CONFIG);
    expect(edited.err).toContain('.sops.yaml: gitops-seal.clusterKeys.default.fingerprint does not match its recipient');
  });
});
