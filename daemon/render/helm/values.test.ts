import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRepo, type TestRepo } from '../../../test/support/git-revision.js';
import { testAgeIdentities } from '../../../test/support/test-age-key.js';
import { HelmRenderError } from './errors.js';
import type { RevisionReader } from './types.js';
import { loadValues } from './values.js';

const TESTDATA = join(import.meta.dirname, 'testdata');
const keys = { ageIdentities: testAgeIdentities };

let repo: TestRepo;
let revision: RevisionReader;
beforeAll(async () => {
  repo = await testRepo();
  repo.copy(join(TESTDATA, 'values'), 'values');
  revision = await repo.commit();
});
afterAll(() => repo?.remove());

describe('loadValues', () => {
  it('keeps file order, decrypts SOPS files in memory, puts inline values last as JSON', async () => {
    const v = await loadValues('apps', revision, ['values/staging.yaml', 'values/secrets.enc.yaml'], { replicaCount: 3 }, keys);
    expect(v.layers.map((l) => [l.label, l.secret])).toEqual([
      ['values/staging.yaml', false],
      ['values/secrets.enc.yaml', true],
      ['inline values', false],
    ]);
    expect(v.layers[0]?.bytes.toString()).toBe(readFileSync(join(TESTDATA, 'values/staging.yaml'), 'utf8'));
    expect(v.layers[1]?.bytes.toString()).toMatch(/password: dummy-helm-fixture-password/);
    expect(v.layers[1]?.bytes.toString()).not.toMatch(/sops:|ENC\[/);
    expect(v.layers[2]?.bytes.toString()).toBe('{"replicaCount":3}');
    // Redaction list: the decrypted strings, not the short or plain ones.
    expect(v.secrets).toEqual(['app-staging', 'dummy-helm-fixture-password']);
  });

  it('digests the values as committed: stable, order-sensitive, no empty inline layer', async () => {
    const a = await loadValues('apps', revision, ['values/staging.yaml', 'values/secrets.enc.yaml'], undefined, keys);
    const b = await loadValues('apps', revision, ['values/staging.yaml', 'values/secrets.enc.yaml'], {}, keys);
    const c = await loadValues('apps', revision, ['values/secrets.enc.yaml', 'values/staging.yaml'], undefined, keys);
    expect(a.digest).toBe(b.digest);
    expect(b.layers).toHaveLength(2);
    expect(c.digest).not.toBe(a.digest);
  });

  it('names the missing file and the file that no key opens', async () => {
    const missing = await loadValues('apps', revision, ['values/none.yaml', 'values/staging.yaml'], undefined, keys).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(HelmRenderError);
    expect((missing as HelmRenderError).message).toBe('sync apps: helm chart values/none.yaml: values file not found in the revision');
    const noKey = await loadValues('apps', revision, ['values/secrets.enc.yaml'], undefined, { ageIdentities: [] }).catch(
      (e: unknown) => e,
    );
    expect((noKey as HelmRenderError).reason).toBe('values');
    expect((noKey as HelmRenderError).message).toMatch(/values\/secrets\.enc\.yaml: decryption failed: no key/);
  });
});
