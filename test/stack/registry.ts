// Two real container registries (CNCF Distribution v3, built by build/registry.sh) on loopback:
//   basic — htpasswd (bcrypt) basic auth;
//   token — `auth.token` with the in-process token issuer of registry-token.ts.
// Both use filesystem storage in a temp dir with deletes enabled, plain HTTP on 127.0.0.1
// (clients treat loopback registries as insecure-allowed).
//
// Why not Debian's docker-registry (distribution 2.8.2)? Its /v2/<name>/tags/list ignores `n`
// and `last` and sends no Link header, so tag pagination could not be tested. Its token
// auth works with the same issuer, so REGISTRY_BIN=/usr/bin/docker-registry still runs it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cachedBin, pin } from './cache.js';
import { freePort, logDir, StackError, startProcess, stopProcess, waitFor, type Proc } from './procs.js';
import { startTokenIssuer, type TokenIssuer } from './registry-token.js';
import type { RegistryEndpoint, RegistryInfo, Started } from './types.js';

export function distributionVersion(): string {
  return pin('DISTRIBUTION_VERSION');
}

/** The registry binary: $REGISTRY_BIN, else the cached distribution build. */
export function registryBin(): string {
  return process.env.REGISTRY_BIN ?? cachedBin('distribution', distributionVersion(), 'registry');
}
const HTPASSWD_BIN = '/usr/bin/htpasswd';
const TOKEN_SERVICE = 'gitops-seal-registry';
const TOKEN_ISSUER = 'gitops-seal-test-issuer';

export class RegistryStartError extends StackError {
  constructor(message: string, logFile?: string) {
    super('registry', message, logFile);
    this.name = 'RegistryStartError';
  }
}

function requireTool(path: string, howToInstall: string): void {
  if (!existsSync(path)) throw new RegistryStartError(`${path} not found: ${howToInstall}`);
}

/** bcrypt htpasswd line via apache2-utils (distribution accepts only bcrypt entries). */
function writeHtpasswd(file: string, username: string, password: string): void {
  // -i reads the password from stdin so it never appears in a process listing.
  execFileSync(HTPASSWD_BIN, ['-B', '-i', '-c', file, username], { input: password, stdio: ['pipe', 'ignore', 'pipe'] });
}

interface InstanceConfig {
  name: string;
  dir: string;
  port: number;
  auth: Record<string, unknown>;
}

function writeConfig(c: InstanceConfig): string {
  const storageDir = join(c.dir, 'storage');
  mkdirSync(storageDir, { recursive: true });
  const config = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true }, fields: { service: c.name } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      cache: { blobdescriptor: 'inmemory' },
      // No background upload purging: it only adds noise to short test runs.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${c.port}`,
      // A fixed secret per instance keeps upload state valid across requests.
      secret: randomBytes(16).toString('hex'),
      headers: { 'X-Content-Type-Options': ['nosniff'] },
      // /debug/health etc. are not needed.
    },
    auth: c.auth,
    health: { storagedriver: { enabled: false } },
  };
  const file = join(c.dir, 'config.yml');
  writeFileSync(file, stringify(config));
  return file;
}

async function launch(bin: string, c: InstanceConfig): Promise<Proc> {
  const configFile = writeConfig(c);
  // OTEL_TRACES_EXPORTER=none: distribution v3 otherwise tries to export traces to localhost:4318.
  const proc = startProcess(`registry-${c.name}`, bin, ['serve', configFile], {
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' },
  });
  // /v2/ answers 401 with a challenge once the registry is serving.
  await waitFor(
    `registry ${c.name} on port ${c.port}`,
    async () => {
      const r = await fetch(`http://127.0.0.1:${c.port}/v2/`);
      await r.arrayBuffer();
      return r.status === 401;
    },
    { proc, timeoutMs: 30_000, intervalMs: 100 },
  );
  return proc;
}

/**
 * Where registry storage lives: tmpfs (/dev/shm) when there is one. A tag is a few tiny files
 * and directories on disk; on a busy ext4 disk creating and later deleting thousands of them
 * cost tens of seconds, in RAM milliseconds. Override with GITOPS_SEAL_REGISTRY_DIR.
 */
function storageParent(): string {
  const wanted = process.env.GITOPS_SEAL_REGISTRY_DIR;
  if (wanted) return wanted;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

export async function startRegistry(): Promise<Started<RegistryInfo>> {
  const bin = registryBin();
  requireTool(bin, 'run test/stack/build/registry.sh (needs Go)');
  requireTool(HTPASSWD_BIN, 'apt-get install -y apache2-utils');
  const root = mkdtempSync(join(storageParent(), 'gitops-seal-registry-'));
  const procs: Proc[] = [];
  let issuer: TokenIssuer | undefined;
  const username = 'seal';
  // Random per run: the credentials are test fixtures, yet no test should depend on a fixed value.
  const basicPassword = randomBytes(12).toString('hex');
  const tokenPassword = randomBytes(12).toString('hex');

  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => stopProcess(p)));
    await issuer?.stop();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const basicDir = join(root, 'basic');
    mkdirSync(basicDir);
    const htpasswd = join(basicDir, 'htpasswd');
    writeHtpasswd(htpasswd, username, basicPassword);
    const basicPort = await freePort();
    procs.push(
      await launch(bin, { name: 'basic', dir: basicDir, port: basicPort, auth: { htpasswd: { realm: 'gitops-seal', path: htpasswd } } }),
    );

    const tokenDir = join(root, 'token');
    mkdirSync(tokenDir);
    issuer = await startTokenIssuer({ dir: tokenDir, username, password: tokenPassword, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER });
    const tokenPort = await freePort();
    procs.push(
      await launch(bin, {
        name: 'token',
        dir: tokenDir,
        port: tokenPort,
        auth: { token: { realm: issuer.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootcertbundle: issuer.certFile } },
      }),
    );

    const endpoint = (port: number, password: string): RegistryEndpoint => ({
      host: `127.0.0.1:${port}`,
      url: `http://127.0.0.1:${port}`,
      username,
      password,
    });
    return {
      info: {
        basic: endpoint(basicPort, basicPassword),
        token: { ...endpoint(tokenPort, tokenPassword), tokenRealm: issuer.realm, service: TOKEN_SERVICE },
      },
      stop,
    };
  } catch (e) {
    await stop();
    if (e instanceof StackError) throw e;
    throw new RegistryStartError(`could not start: ${e instanceof Error ? e.message : String(e)}`, join(logDir(), 'registry-*.log'));
  }
}
