import { describe, expect, it } from 'vitest';
import { replicaOfUserAgent, replicaUserAgent } from './user-agent.js';

describe('replica User-Agent', () => {
  it('names the replica and reads back, also identities with spaces, parentheses and underscores', () => {
    for (const id of ['gitops-seal-7d9f-abcde', 'host_1234', 'odd (name)']) expect(replicaOfUserAgent(replicaUserAgent(id))).toBe(id);
    expect(replicaOfUserAgent('gitops-seal')).toBeUndefined();
    expect(replicaOfUserAgent('kubectl/v1.33.0 (linux/amd64) kubernetes/abc')).toBeUndefined();
  });
});
