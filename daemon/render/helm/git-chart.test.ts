import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRepo, type TestRepo } from '../../../test/support/git-revision.js';
import { withScratch } from '../scratch.js';
import { HelmRenderError } from './errors.js';
import { layOutGitChart, normalizeChartPath, resolveGitChart } from './git-chart.js';

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
    const chart = await resolveGitChart('apps', revision, 'charts/webapp/', exclude);
    expect(chart.identity).toMatchObject({ name: 'webapp', version: '1.0.0', appVersion: '2.1.0', source: 'git:charts/webapp' });
    const files = await withScratch(async (dir) => {
      const laid = await layOutGitChart('apps', revision, chart, dir);
      expect(readFileSync(join(laid, 'Chart.yaml'), 'utf8')).toBe(readFileSync(join(TESTDATA, 'webapp/Chart.yaml'), 'utf8'));
      expect(readdirSync(laid)).not.toContain('secrets.enc.yaml');
      expect(statSync(join(laid, 'Chart.yaml')).mode & 0o777).toBe(0o600);
      return readdirSync(join(laid, 'templates')).sort();
    });
    expect(files).toContain('secret.yaml');
    // Without blob ids (a reader that only reads) the digest is made from contents: still stable.
    const plain = { listFiles: (p: string) => revision.listFiles(p), readFile: (p: string) => revision.readFile(p) };
    const byContent = await resolveGitChart('apps', plain, 'charts/webapp', exclude);
    expect((await resolveGitChart('apps', plain, 'charts/webapp', exclude)).identity.digest).toBe(byContent.identity.digest);
    expect((await resolveGitChart('apps', revision, 'charts/webapp', exclude)).identity.digest).toBe(chart.identity.digest);

    repo.write('charts/webapp/templates/extra.yaml', 'kind: ConfigMap\n');
    const changed = await resolveGitChart('apps', await repo.commit(), 'charts/webapp', exclude);
    expect(changed.identity.digest).not.toBe(chart.identity.digest);
    repo.write('README.md', 'elsewhere\n');
    const elsewhere = await resolveGitChart('apps', await repo.commit(), 'charts/webapp', exclude);
    expect(elsewhere.identity.digest).toBe(changed.identity.digest);
  });

  it('refuses a SOPS file inside the chart, a missing Chart.yaml and a path leaving the repo', async () => {
    const revision = await repo.commit();
    const err = (p: Promise<unknown>): Promise<HelmRenderError> =>
      p.then(
        () => {
          throw new Error('expected a refusal');
        },
        (e: unknown) => e as HelmRenderError,
      );
    const sops = await err(
      resolveGitChart('apps', revision, 'charts/webapp', new Set()).then((c) =>
        withScratch((dir) => layOutGitChart('apps', revision, c, dir)),
      ),
    );
    expect(sops.reason).toBe('chart');
    expect(sops.subject).toBe('charts/webapp/secrets.enc.yaml');
    const missing = await err(resolveGitChart('apps', revision, 'charts/none', new Set()));
    expect(missing.reason).toBe('not-found');
    repo.write('charts/evil/Chart.yaml', 'apiVersion: v2\nname: ../../etc\nversion: 1.0.0\n');
    const evil = await err(resolveGitChart('apps', await repo.commit(), 'charts/evil', new Set()));
    expect(evil.message).toMatch(/charts\/evil\/Chart\.yaml: Chart\.yaml name must be/);
    const escape = await err(resolveGitChart('apps', revision, '../x', new Set()));
    expect(escape.message).toMatch(/leaves the repository/);
  });
});
