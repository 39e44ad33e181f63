// The canary suite's fixture: manifests, the daemon's config, and the page-stream reader. The
// suite itself (canary.int.test.ts) is the sequence of things a user does; this is what it needs.
import type { StackInfo } from '../stack/types.js';

/**
 * The sync attempted `sha` and its lastError is that attempt's (the message names the revision):
 * attemptedRevision moves when a reconcile starts, while lastError still holds the previous one.
 */
export const refusedAt = (s: { attemptedRevision?: string; lastError?: { message: string } } | undefined, sha: string): boolean =>
  s?.attemptedRevision === sha && (s.lastError?.message.includes(`revision ${sha.slice(0, 12)}`) ?? false);

export const secretYaml = (name: string, ns: string, body: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ntype: Opaque\n${body}`;
export const RULE = { encryptedRegex: '^(data|stringData)$' };

export const deploymentYaml = (ns: string, image: string, tag: string): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ${ns}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: ${image}:${tag} # {"$imagepolicy": "app"}\n`;

/** One digit of lastmodified changes: every value still decrypts, only the MAC check fails. */
export const flipLastModified = (t: string): string =>
  t.replace(/(lastmodified:\s*"?\d{4}-\d\d-\d\dT\d\d:\d\d:\d)(\d)/, (_m, h: string, d: string) => `${h}${Number(d) ^ 1}`);

export interface SyncStatus {
  name: string;
  appliedRevision?: string;
  attemptedRevision?: string;
  lastError?: { stage: string; message: string };
}

export interface CanaryConfigOptions {
  stack: StackInfo;
  repoUrl: string;
  idFile: string;
  syncAge: string;
  syncVault: string;
  image: string;
}

/** Two syncs (age, Vault transit) of one repo, its generic webhook, and an image automation beside them. */
export function canaryDaemonConfig(o: CanaryConfigOptions): object {
  const { stack, idFile } = o;
  const kubeconfig = { file: stack.kube.kubeconfig };
  return {
    apiVersion: 'gitops-seal.io/v1alpha1',
    kind: 'DaemonConfig',
    spec: {
      sources: [
        {
          name: 'repo',
          url: o.repoUrl,
          ref: { branch: 'main' },
          interval: '1h',
          credentials: { usernameFrom: { env: 'REL_GIT_USER' }, passwordFrom: { env: 'REL_GIT_PASSWORD' } },
          webhook: { type: 'generic', secretFrom: { env: 'REL_HOOK_SECRET' } },
        },
      ],
      syncs: [
        {
          name: o.syncAge,
          source: 'repo',
          path: 'apps',
          interval: '1h',
          kubeconfig,
          decryption: { age: { identitiesFrom: [{ file: idFile }] } },
        },
        {
          name: o.syncVault,
          source: 'repo',
          path: 'vault',
          interval: '1h',
          kubeconfig,
          decryption: {
            vault: {
              address: stack.vault.addr,
              transitMount: stack.vault.transitMount,
              auth: { token: { from: { env: 'REL_VAULT_TOKEN' } } },
            },
          },
        },
      ],
      images: [
        {
          name: 'app',
          image: o.image,
          interval: '1s',
          insecure: true,
          credentials: { usernameFrom: { env: 'REL_REG_USER' }, passwordFrom: { env: 'REL_REG_PASSWORD' } },
          policy: { semver: { range: '>=1.0.0' } },
        },
      ],
      imageUpdates: [{ name: 'bump', source: 'repo', path: 'apps', author: { name: 'gitops-seal bot', email: 'bot@gitops-seal.io' } }],
    },
  };
}

/** The daemon's and the CLI's environment: every credential the config names by {env}. */
export const canaryEnv = (stack: StackInfo, hookSecret: string): NodeJS.ProcessEnv => ({
  ...process.env,
  LOG_LEVEL: 'debug',
  REL_GIT_USER: stack.git.username,
  REL_GIT_PASSWORD: stack.git.password,
  REL_VAULT_TOKEN: stack.vault.rootToken,
  REL_HOOK_SECRET: hookSecret,
  REL_REG_USER: stack.registry.token.username,
  REL_REG_PASSWORD: stack.registry.token.password,
});

/** Reads a server-sent event stream into memory until stop(). */
export async function readStream(url: string): Promise<{ text: string; stop: () => void }> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status}`);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  const out = { text: '', stop: () => ac.abort() };
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      out.text += dec.decode(value, { stream: true });
    }
  })();
  return out;
}
