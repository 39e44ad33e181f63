// The real Kubernetes control plane for tests: embedded etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler (one hyperkube-style binary built from
// k8s.io/kubernetes by build/kube.sh), plus kwok managing a few fake nodes so that
// Deployments, StatefulSets and Jobs really roll out.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cachedBin, versions } from './cache.js';
import { freePort, logDir, retryPortClash, startProcess, stopProcess, StackError, waitFor, type Proc } from './procs.js';
import type { KubeInfo, Started } from './types.js';

const run = promisify(execFile);

export interface KubeBins {
  kubeStack: string;
  kwok: string;
}

export function kubeBins(): KubeBins {
  const v = versions();
  const kubeStack = cachedBin('kube', v.KUBERNETES_VERSION ?? '', 'kube-stack');
  const kwok = cachedBin('kwok', v.KWOK_VERSION ?? '', 'kwok');
  for (const [what, path] of [
    ['Kubernetes control plane', kubeStack],
    ['kwok', kwok],
  ] as const) {
    if (!existsSync(path)) {
      throw new StackError('kube', `${what} not built (${path} missing): run \`bash test/stack/install.sh\``);
    }
  }
  return { kubeStack, kwok };
}

/** GET a path on the apiserver with the admin token; resolves with status and body. */
export function kubeRequest(
  info: Pick<KubeInfo, 'server' | 'token' | 'caFile'>,
  path: string,
  opts: { method?: string; body?: string; contentType?: string } = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(path, info.server);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: readFileSync(info.caFile),
        headers: {
          authorization: `Bearer ${info.token}`,
          accept: 'application/json',
          ...(opts.body !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout ${url.pathname}`)));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  // JSON is YAML; kubectl and @kubernetes/client-node both read it.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'gitops-seal-test', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'gitops-seal-test', context: { cluster: 'gitops-seal-test', user: 'admin' } }],
      'current-context': 'gitops-seal-test',
    },
    null,
    2,
  );
}

function fakeNode(name: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': name,
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  };
}

export interface KubeOptions {
  nodes?: number;
  /** Directory for certs, etcd data and kubeconfig; default under the stack log dir. */
  dir?: string;
  /** Serve /debug/pprof on the apiserver (bench/apiserver-profile.ts); off by default. */
  profiling?: boolean;
  /**
   * Write an audit log (JSON lines, `<dir>/audit.log`): `true` for WRITES_AUDIT_POLICY (every
   * write at Metadata level — verb, object, user agent; no bodies), or a policy file of the
   * caller's. Off by default.
   */
  audit?: boolean | { policyFile: string };
}

/**
 * Metadata level (who, what object, which verb, the User-Agent; never a request or response
 * body — a Secret's value never reaches the log) for every write, nothing for reads and watches.
 */
export const WRITES_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
`;

/** The apiserver flags of an audit log at <dir>/audit.log, or none. */
function auditFlags(dir: string, audit: KubeOptions['audit']): { flags: string[]; log?: string } {
  if (!audit) return { flags: [] };
  let policyFile: string;
  if (audit === true) {
    policyFile = join(dir, 'audit-policy.yaml');
    writeFileSync(policyFile, WRITES_AUDIT_POLICY);
  } else policyFile = audit.policyFile;
  const log = join(dir, 'audit.log');
  // batch mode off (the default for the log backend is blocking): a line per request as it ends.
  return {
    flags: [`--audit-policy-file=${policyFile}`, `--audit-log-path=${log}`, '--audit-log-format=json', '--audit-log-maxsize=0'],
    log,
  };
}

export function startKube(opts: KubeOptions = {}): Promise<Started<KubeInfo>> {
  const base = opts.dir ?? join(logDir(), 'kube');
  return retryPortClash((attempt) => startKubeOnce(opts, attempt === 0 ? base : `${base}-${attempt}`));
}

async function startKubeOnce(opts: KubeOptions, dir: string): Promise<Started<KubeInfo>> {
  const bins = kubeBins();
  mkdirSync(dir, { recursive: true });
  const pki = join(dir, 'pki');
  await run(bins.kubeStack, ['pki', pki]);
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  const [etcdPort, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const procs: Proc[] = [];
  const stop = async (): Promise<void> => {
    for (const p of procs.reverse()) await stopProcess(p);
  };
  try {
    const etcd = startProcess('etcd', bins.kubeStack, [
      'etcd',
      '--data-dir',
      join(dir, 'etcd'),
      '--client-port',
      String(etcdPort),
      '--peer-port',
      String(etcdPeer),
    ]);
    procs.push(etcd);
    await waitFor('etcd', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, { proc: etcd, timeoutMs: 60_000 });

    const server = `https://127.0.0.1:${apiPort}`;
    const caFile = join(pki, 'ca.crt');
    const audit = auditFlags(dir, opts.audit);
    const apiserver = startProcess('kube-apiserver', bins.kubeStack, [
      'kube-apiserver',
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--client-ca-file=${caFile}`,
      `--token-auth-file=${tokenFile}`,
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--authorization-mode=Node,RBAC',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--allow-privileged=true',
      // The default reconciler would publish 127.0.0.1 as the kubernetes Service endpoint,
      // which Endpoints validation rejects (loopback) — and nothing here routes to it anyway.
      '--endpoint-reconciler-type=none',
      `--cert-dir=${join(dir, 'certs')}`,
      `--profiling=${opts.profiling === true}`,
      ...audit.flags,
    ]);
    procs.push(apiserver);
    const info: KubeInfo = {
      server,
      token,
      kubeconfig: join(dir, 'kubeconfig'),
      caFile,
      nodes: [],
      ...(audit.log ? { auditLog: audit.log } : {}),
    };
    await waitFor('kube-apiserver /readyz', async () => (await kubeRequest(info, '/readyz')).status === 200, {
      proc: apiserver,
      timeoutMs: 120_000,
    });
    writeFileSync(info.kubeconfig, kubeconfigYaml(server, caFile, token), { mode: 0o600 });

    procs.push(
      startProcess('kube-controller-manager', bins.kubeStack, [
        'kube-controller-manager',
        `--kubeconfig=${info.kubeconfig}`,
        '--leader-elect=false',
        `--service-account-private-key-file=${join(pki, 'sa.key')}`,
        `--root-ca-file=${caFile}`,
        '--use-service-account-credentials=false',
        '--secure-port=0',
        '--controllers=*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle,-route',
      ]),
      startProcess('kube-scheduler', bins.kubeStack, [
        'kube-scheduler',
        `--kubeconfig=${info.kubeconfig}`,
        '--leader-elect=false',
        '--secure-port=0',
      ]),
    );

    const names = Array.from({ length: opts.nodes ?? 3 }, (_, i) => `kwok-node-${i}`);
    const nodeList = { apiVersion: 'v1', kind: 'List', items: names.map(fakeNode) };
    const nodesFile = join(dir, 'nodes.json');
    writeFileSync(nodesFile, JSON.stringify(nodeList));
    await run(bins.kubeStack, ['kubectl', `--kubeconfig=${info.kubeconfig}`, 'apply', '-f', nodesFile]);
    const kwokPort = await freePort();
    const kwok = startProcess('kwok', bins.kwok, [
      `--kubeconfig=${info.kubeconfig}`,
      `--config=${join(bins.kwok, '..', '..', 'stages.yaml')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--manage-nodes-with-label-selector=',
      '--cidr=10.244.0.1/16',
      '--node-ip=10.244.0.1',
      // Without a node lease kwok heartbeats a node only every 10–20 minutes (its stage set's
      // delay), so the node lifecycle controller marks every node NotReady ~50 s after each
      // heartbeat and kwok flips it back: a Pod created in that window is marked not ready for
      // good (kwok readies only Pending pods). That was CI's "Deployment available" timeout.
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${kwokPort}`,
    ]);
    procs.push(kwok);
    info.nodes = names;
    await waitFor(
      'kwok nodes Ready and default ServiceAccount',
      async () => {
        const nodes = JSON.parse((await kubeRequest(info, '/api/v1/nodes')).body) as {
          items?: { status?: { conditions?: { type: string; status: string }[] } }[];
        };
        const ready = (nodes.items ?? []).filter((n) =>
          (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        if (ready.length < names.length) return false;
        return (await kubeRequest(info, '/api/v1/namespaces/default/serviceaccounts/default')).status === 200;
      },
      { proc: kwok, timeoutMs: 90_000 },
    );
    return { info, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
