// `npm run stack`: start the local stack and keep it running until Ctrl-C, printing the
// endpoints and a kubeconfig a person can use with kubectl.
import { writeFileSync } from 'node:fs';
import { startStack } from './stack.js';

const t0 = Date.now();
console.log('[stack] starting etcd, kube-apiserver, controller-manager, scheduler, kwok, OpenBao, registries, git server, sshd…');
const stack = await startStack();
const s = stack.info;
// `--info-file F` writes the endpoints as JSON; tests run with GITOPS_SEAL_STACK_INFO=F reuse
// this stack instead of starting their own (development only).
const infoIdx = process.argv.indexOf('--info-file');
const infoFile = infoIdx > 0 ? process.argv[infoIdx + 1] : undefined;
if (infoFile) writeFileSync(infoFile, JSON.stringify(s, null, 2), { mode: 0o600 });
console.log(`[stack] up in ${((Date.now() - t0) / 1000).toFixed(1)}s
  Kubernetes   ${s.kube.server}   nodes: ${s.kube.nodes.join(', ')}
               export KUBECONFIG=${s.kube.kubeconfig}
               kubectl: ${s.bins.kubectl}
  OpenBao      ${s.vault.addr}   transit: ${s.vault.transitUri}
               (root token in the dev server log: ${s.logDir})
  Registry     basic: ${s.registry.basic.url}   token: ${s.registry.token.url}
  Git          ${s.git.url}<repo>.git
  SSH          ${s.ssh?.url ?? '(none)'}<repo>.git   known_hosts: ${s.ssh?.knownHostsFile ?? ''}
  Logs         ${s.logDir}
Press Ctrl-C to stop everything.`);
const shutdown = async (): Promise<void> => {
  console.log('\n[stack] stopping…');
  await stack.stop();
  process.exit(0);
};
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
setInterval(() => undefined, 1 << 30);
