// renderHelm: one Helm release of a sync → CRDs, objects, hooks by phase, and the chart identity.
// Order of work, cheapest refusal first: values files are read and SOPS ones verified and
// decrypted (a tampered file refuses before any network), the chart is fetched or laid out from
// the revision, then helm renders a LOCAL chart with values handed through descriptors — helm
// needs no network, no credentials, and never sees a values file on disk.

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { ManifestError } from '../../manifests/index.js';
import { withScratch, writeScratchFile } from '../scratch.js';
import { RenderToolError, runTool } from '../tool.js';
import { defaultChartCache } from './chart-cache.js';
import { helmCommand, templateArgs } from './command.js';
import { HelmRenderError } from './errors.js';
import { layOutGitChart } from './git-chart.js';
import { classify } from './hooks.js';
import { fetchHttpChart, type FetchContext } from './http-repo.js';
import { fetchOciChart } from './oci.js';
import { parseRendered } from './output.js';
import type { ChartIdentity, ChartSource, HelmRenderInput, HelmRenderResult } from './types.js';
import { loadValues } from './values.js';

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

/** The chart as errors and status name it. */
export function describeChart(c: ChartSource): string {
  if ('git' in c) return `git:${c.git.path}`;
  if ('repository' in c) return `${c.repository.chart} from ${c.repository.url}`;
  return c.oci.url;
}

export async function renderHelm(input: HelmRenderInput): Promise<HelmRenderResult> {
  const deadline = Date.now() + (input.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const remaining = (): number => Math.max(1, deadline - Date.now());
  const subject = describeChart(input.chart);
  const valuesFiles = input.valuesFiles ?? [];
  const values = await loadValues(input.sync, input.revision, valuesFiles, input.values, input.keys);
  const includeCrds = input.includeCrds !== false;
  const isUpgrade = input.isUpgrade === true;

  return withScratch(async (scratch) => {
    let chartPath: string;
    let chart: ChartIdentity;
    let mapPath: (source: string) => string = (s) => s;
    if ('git' in input.chart) {
      const laid = await layOutGitChart(input.sync, input.revision, input.chart.git.path, new Set(valuesFiles), scratch);
      chartPath = laid.dir;
      chart = laid.identity;
      // helm names templates `<chart name>/…`; errors and provenance use the repo path.
      const repoDir = chart.source.slice('git:'.length);
      const prefix = `${chart.name}/`;
      mapPath = (s) => (s.startsWith(prefix) ? posix.join(repoDir === '/' ? '' : repoDir, s.slice(prefix.length)) : s);
    } else {
      const ctx: FetchContext = {
        sync: input.sync,
        env: input.env ?? process.env,
        cache: input.cache ?? defaultChartCache,
        timeoutMs: Math.min(remaining(), 30_000),
        ...(input.signal ? { signal: input.signal } : {}),
      };
      const fetched = 'repository' in input.chart ? await fetchHttpChart(input.chart.repository, ctx) : await fetchOciChart(input.chart.oci, ctx);
      chart = fetched.identity;
      chartPath = await writeScratchFile(scratch, 'chart.tgz', fetched.archive);
    }

    const args = templateArgs({ release: input.release, chartPath, capabilities: input.capabilities, includeCrds, isUpgrade });
    const cmd = helmCommand(input.tools, args, values.layers.length);
    let stdout: string;
    let stderr: string;
    try {
      const out = await runTool({
        sync: input.sync,
        subject,
        tool: 'helm',
        bin: cmd.bin,
        args: cmd.args,
        cwd: scratch,
        scratch,
        inputs: values.layers.map((l) => l.bytes),
        timeoutMs: remaining(),
        maxOutputBytes: input.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
        secrets: () => values.secrets,
      });
      stdout = out.stdout.toString('utf8');
      stderr = out.stderr;
    } catch (e) {
      if (e instanceof RenderToolError) {
        const reason = e.reason === 'timeout' ? 'timeout' : e.reason === 'output-limit' ? 'output' : 'helm';
        const what = e.reason === 'timeout' ? 'timed out' : e.reason === 'output-limit' ? 'output too large' : e.reason === 'spawn' ? 'could not start helm' : 'helm template failed';
        throw new HelmRenderError({ sync: input.sync, reason, subject, detail: `${chart.name} ${chart.version}: ${what}${e.toolMessage ? `: ${e.toolMessage}` : ''}`, cause: e });
      }
      throw e;
    }

    let objects;
    try {
      objects = parseRendered(stdout, mapPath);
    } catch (e) {
      if (e instanceof ManifestError) throw new HelmRenderError({ sync: input.sync, reason: 'output', subject, detail: `${chart.name} ${chart.version}: rendered output refused: ${e.message}`, cause: e });
      throw e;
    }
    const classified = classify(objects, isUpgrade);
    const identity = renderIdentity(chart, values.digest, input, includeCrds, isUpgrade);
    return {
      chart,
      valuesDigest: values.digest,
      identity,
      ...classified,
      warnings: stderr.split('\n').map((l) => l.trim()).filter((l) => l !== ''),
    };
  });
}

/** Everything that determines helm's output, hashed: equal identity means an equal render. */
export function renderIdentity(chart: ChartIdentity, valuesDigest: string, input: Pick<HelmRenderInput, 'release' | 'capabilities'>, includeCrds: boolean, isUpgrade: boolean): string {
  const doc = {
    chart: chart.digest,
    values: valuesDigest,
    release: [input.release.name, input.release.namespace],
    kubeVersion: input.capabilities.kubeVersion,
    apiVersions: [...input.capabilities.apiVersions].sort(),
    includeCrds,
    isUpgrade,
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(doc)).digest('hex')}`;
}
