import { field, generationPending, num, progressing, ready, str, type HealthCheck } from './types.js';

export const statefulSetHealth: HealthCheck = (obj) => {
  if (generationPending(obj)) return progressing('waiting for the controller to observe the new generation');
  // OnDelete: pods are only replaced by hand, so there is no rollout to wait for.
  if (str(obj, 'spec', 'updateStrategy', 'type') === 'OnDelete') return ready('update strategy OnDelete');
  const want = num(obj, 'spec', 'replicas') ?? 1;
  const readyReplicas = num(obj, 'status', 'readyReplicas') ?? 0;
  if (readyReplicas < want) return progressing(`${readyReplicas}/${want} replicas ready`);
  const partition = num(obj, 'spec', 'updateStrategy', 'rollingUpdate', 'partition') ?? 0;
  if (partition > 0) {
    const updated = num(obj, 'status', 'updatedReplicas') ?? 0;
    if (updated < want - partition) return progressing(`${updated}/${want - partition} replicas updated (partition ${partition})`);
    return ready(`partitioned rollout done (${updated} updated)`);
  }
  const cur = field(obj, 'status', 'currentRevision');
  const upd = field(obj, 'status', 'updateRevision');
  if (upd !== undefined && cur !== upd) return progressing('waiting for the rolling update to finish');
  return ready(`${readyReplicas}/${want} replicas ready`);
};
