import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, retryPortClash } from './procs.js';

describe('freePort', () => {
  it('hands out distinct ports below the ephemeral range that a server can bind', async () => {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(10000);
      expect(p).toBeLessThan(Math.min(ephemeralLow, 32768));
    }
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });
});

describe('retryPortClash', () => {
  it('starts again after a bind clash and returns the later attempt', async () => {
    const seen: number[] = [];
    const got = await retryPortClash(async (attempt) => {
      seen.push(attempt);
      if (attempt < 2) throw new Error('listen tcp 127.0.0.1:45395: bind: address already in use');
      return 'up';
    });
    expect(got).toBe('up');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('fails at once on any other error, and after the last clash', async () => {
    let calls = 0;
    await expect(
      retryPortClash(async () => {
        calls++;
        throw new Error('etcd: permission denied');
      }),
    ).rejects.toThrow('permission denied');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      retryPortClash(async () => {
        calls++;
        throw new Error('bind: address already in use');
      }, 2),
    ).rejects.toThrow('address already in use');
    expect(calls).toBe(2);
  });
});
