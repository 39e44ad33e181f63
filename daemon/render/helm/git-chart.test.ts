import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRepo, type TestRepo } from '../../../test/support/git-revision.js';
import { withScratch } from '../scratch.js';
import { HelmRenderError } from './errors.js';
import { layOutGitChart, normalizeChartPath } from './git-chart.js';

const TESTDATA = join(import.meta.dirname, 'testdata');
let repo: TestRepo;
beforeAll(async () => {
  repo = await testRepo();
  repo.copy(join(TESTDATA, 'webapp'), 'charts/webapp');
  repo.copy(join(TESTDATA, 'values/secrets.enc.yaml'), 'charts/webapp/secrets.enc.yaml');
});
afterAll(() => repo?.remove());

describe('normalizeChartPath', () => {
  it('makes the path repo-relative without slashes at either end', () => {
    expect(normalizeChartPath('./charts/web/')).toBe('charts/web');
    expect(normalizeChartPath('/charts//web')).toBe('charts/web');
    expect(normalizeChartPath('.')).toBe('');
  });
});

describe('layOutGitChart', () => {
  it('copies the chart (not the excluded values file) and digests it by blob ids', async () => {
    const revision = await repo.commit();
    const exclude = new Set(['charts/webapp/secrets.enc.yaml']);
    const { laid, files } = await withScratch(async (dir) => {
      const laid = await layOutGitChart('apps', revision, 'charts/webapp/', exclude, dir);
      const files = readdirSync(join(laid.dir, 'templates')).sort();
      expect(readFileSync(join(laid.dir, 'Chart.yaml'), 'utf8')).toBe(readFileSync(join(TESTDATA, 'webapp/Chart.yaml'), 'utf8'));
      expect(readdirSync(laid.dir)).not.toContain('secrets.enc.yaml');
      expect(statSync(join(laid.dir, 'Chart.yaml')).mode & 0o777).toBe(0o600);
      return { laid, files };
    });
    expect(files).toContain('secret.yaml');
    expect(laid.identity).toMatchObject({ name: 'webapp', version: '1.0.0', appVersion: '2.1.0', source: 'git:charts/webapp' });
    const again = await withScratch((dir) => layOutGitChart('apps', revision, 'charts/webapp', exclude, dir));
    expect(again.identity.digest).toBe(laid.identity.digest);

    repo.write('charts/webapp/templates/extra.yaml', 'kind: ConfigMap\n');
    const changed = await withScratch(async (dir) => layOutGitChart('apps', await repo.commit(), 'charts/webapp', exclude, dir));
    expect(changed.identity.digest).not.toBe(laid.identity.digest);
  });

  it('refuses a SOPS file inside the chart, a missing Chart.yaml and a path leaving the repo', async () => {
    const revision = await repo.commit();
    const err = (p: Promise<unknown>): Promise<HelmRenderError> => p.then(() => { throw new Error('expected a refusal'); }, (e: unknown) => e as HelmRenderError);
    const sops = await err(withScratch((dir) => layOutGitChart('apps', revision, 'charts/webapp', new Set(), dir)));
    expect(sops.reason).toBe('chart');
    expect(sops.subject).toBe('charts/webapp/secrets.enc.yaml');
    const missing = await err(withScratch((dir) => layOutGitChart('apps', revision, 'charts/none', new Set(), dir)));
    expect(missing.reason).toBe('not-found');
    const escape = await err(withScratch((dir) => layOutGitChart('apps', revision, '../x', new Set(), dir)));
    expect(escape.message).toMatch(/leaves the repository/);
  });
});
