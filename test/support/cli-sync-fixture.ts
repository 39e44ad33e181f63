// Shared by the CLI's build/diff integration tests (cli/commands/*.int.test.ts): a repository on
// the stack's real git server holding a Namespace, a ConfigMap and an age-encrypted Secret with
// canary values, a DaemonConfig pointing at it (credentials by env reference, the stack's
// kubeconfig, the identity in a 0600 file), and an in-process runner for the CLI with captured
// output.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../../daemon/kube/types.js';
import { encryptText, generateAgeIdentity } from '../../keys/index.js';
import { createRepo } from '../stack/gitserver.js';
import { findRenderers } from '../stack/tools.js';
import type { StackInfo } from '../stack/types.js';
import { runCaptured, type RunResult } from './cli-capture.js';

export const SECRET_FILE = 'deploy/secret.sops.yaml';

export interface SyncFixture {
  dir: string;
  namespace: string;
  syncName: string;
  /** Plaintext values of the Secret (must never be printed, raw or base64). */
  canaries: string[];
  /** The objects as in Git, the Secret decrypted (for applying them in tests). */
  plainObjects: KubeObject[];
  /** Write a DaemonConfig for the sync (extra sync fields merged in) and return its path. */
  config(extra?: Record<string, unknown>, identityFile?: string): Promise<string>;
  /** A file with an age identity that is not a recipient of the Secret. */
  wrongIdentityFile(): Promise<string>;
  /** Run the CLI in the fixture's environment (`extraEnv` added to it). */
  run(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<RunResult>;
  cleanup(): Promise<void>;
}

export interface FixtureOptions {
  /** Change the encrypted Secret file before it is committed (tamper tests). */
  mutateSecret?: (encrypted: string) => string;
  /**
   * `kustomize`: deploy/ also holds a kustomization listing its three files (a Kustomize sync of
   * the same objects). `helm`: the repository also holds charts/hello, a chart making the same
   * Secret (and a ConfigMap) from an encrypted values file, `clusters/secrets.sops.yaml`; the
   * config of a `helm` extra drops `path`.
   */
  render?: 'kustomize' | 'helm';
}

/** The render fixtures' extra files (see FixtureOptions.render). */
const KUSTOMIZATION = 'resources:\n  - namespace.yaml\n  - config.yaml\n  - secret.sops.yaml\n';
export const HELM_VALUES_FILE = 'clusters/secrets.sops.yaml';
const CHART = {
  'charts/hello/Chart.yaml': 'apiVersion: v2\nname: hello\nversion: 0.1.0\n',
  'charts/hello/templates/secret.yaml':
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: {{ required "db.password" .Values.db.password | quote }}\n  username: {{ .Values.db.username | quote }}\n',
  'charts/hello/templates/config.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  mode: {{ .Values.mode | quote }}\n',
  'charts/hello/values.yaml': 'mode: blue\ndb:\n  password: ""\n  username: ""\n',
};

const ENV_USER = 'GITOPS_SEAL_TEST_GIT_USER';
const ENV_PASSWORD = 'GITOPS_SEAL_TEST_GIT_PASSWORD';

export async function syncFixture(stack: StackInfo, label: string, opts: FixtureOptions = {}): Promise<SyncFixture> {
  const suffix = randomBytes(4).toString('hex');
  const namespace = `gs-${label}-${suffix}`;
  const syncName = `${label}-${suffix}`;
  const dir = await mkdtemp(join(tmpdir(), `gitops-seal-${label}-`));
  const canaries = [`canary-pw-${randomBytes(8).toString('hex')}`, `canary-user-${randomBytes(8).toString('hex')}`];
  const [password, username] = canaries as [string, string];
  const id = await generateAgeIdentity();
  const identityFile = join(dir, 'age.key');
  await writeFile(identityFile, id.file, { mode: 0o600 });

  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace }, data: { mode: 'blue' } };
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace },
    type: 'Opaque',
    data: { password: Buffer.from(password).toString('base64'), username: Buffer.from(username).toString('base64') },
  };
  let encrypted = await encryptText(
    stringify(secret),
    { format: 'yaml', source: SECRET_FILE, keys: { age: [id.recipient] }, rule: { encryptedRegex: '^(data|stringData)$' } },
    {},
  );
  if (opts.mutateSecret) encrypted = opts.mutateSecret(encrypted);
  const renderFiles: Record<string, string> =
    opts.render === 'kustomize'
      ? { 'deploy/kustomization.yaml': KUSTOMIZATION }
      : opts.render === 'helm'
        ? {
            ...CHART,
            [HELM_VALUES_FILE]: await encryptText(
              stringify({ db: { password, username } }),
              { format: 'yaml', source: HELM_VALUES_FILE, keys: { age: [id.recipient] } },
              {},
            ),
          }
        : {};
  const url = await createRepo(stack.git, `cli-${syncName}`, {
    'deploy/namespace.yaml': stringify(ns),
    'deploy/config.yaml': stringify(cm),
    [SECRET_FILE]: encrypted,
    'README.md': '# not a manifest\n',
    ...renderFiles,
  });
  const renderers = findRenderers();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    [ENV_USER]: stack.git.username,
    [ENV_PASSWORD]: stack.git.password,
    // The stack's cached builds, as the daemon's image would have them on PATH.
    GITOPS_SEAL_KUSTOMIZE: renderers.kustomize,
    GITOPS_SEAL_HELM: renderers.helm,
  };

  return {
    dir,
    namespace,
    syncName,
    canaries,
    plainObjects: [ns, cm, secret],
    async config(extra = {}, idFile = identityFile) {
      const doc = {
        apiVersion: 'gitops-seal.io/v1alpha1',
        kind: 'DaemonConfig',
        metadata: { name: 'cli-test' },
        spec: {
          sources: [
            {
              name: 'repo',
              url,
              ref: { branch: 'main' },
              credentials: { usernameFrom: { env: ENV_USER }, passwordFrom: { env: ENV_PASSWORD } },
            },
          ],
          syncs: [
            {
              name: syncName,
              source: 'repo',
              ...(extra.helm === undefined ? { path: 'deploy' } : {}),
              kubeconfig: { file: stack.kube.kubeconfig },
              decryption: { age: { identitiesFrom: [{ file: idFile }] } },
              ...extra,
            },
          ],
        },
      };
      const path = join(dir, `config-${randomBytes(3).toString('hex')}.yaml`);
      await writeFile(path, stringify(doc));
      return path;
    },
    async wrongIdentityFile() {
      const other = await generateAgeIdentity();
      const p = join(dir, 'wrong.key');
      await writeFile(p, other.file, { mode: 0o600 });
      return p;
    },
    run: (args, extraEnv = {}) => runCaptured(args, { env: { ...env, ...extraEnv }, cwd: dir, confirm: undefined }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Every form a canary could leak in: raw, base64, and base64 of the base64 (a doubly encoded value). */
export function leakForms(canaries: readonly string[]): string[] {
  return canaries.flatMap((c) => {
    const b64 = Buffer.from(c).toString('base64');
    return [c, b64, Buffer.from(b64).toString('base64')];
  });
}
