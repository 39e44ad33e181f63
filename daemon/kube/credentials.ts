// Where a KubeClient gets its server, TLS material and auth headers.
//
// @kubernetes/client-node's KubeConfig is the authority on kubeconfig semantics (contexts,
// in-cluster, exec plugins, auth providers), but importing it loads the library's whole
// generated API: ~70 MiB of RSS for a daemon whose target is 150 MiB. So the daemon asks it in
// a short-lived worker thread: the worker loads the kubeconfig, computes the request options
// once and exits, taking its heap with it (RSS +26 MiB instead of +73 MiB, measured). That is
// enough whenever the credentials are static (token, client certificate, basic auth) or a
// token file (the in-cluster ServiceAccount: re-read every minute, as client-node and client-go
// do). Exec plugins and auth providers (oidc, gcp, azure) mint tokens that only the library
// can refresh: for those the KubeConfig is loaded in this thread and kept.
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigLoadError, locateKubeconfig, type KubeconfigLocation, type LoadOptions } from './locate.js';

export { KubeconfigError, type LoadOptions } from './locate.js';

/** Server, TLS and auth headers of the current context; headers() may refresh. */
export interface AuthSource {
  readonly server: string;
  readonly tls: https.AgentOptions;
  headers(): Promise<Record<string, string>>;
}

// Credentials can rotate (projected ServiceAccount tokens, exec plugins); headers are
// recomputed at most this often rather than per request.
const AUTH_REFRESH_MS = 60_000;

/** The KubeConfig itself, refreshed through applyToHTTPSOptions (exec, auth providers, CLI). */
export async function kubeConfigAuth(kc: KubeConfig): Promise<AuthSource> {
  const cluster = kc.getCurrentCluster();
  // Plain Errors here and below: kubeconfigLoadError wraps them naming the file.
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const probe: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(probe);
  let cached: { headers: Record<string, string>; at: number } | undefined;
  return {
    server: cluster.server,
    tls: tlsOf(probe),
    async headers() {
      const now = Date.now();
      if (!cached || now - cached.at > AUTH_REFRESH_MS) {
        const opts: https.RequestOptions = {};
        await kc.applyToHTTPSOptions(opts);
        cached = { headers: headersOf(opts.headers, opts.auth ?? undefined), at: now };
      }
      return cached.headers;
    },
  };
}

/** Load the kubeconfig as client-node does, holding the library only when the credentials need it. */
export async function loadAuth(load: LoadOptions): Promise<AuthSource> {
  const where = locateKubeconfig(load);
  let r: Resolved;
  try {
    r = await resolveInWorker(where, load.env ?? process.env);
  } catch (err) {
    throw kubeconfigLoadError(where, err);
  }
  if (r.needsLibrary) return loadAuthInThread(load);
  let headers = r.headers;
  let at = Date.now();
  return {
    server: r.server,
    tls: r.tls,
    async headers() {
      if (r.tokenFile && Date.now() - at > AUTH_REFRESH_MS) {
        headers = { ...headers, authorization: `Bearer ${readFileSync(r.tokenFile, 'utf8')}` };
        at = Date.now();
      }
      return headers;
    },
  };
}

/** Load the kubeconfig and compute auth with client-node in this thread (exec plugins, auth providers, the CLI). */
export async function loadAuthInThread(load: LoadOptions): Promise<AuthSource> {
  const kc = await loadKubeConfig(load);
  try {
    return await kubeConfigAuth(kc);
  } catch (err) {
    throw kubeconfigLoadError(locateKubeconfig(load), err);
  }
}

/** client-node's KubeConfig for these options, in this thread. */
export async function loadKubeConfig(load: LoadOptions): Promise<KubeConfig> {
  const where = locateKubeconfig(load);
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if ('inCluster' in where) kc.loadFromCluster();
    else {
      // As client-node's loadFromDefault merges a KUBECONFIG list: later files add to the first.
      kc.loadFromFile(where.files[0] ?? '');
      for (const file of where.files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more);
      }
      if (where.context) {
        if (!kc.getContextObject(where.context)) throw new Error(`kubeconfig has no context "${where.context}"`);
        kc.setCurrentContext(where.context);
      }
    }
  } catch (err) {
    throw kubeconfigLoadError(where, err);
  }
  return kc;
}

