// Chart publishing for the render tests, with the real helm only:
//   - `ChartWorkshop`: writes a chart's files (test/support/flux-repo.ts `webappChart`) to a
//     directory and `helm package`s it at a version; helm gets a HOME of its own (registry
//     logins, caches) inside the workshop, never the user's;
//   - an HTTP chart repository: a PLAIN STATIC FILE SERVER (test/support/static-server.ts, as the
//     issue asks: no chart-museum, no helm-specific server) over a directory whose index.yaml is
//     made by the real `helm repo index`;
//   - `pushOci`: `helm registry login` + `helm push` to the stack's OCI registry (CNCF
//     Distribution with its htpasswd or token auth); returns the manifest digest helm printed.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { RegistryEndpoint } from '../stack/types.js';
import { webappChart } from './webapp-chart.js';
import { startStaticServer, type StaticServer } from './static-server.js';

const run = promisify(execFile);

export class ChartWorkshop {
  readonly dir: string;
  readonly repoDir: string;
  private server?: StaticServer;

  constructor(private readonly helm: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'gitops-seal-charts-'));
    chmodSync(this.dir, 0o700);
    this.repoDir = join(this.dir, 'repo');
    mkdirSync(join(this.dir, 'home'));
    mkdirSync(this.repoDir);
  }

  /** helm with the workshop's HOME; stdout + stderr. */
  async helmRun(args: string[], input?: string): Promise<string> {
    const home = join(this.dir, 'home');
    const p = run(this.helm, args, {
      env: { PATH: '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, '.config') },
      maxBuffer: 64 << 20,
    });
    if (input !== undefined) p.child.stdin?.end(input);
    const { stdout, stderr } = await p;
    return `${stdout}${stderr}`;
  }

  /** The webapp chart at `version`, packaged into `dest` (default: the HTTP repository's directory). */
  async package(version: string, dest = this.repoDir): Promise<string> {
    const src = join(this.dir, `src-${version}`);
    for (const [path, text] of Object.entries(webappChart(version, 'webapp'))) {
      mkdirSync(dirname(join(src, path)), { recursive: true });
      writeFileSync(join(src, path), text);
    }
    mkdirSync(dest, { recursive: true });
    await this.helmRun(['package', join(src, 'webapp'), '--version', version, '--destination', dest]);
    return join(dest, `webapp-${version}.tgz`);
  }

  /** Packages `version` into the HTTP repository and re-indexes it with `helm repo index`. */
  async publishHttp(version: string): Promise<void> {
    await this.package(version);
    await this.helmRun(['repo', 'index', this.repoDir]);
  }

  /** The static file server over the repository directory (started once). */
  async httpRepo(): Promise<StaticServer> {
    this.server ??= await startStaticServer(this.repoDir);
    return this.server;
  }

  /**
   * Packages `version` and pushes it to `oci://<endpoint.host>/<path>` (plain HTTP, the stack's
   * registry); returns the manifest digest `helm push` printed — what a user pins.
   */
  async pushOci(endpoint: RegistryEndpoint, path: string, version: string): Promise<string> {
    const tgz = await this.package(version, join(this.dir, 'oci'));
    await this.helmRun(
      ['registry', 'login', endpoint.host, '--username', endpoint.username, '--password-stdin', '--plain-http'],
      endpoint.password,
    );
    const out = await this.helmRun(['push', tgz, `oci://${endpoint.host}/${path}`, '--plain-http']);
    const digest = /Digest: (sha256:[a-f0-9]{64})/.exec(out)?.[1];
    if (!digest) throw new Error(`helm push printed no digest:\n${out}`);
    return digest;
  }

  async close(): Promise<void> {
    await this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
