// Pure parts of the Vault transit key source. Everything that talks to Vault runs against the
// real server in transit.int.test.ts.
import { describe, expect, it } from 'vitest';

import { parseTransitUri } from '../index.js';

describe('parseTransitUri', () => {
  it('splits address, engine path and key like sops', () => {
    expect(parseTransitUri('https://vault.example.com:8200/v1/transit/keys/app')).toEqual({
      address: 'https://vault.example.com:8200',
      enginePath: 'transit',
      keyName: 'app',
    });
    expect(parseTransitUri('http://127.0.0.1:8200/v1/sops/transit/keys/k1/')).toEqual({
      address: 'http://127.0.0.1:8200',
      enginePath: 'sops/transit',
      keyName: 'k1',
    });
    expect(() => parseTransitUri('vault.example.com/transit/app')).toThrow(/transit/);
    expect(() => parseTransitUri('https://v/v1/transit/app')).toThrow(/formatted/);
  });
});
