// ShardCoordinators on the stack's real Leases with short timings (2 s lease, 1.5 s renew
// deadline, 0.3 s retry): the coordinator and map-fence tests start replicas through this and
// stop them all at the end, without a release (as a killed process would leave them).
import type { KubeClient } from '../../daemon/kube/client.js';
import { createLogger } from '../../daemon/log.js';
import { GroupLeaseApi, ShardCoordinator, type ShardCallbacks, type ShardingOptions } from '../../daemon/shard/index.js';

const NOOP: ShardCallbacks = {
  onAcquired: () => undefined,
  onReleasing: () => Promise.resolve(),
  onLost: () => undefined,
};

export class TestCoordinators {
  private readonly all: ShardCoordinator[] = [];
  private readonly log = createLogger({ level: 'silent' });

  constructor(
    private readonly kube: KubeClient,
    readonly namespace = 'default',
  ) {}

  /** A started coordinator of `group` as `identity`; `extra` adds options (a map fingerprint, an advertised URL). */
  start(
    group: string,
    identity: string,
    shards: number,
    extra: Partial<ShardingOptions> = {},
    callbacks: ShardCallbacks = NOOP,
  ): ShardCoordinator {
    const opts: ShardingOptions = {
      group,
      namespace: this.namespace,
      identity,
      shards,
      leaseDurationMs: 2000,
      renewDeadlineMs: 1500,
      retryPeriodMs: 300,
      ...extra,
    };
    const c = new ShardCoordinator(new GroupLeaseApi(this.kube, this.namespace, group), opts, this.log, callbacks);
    this.all.push(c);
    c.start();
    return c;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((c) => c.stop({ release: false })));
  }
}
