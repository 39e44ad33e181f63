// `npm run stack`: start the local stack and keep it running until Ctrl-C, printing the
// endpoints and a kubeconfig a person can use with kubectl.
import { startStack } from './stack.js';

const t0 = Date.now();
console.log('[stack] starting etcd, kube-apiserver, controller-manager, scheduler, kwok, OpenBao, registries, git server…');
const stack = await startStack();
const s = stack.info;
console.log(`[stack] up in ${((Date.now() - t0) / 1000).toFixed(1)}s
  Kubernetes   ${s.kube.server}   nodes: ${s.kube.nodes.join(', ')}
               export KUBECONFIG=${s.kube.kubeconfig}
               kubectl: ${s.bins.kubectl}
  OpenBao      ${s.vault.addr}   transit: ${s.vault.transitUri}
               (root token in the dev server log: ${s.logDir})
  Registry     basic: ${s.registry.basic.url}   token: ${s.registry.token.url}
  Git          ${s.git.url}<repo>.git
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