interface Resolved {
  server: string;
  tls: https.AgentOptions;
  headers: Record<string, string>;
  tokenFile?: string;
  needsLibrary: boolean;
}

// Plain JavaScript (the worker runs without our TypeScript loader). Mirrors loadKubeConfig, then
// decides whether the user's credentials are static. client-node picks the first authenticator
// that claims the user — azure, gcp, exec, then any authProvider with config.tokenFile — and a
// user.token set beside it wins.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { KubeConfig } = await import(workerData.library);
  const where = workerData.where;
  const kc = new KubeConfig();
  if (where.inCluster) kc.loadFromCluster();
  else {
    kc.loadFromFile(where.files[0]);
    for (const file of where.files.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      kc.mergeConfig(more);
    }
    if (where.context) {
      if (!kc.getContextObject(where.context)) throw new Error('kubeconfig has no context "' + where.context + '"');
      kc.setCurrentContext(where.context);
    }
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const user = kc.getCurrentUser() || {};
  const ap = user.authProvider;
  const fileAuth = !!(ap && ap.config && ap.config.tokenFile) && !['azure', 'gcp', 'exec'].includes(ap.name);
  const needsLibrary = !!user.exec || (!!ap && !fileAuth);
  if (needsLibrary) return parentPort.postMessage({ ok: true, value: { needsLibrary } });
  const opts = {};
  await kc.applyToHTTPSOptions(opts);
  const tls = {};
  for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername']) if (opts[k] !== undefined) tls[k] = opts[k];
  parentPort.postMessage({ ok: true, value: { needsLibrary, server: cluster.server, tls, headers: opts.headers || {}, auth: opts.auth, tokenFile: fileAuth && !user.token ? ap.config.tokenFile : undefined } });
})().catch((err) => parentPort.postMessage({ ok: false, message: err && err.message ? err.message : String(err), code: err && typeof err.code === 'string' ? err.code : undefined }));
`;

type WorkerAnswer =
  | {
      ok: true;
      value: {
        needsLibrary: boolean;
        server?: string;
        tls?: Record<string, unknown>;
        headers?: Record<string, unknown>;
        auth?: string;
        tokenFile?: string;
      };
    }
  | { ok: false; message: string; code?: string };

async function resolveInWorker(where: KubeconfigLocation, env: NodeJS.ProcessEnv): Promise<Resolved> {
  const library = pathToFileURL(createRequire(import.meta.url).resolve('@kubernetes/client-node')).href;
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { library, where }, env });
  try {
    const answer = await new Promise<WorkerAnswer>((resolve, reject) => {
      worker.once('message', (m: WorkerAnswer) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`kubeconfig loader exited with code ${code}`)));
    });
    if (!answer.ok) throw Object.assign(new Error(answer.message), answer.code ? { code: answer.code } : {});
    const v = answer.value;
    if (v.needsLibrary) return { needsLibrary: true, server: '', tls: {}, headers: {} };
    // Buffers arrive as Uint8Arrays after the structured clone.
    const tls: https.AgentOptions = {};
    for (const [k, x] of Object.entries(v.tls ?? {})) (tls as Record<string, unknown>)[k] = x instanceof Uint8Array ? Buffer.from(x) : x;
    return {
      needsLibrary: false,
      server: v.server ?? '',
      tls,
      headers: headersOf(v.headers, v.auth),
      ...(v.tokenFile ? { tokenFile: v.tokenFile } : {}),
    };
  } finally {
    await worker.terminate();
  }
}

function tlsOf(probe: https.RequestOptions): https.AgentOptions {
  const tls: https.AgentOptions = {};
  if (probe.ca) tls.ca = probe.ca;
  if (probe.cert) tls.cert = probe.cert;
  if (probe.key) tls.key = probe.key;
  if (probe.pfx) tls.pfx = probe.pfx;
  if (probe.passphrase) tls.passphrase = probe.passphrase;
  if (probe.rejectUnauthorized !== undefined) tls.rejectUnauthorized = probe.rejectUnauthorized;
  if (probe.servername) tls.servername = probe.servername;
  return tls;
}

function headersOf(raw: Record<string, unknown> | https.RequestOptions['headers'], basic: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (typeof v === 'string' || typeof v === 'number') headers[k.toLowerCase()] = String(v);
  }
  if (basic) headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  return headers;
}
