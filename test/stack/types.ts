// What the running stack exposes to tests (vitest `inject('stack')`) and to `npm run stack`.
// Every component is a real server on 127.0.0.1; nothing here is a fake.

export interface KubeInfo {
  /** https://127.0.0.1:<port> of the real kube-apiserver. */
  server: string;
  /** Static admin bearer token (token-auth file), system:masters. */
  token: string;
  /** A kubeconfig file (context `gitops-seal-test`) a person or kubectl can use. */
  kubeconfig: string;
  /** PEM file of the apiserver's serving CA. */
  caFile: string;
  /** Names of the kwok fake nodes. */
  nodes: string[];
  /** The apiserver's audit log (JSON lines), when started with an audit policy (KubeOptions.audit). */
  auditLog?: string;
}

export interface VaultInfo {
  /** http://127.0.0.1:<port> of the real OpenBao (or Vault) dev server. */
  addr: string;
  /** Root token of the dev server. */
  rootToken: string;
  /** Transit engine mount (`sops`) and a key in it (`gitops-seal`). */
  transitMount: string;
  transitKey: string;
  /** `$ADDR/v1/<mount>/keys/<key>` — the sops hc_vault_transit_uri form. */
  transitUri: string;
  /** kv-v2 mount path. */
  kvMount: string;
  approle: { roleId: string; secretId: string; mount: string };
  /** Kubernetes auth mount and role bound to ServiceAccount namespace/name in the test cluster. */
  kubernetesAuth: { mount: string; role: string; serviceAccount: { namespace: string; name: string } } | null;
}

export interface RegistryEndpoint {
  /** e.g. 127.0.0.1:5001 (host:port, no scheme), plain HTTP on loopback. */
  host: string;
  url: string;
  username: string;
  password: string;
}

export interface RegistryInfo {
  basic: RegistryEndpoint;
  /** Token auth: the registry answers 401 with a Bearer challenge pointing at tokenRealm. */
  token: RegistryEndpoint & { tokenRealm: string; service: string };
}

export interface GitInfo {
  /** http://127.0.0.1:<port>/ ; repos at <url><name>.git */
  url: string;
  username: string;
  password: string;
  /** Directory of the bare repos on the server side. */
  reposDir: string;
  /** Control endpoint for tests: POST <controlUrl>/reject-pushes {"reject":true} */
  controlUrl: string;
}

export interface SshInfo {
  /** 127.0.0.1 and the port of the real OpenSSH sshd (test/stack/sshd.ts). */
  host: string;
  port: number;
  /** The login every key uses (the user the stack runs as). */
  user: string;
  /** ssh://<user>@127.0.0.1:<port>/ ; repos at <url><name>.git, the git http server's repos. */
  url: string;
  reposDir: string;
  /** known_hosts lines of the server's host keys (ed25519, ECDSA, RSA), `[127.0.0.1]:<port>` form. */
  knownHosts: string;
  /** The same, as a file (what `knownHostsFrom: {file: …}` points at). */
  knownHostsFile: string;
  /** Keys are added and removed by tests (sshd.ts authorizeKey / revokeKey). */
  authorizedKeysFile: string;
  /** The server's own directory (config, host keys, forced-command script). */
  dir: string;
  logFile: string;
}

export interface BinInfo {
  sops: string;
  age: string;
  ageKeygen: string;
  kubectl: string;
  kwok: string;
  git: string;
  /** Renderers at the pins of versions.env (tools.ts findRenderers). */
  kustomize: string;
  helm: string;
}

export interface StackInfo {
  kube: KubeInfo;
  vault: VaultInfo;
  registry: RegistryInfo;
  git: GitInfo;
  /** Absent in the info of a stack started before the SSH server was added. */
  ssh?: SshInfo;
  bins: BinInfo;
  /** Temp dir holding every server's log. */
  logDir: string;
}

/** A started component: what it exposes and how to stop it. */
export interface Started<T> {
  info: T;
  stop(): Promise<void>;
}
