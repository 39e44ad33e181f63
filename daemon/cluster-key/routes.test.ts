import { describe, expect, it } from 'vitest';
import { keysRoutes } from './routes.js';

describe('GET /keys', () => {
  it('is 404 with a JSON error naming the setting when the cluster key is not enabled', async () => {
    const route = keysRoutes(undefined).routes[0];
    expect(route?.method).toBe('GET');
    expect(route?.path).toBe('/keys');
    expect(await route?.handle({ name: '', headers: {}, body: Buffer.alloc(0) })).toEqual({
      status: 404,
      json: { error: 'the cluster key is not enabled on this daemon (spec.clusterKey.enabled: true turns it on)' },
    });
  });
});
