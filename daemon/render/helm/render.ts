// renderHelm: one Helm release of a sync → CRDs, objects, hooks by phase, and the chart identity.
// Order of work: the values files are read as committed and the chart identified (Git: blob ids;
// repository/OCI: fetched, verified, cached by digest) — together they give the render identity,
// and a result cached under it is returned without decrypting or running helm. Otherwise the SOPS
// values are decrypted in memory (a tampered or wrong-key file refuses the render, naming it),
// and helm renders a LOCAL chart with the values handed through descriptors: helm needs no
// network and no credentials, and never sees a values file on disk.

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { ManifestError } from '../../manifests/index.js';
import { withScratch, writeScratchFile } from '../scratch.js';
import { RenderToolError, runTool } from '../tool.js';
import { defaultChartCache } from './chart-cache.js';
import { helmCommand, templateArgs } from './command.js';
import { HelmRenderError } from './errors.js';
import { layOutGitChart, resolveGitChart, type GitChart } from './git-chart.js';
import { classify } from './hooks.js';
import { fetchHttpChart, type FetchContext, type FetchedChart } from './http-repo.js';
import { fetchOciChart } from './oci.js';
import { parseRendered } from './output.js';
import type { ChartIdentity, ChartSource, HelmRenderInput, HelmRenderResult } from './types.js';
import { decryptValues, encryptedValuesFiles, readValues, type Values } from './values.js';

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
  const valuesFiles = input.valuesFiles ?? [];
  const includeCrds = input.includeCrds !== false;
  const isUpgrade = input.isUpgrade === true;

  const committed = await readValues(input.sync, input.revision, valuesFiles, input.values);
  let chart: { git: GitChart } | { fetched: FetchedChart };
  if ('git' in input.chart) {
    chart = { git: await resolveGitChart(input.sync, input.revision, input.chart.git.path, new Set(valuesFiles)) };
  } else {
    const ctx: FetchContext = {
      sync: input.sync,
      env: input.env ?? process.env,
      cache: input.cache ?? defaultChartCache,
      timeoutMs: Math.min(remaining(), 30_000),
      ...(input.signal ? { signal: input.signal } : {}),
    };
    chart = {
      fetched: 'repository' in input.chart ? await fetchHttpChart(input.chart.repository, ctx) : await fetchOciChart(input.chart.oci, ctx),
    };
  }
  const identityOfChart = 'git' in chart ? chart.git.identity : chart.fetched.identity;
  const identity = renderIdentity(identityOfChart, committed.digest, input, includeCrds, isUpgrade);
  // The helm binary is part of the key, not of the identity: another helm may render differently.
  const cacheKey = `${identity}\0${input.tools.helm}`;
  const hit = input.renderCache?.get(input.sync, cacheKey);
  if (hit) return { ...hit, cached: true };

  const values = await decryptValues(input.sync, committed, input.keys);
  const result = await withScratch(async (scratch) => {
    let chartPath: string;
    let mapPath: (source: string) => string = (s) => s;
    if ('git' in chart) {
      chartPath = await layOutGitChart(input.sync, input.revision, chart.git, scratch);
      // helm names templates `<chart name>/…`; errors and provenance use the repo path.
      const prefix = `${chart.git.identity.name}/`;
      const dir = chart.git.path;
      mapPath = (s) => (s.startsWith(prefix) ? posix.join(dir, s.slice(prefix.length)) : s);
    } else {
      chartPath = await writeScratchFile(scratch, 'chart.tgz', chart.fetched.archive);
    }
    return runHelm(input, { chart: identityOfChart, chartPath, scratch, mapPath, values, timeoutMs: remaining(), includeCrds, isUpgrade });
  });
  const out: HelmRenderResult = {
    chart: identityOfChart,
    valuesDigest: committed.digest,
    identity,
    decryptedFiles: encryptedValuesFiles(committed),
    ...result,
    cached: false,
  };
  input.renderCache?.set(input.sync, cacheKey, out);
  return out;
}

type Rendered = Pick<HelmRenderResult, 'crds' | 'objects' | 'hooks' | 'skippedHooks' | 'warnings'>;

interface HelmRun {
  chart: ChartIdentity;
  chartPath: string;
  scratch: string;
  mapPath: (source: string) => string;
  values: Values;
  timeoutMs: number;
  includeCrds: boolean;
  isUpgrade: boolean;
}

async function runHelm(input: HelmRenderInput, r: HelmRun): Promise<Rendered> {
  const { chart, values, isUpgrade } = r;
  const subject = describeChart(input.chart);
  const args = templateArgs({
    release: input.release,
    chartPath: r.chartPath,
    capabilities: input.capabilities,
    includeCrds: r.includeCrds,
    isUpgrade,
  });
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
      cwd: r.scratch,
      scratch: r.scratch,
      inputs: values.layers.map((l) => l.bytes),
      timeoutMs: r.timeoutMs,
      maxOutputBytes: input.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
      secrets: () => values.secrets,
    });
    stdout = out.stdout.toString('utf8');
    stderr = out.stderr;
  } catch (e) {
    if (e instanceof RenderToolError) {
      const reason = e.reason === 'timeout' ? 'timeout' : e.reason === 'output-limit' ? 'output' : 'helm';
      const what =
        e.reason === 'timeout'
          ? 'timed out'
          : e.reason === 'output-limit'
            ? 'output too large'
            : e.reason === 'spawn'
              ? 'could not start helm'
              : 'helm template failed';
      throw new HelmRenderError({
        sync: input.sync,
        reason,
        subject,
        detail: `${chart.name} ${chart.version}: ${what}${e.toolMessage ? `: ${repoPaths(e.toolMessage, r.mapPath)}` : ''}`,
        cause: e,
      });
    }
    throw e;
  }
  let objects;
  try {
    objects = parseRendered(stdout, r.mapPath);
  } catch (e) {
    if (e instanceof ManifestError)
      throw new HelmRenderError({
        sync: input.sync,
        reason: 'output',
        subject,
        detail: `${chart.name} ${chart.version}: rendered output refused: ${e.message}`,
        cause: e,
      });
    throw e;
  }
  return {
    ...classify(objects, isUpgrade),
    warnings: stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
  };
}

/** helm names files `<chart>/templates/x.yaml`; a Git chart's errors name the repository path instead. */
function repoPaths(message: string, mapPath: (source: string) => string): string {
  return message.replace(/(^|[\s(])([\w.-]+\/[^\s:)]+)/g, (all, lead: string, path: string) => `${lead}${mapPath(path)}`);
}

/** Everything that determines helm's output, hashed: equal identity means an equal render. */
export function renderIdentity(
  chart: ChartIdentity,
  valuesDigest: string,
  input: Pick<HelmRenderInput, 'release' | 'capabilities'>,
  includeCrds: boolean,
  isUpgrade: boolean,
): string {
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
