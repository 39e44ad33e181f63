// The public half, published: ConfigMap `gitops-seal-cluster-key` beside the Secret, readable by
// anyone granted get on that one object (`kubectl get configmap … -o jsonpath`, or the CLI's
// `cluster-key fetch`), no port-forward. Written only when its data differs from what the
// Secret says, so a steady state costs one GET per check and no write.
import {
  CLUSTER_KEY_CONFIGMAP,
  CLUSTER_KEY_LABEL,
  publicFromConfigMapData,
  publicToConfigMapData,
  type ClusterKeyPublic,
} from '../../keys/index.js';
import type { KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import { configMapDiffers } from './decide.js';
import { ClusterKeyError } from './store.js';

interface ConfigMapObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; [k: string]: unknown };
  data?: Record<string, string>;
  [k: string]: unknown;
}

const MAX_ATTEMPTS = 5;

export class ClusterKeyConfigMap {
  readonly name: string;
  /** `ConfigMap <namespace>/<name>` */
  readonly id: string;
  private readonly collection: string;

  constructor(
    private readonly kube: KubeClient,
    readonly namespace: string,
    opts: { name?: string; timeoutMs?: number } = {},
  ) {
    this.name = opts.name ?? CLUSTER_KEY_CONFIGMAP;
    this.id = `ConfigMap ${namespace}/${this.name}`;
    this.collection = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  private readonly timeoutMs: number;

  /** Its data, or undefined when it does not exist. */
  async read(): Promise<Record<string, string> | undefined> {
    return (await this.get())?.data ?? undefined;
  }

  /**
   * The published key, or undefined when the ConfigMap does not exist (no key yet). A ConfigMap
   * that exists without a valid recipient is an error naming it, never "no key": a reader that
   * took it for "none" would skip a check the daemon makes.
   */
  async readPublished(): Promise<ClusterKeyPublic | undefined> {
    const cur = await this.get();
    return cur ? publicFromConfigMapData(cur.data, this.id) : undefined;
  }

  /** Makes the ConfigMap say `pub`; true when it was written (created or updated). */
  async publish(pub: ClusterKeyPublic): Promise<boolean> {
    const wanted = publicToConfigMapData(pub);
    for (let attempt = 1; ; attempt++) {
      const cur = await this.get();
      if (cur && !configMapDiffers(cur.data, wanted)) return false;
      const labels = { ...(cur?.metadata.labels ?? {}), [CLUSTER_KEY_LABEL]: 'true', 'app.kubernetes.io/name': 'gitops-seal' };
      const body: ConfigMapObject = cur
        ? { ...cur, metadata: { ...cur.metadata, labels }, data: wanted }
        : { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: this.name, namespace: this.namespace, labels }, data: wanted };
      try {
        await this.kube.request(cur ? `${this.collection}/${encodeURIComponent(this.name)}` : this.collection, {
          method: cur ? 'PUT' : 'POST',
          body,
          timeoutMs: this.timeoutMs,
        });
        return true;
      } catch (err) {
        // Another writer (a second leader's last check, a human): read again and compare.
        if (err instanceof KubeApiError && err.status === 409 && attempt < MAX_ATTEMPTS) continue;
        throw this.wrap(cur ? 'update' : 'create', err);
      }
    }
  }

  private async get(): Promise<ConfigMapObject | undefined> {
    try {
      return await this.kube.getOptional<ConfigMapObject>(`${this.collection}/${encodeURIComponent(this.name)}`, {
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      throw this.wrap('read', err);
    }
  }

  private wrap(op: 'read' | 'create' | 'update', err: unknown): ClusterKeyError {
    if (err instanceof KubeApiError) {
      const hint =
        err.status === 403
          ? ` (the ServiceAccount needs ${op === 'read' ? 'get' : op} on configmaps named ${this.name} in ${this.namespace})`
          : '';
      return new ClusterKeyError(this.id, `cannot ${op}: ${err.status} ${err.reason}: ${err.detail}${hint}`, err.status);
    }
    return new ClusterKeyError(this.id, `cannot ${op}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
