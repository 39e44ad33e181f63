// Static checks of docker-compose.yml, the Dockerfile and .dockerignore (no Docker here): pinned
// images, what each service mounts and sets, the daemon's config — the demo's own file —
// expanded with exactly the compose environment, and an image build that can succeed with
// only the files the build context sends and run with production dependencies only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument, parse as parseYaml, visit } from 'yaml';
import { expandString, parseConfig } from '../../daemon/config/index.js';
import { ROOT } from './files.js';
import { versions } from '../stack/cache.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
  ports?: string[];
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
// Compose resolves YAML merge keys (`<<: *anchor`) and `${VAR:-default}` in values; with no
// .env file every variable takes its default here.
const compose = parseYaml(composeText, { merge: true }) as Compose;
const interpolate = (v: string | number | boolean): string => expandString(String(v), {});
const services = compose.services;
const daemon = services['gitops-seal'] as Service;
const daemonEnv = Object.fromEntries(Object.entries(daemon.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));

/** host:container[:ro] → [host, container]. */
const splitVolume = (v: string): [string, string] => {
  const [host = '', container = ''] = v.split(':');
  return [host, container];
};
const configMount = (daemon.volumes ?? [])
  .map(splitVolume)
  .find(([, c]) => c === daemon.command?.[(daemon.command?.indexOf('--config') ?? -2) + 1]);

describe('docker-compose.yml', () => {
  it('pins every image by an exact version tag (no latest, no bare name)', () => {
    const images = Object.entries(services).map(([name, s]) => [name, s.image ?? ''] as const);
    expect(images.length).toBeGreaterThanOrEqual(8);
    for (const [name, image] of images) {
      expect(image, name).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/);
      const tag = image.split(':')[1] ?? '';
      expect(tag, name).not.toBe('latest');
      expect(tag, `${name}: ${image} is not an exact version`).toMatch(/^v?\d+\.\d+\.\d+/);
    }
    expect(services.k3s?.image).toMatch(/^rancher\/k3s:v1\.35\.\d+-k3s\d+$/);
    expect(services.registry?.image).toMatch(/^registry:3\.\d+\.\d+$/);
    expect(services.openbao?.image).toMatch(/^openbao\/openbao:\d+\.\d+\.\d+$/);
    // Images built here carry the package version, so a rebuild is a new, named image.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const s of Object.values(services).filter((x) => x.build)) {
      expect(s.image).toBe(`gitops-seal:${pkg.version}`);
      expect(s.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    }
  });

  it('publishes ports on loopback only', () => {
    const ports = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    expect(daemon.ports).toEqual(['127.0.0.1:9797:9797']);
  });

  it('mounts only files that exist, and every named volume is declared', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const [host] = splitVolume(v);
        if (host.startsWith('.')) expect(existsSync(join(ROOT, host)), `${name}: ${host}`).toBe(true);
        else expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${host}`).toContain(host);
      }
      // Scripts run from /compose are files of deploy/compose/.
      for (const arg of [...(s.entrypoint ?? []), ...(s.command ?? [])]) {
        if (arg.startsWith('/compose/'))
          expect(existsSync(join(ROOT, 'deploy', 'compose', arg.slice('/compose/'.length))), `${name}: ${arg}`).toBe(true);
      }
    }
  });

  it("runs the daemon on the demo's config file, every ${NAME} of it set in the service environment", () => {
    expect(configMount?.[0]).toBe('./examples/daemon-config.yaml');
    const text = readFileSync(join(ROOT, 'examples', 'daemon-config.yaml'), 'utf8');
    // Variables in values only (comments mention ${NAME} too), as the daemon expands them.
    const names: string[] = [];
    visit(parseDocument(text), {
      Scalar(_k, node) {
        if (typeof node.value === 'string')
          names.push(...[...node.value.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string));
      },
    });
    expect(names.length).toBeGreaterThan(0);
    for (const n of new Set(names)) expect(daemonEnv, `\${${n}} of examples/daemon-config.yaml`).toHaveProperty(n);
    // Expanded with exactly this environment, it parses and validates like the daemon does it.
    const config = parseConfig(text, 'examples/daemon-config.yaml', { env: daemonEnv });
    const [host, port] = config.spec.listen.split(':');
    expect(host).toBe('0.0.0.0');
    expect(daemon.ports?.[0]?.endsWith(`:${port}`)).toBe(true);
    // Credentials referenced as {env: NAME} are set; files it reads are on mounted volumes.
    const json = JSON.stringify(config);
    for (const m of json.matchAll(/"env":"([^"]+)"/g)) expect(daemonEnv, `env ${m[1]}`).toHaveProperty(m[1] as string);
    const mounted = (daemon.volumes ?? []).map((v) => splitVolume(v)[1]);
    for (const m of json.matchAll(/"file":"([^"]+)"/g)) {
      expect(
        mounted.some((dir) => (m[1] as string).startsWith(`${dir}/`)),
        `${m[1]} is not on a mounted volume`,
      ).toBe(true);
    }
    // The URLs point at compose services.
    expect(config.spec.sources[0]?.url).toMatch(/^http:\/\/gitea:3000\//);
    expect(config.spec.images[0]?.image).toMatch(/^registry:5000\//);
  });

  it('starts the daemon after its inputs exist, hardened (read-only root, no capabilities)', () => {
    expect(daemon.depends_on).toMatchObject({ 'fleet-init': { condition: 'service_completed_successfully' } });
    expect(daemon.read_only).toBe(true);
    expect(daemon.cap_drop).toEqual(['ALL']);
    expect(daemon.user).toBeUndefined(); // the image's USER 65532
    // fleet-init writes what the daemon reads, at the same paths.
    const init = services['fleet-init'] as Service;
    const initEnv = Object.fromEntries(Object.entries(init.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
    expect(initEnv.KUBECONFIG_OUT).toBe(daemonEnv.GITOPS_SEAL_KUBECONFIG);
    expect(initEnv.AGE_KEY_FILE).toBe(daemonEnv.GITOPS_SEAL_AGE_KEY_FILE);
    expect(initEnv.GIT_URL).toBe(daemonEnv.GITOPS_SEAL_GIT_URL);
    expect(initEnv.REGISTRY_HOST).toBe(daemonEnv.GITOPS_SEAL_REGISTRY);
    expect(initEnv.IMAGE_PREFIX).toBe(daemonEnv.GITOPS_SEAL_IMAGE_PREFIX);
    expect(initEnv.GIT_PASSWORD).toBe(daemonEnv.GIT_PASSWORD);
    expect(init.depends_on).toMatchObject({
      k3s: { condition: 'service_healthy' },
      'gitea-init': { condition: 'service_completed_successfully' },
    });
    // k3s's certificate must be valid for the name the daemon dials.
    expect(services.k3s?.command).toContain(`--tls-san=${new URL(initEnv.KUBE_SERVER ?? '').hostname}`);
  });

  it('fleet-init renders examples/fleet the way the demo does (same image placeholder and Secret file)', () => {
    const constant = (file: string, name: string): string | undefined =>
      new RegExp(`const ${name}(?::[^=]+)? = '([^']+)'`).exec(readFileSync(join(ROOT, file), 'utf8'))?.[1];
    for (const name of ['IMAGE_PLACEHOLDER', 'SECRET_FILE']) {
      const demo = constant('demo/setup.ts', name);
      expect(demo, `demo/setup.ts ${name}`).toBeDefined();
      expect(constant('deploy/compose/fleet-init.mjs', name), name).toBe(demo);
    }
    const podinfo = readFileSync(join(ROOT, 'examples', 'fleet', 'apps', 'podinfo', 'deployment.yaml'), 'utf8');
    expect(podinfo).toContain(constant('deploy/compose/fleet-init.mjs', 'IMAGE_PLACEHOLDER'));
  });

  it('initialises OpenBao transit at sops/ with key gitops-seal, as the test stack does', () => {
    const script = readFileSync(join(ROOT, 'deploy', 'compose', 'openbao-init.sh'), 'utf8');
    expect(script).toMatch(/secrets enable -path=sops transit/);
    expect(script).toMatch(/write -f sops\/keys\/gitops-seal/);
    expect(services['openbao-init']?.depends_on).toMatchObject({ openbao: { condition: 'service_healthy' } });
    expect(daemon.depends_on).toMatchObject({ 'openbao-init': { condition: 'service_completed_successfully' } });
  });
});

// --- Dockerfile --------------------------------------------------------------------------------

interface Stage {
  from: string;
  name: string;
  lines: string[];
}

function dockerStages(text: string): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  // Join continuation lines, drop comments.
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const l of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(l);
    if (from) stages.push({ from: from[1] as string, name: from[2] ?? String(stages.length), lines: [] });
    else if (stages.length === 0 && /^ARG\s/i.test(l)) {
      const [k, v = ''] = l.slice(4).trim().split('=');
      args.set(k as string, v);
    } else stages.at(-1)?.lines.push(l);
  }
  return { args, stages };
}

describe('Dockerfile', () => {
  const { args, stages } = dockerStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const stage = (name: string): Stage => {
    const s = stages.find((x) => x.name === name);
    if (!s) throw new Error(`Dockerfile has no stage ${name}`);
    return s;
  };
  const runtime = stages.at(-1) as Stage;

  it('builds in stages from node:20.20-bookworm-slim: build, production deps, renderers (Go), runtime', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'renderers', 'runtime']);
    for (const s of stages.filter((x) => x.name !== 'renderers')) expect(s.from).toBe('${NODE_IMAGE}');
    expect(args.get('NODE_IMAGE')).toMatch(/^node:20\.20-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    expect(stage('build').lines).toEqual(expect.arrayContaining(['RUN npm ci --no-audit --no-fund', 'RUN npm run build']));
    expect(stage('deps').lines.join('\n')).toMatch(/RUN npm ci --omit=dev/);
    expect(runtime.lines).toEqual(
      expect.arrayContaining(['COPY --from=deps /app/node_modules ./node_modules', 'COPY --from=build /src/dist ./dist']),
    );
  });

  it('installs kustomize and helm at the pins of test/stack/versions.env, on the runtime PATH', () => {
    const pins = versions();
    expect(args.get('KUSTOMIZE_VERSION')).toBe(pins.KUSTOMIZE_VERSION);
    expect(args.get('HELM_VERSION')).toBe(pins.HELM_VERSION);
    const r = stage('renderers');
    expect(r.from).toBe('${GO_IMAGE}');
    expect(args.get('GO_IMAGE')).toMatch(/^golang:1\.2[6-9](\.\d+)?-bookworm(@sha256:[0-9a-f]{64})?$/);
    const build = r.lines.join('\n');
    expect(build).toContain('sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}');
    expect(build).toContain('helm.sh/helm/v4/cmd/helm@${HELM_VERSION}');
    expect(runtime.lines).toContain('COPY --from=renderers /out/kustomize /out/helm /usr/local/bin/');
  });

  it('runs as uid 65532 with tini as PID 1 and gitops-seal-daemon as the entrypoint; no git', () => {
    const user = runtime.lines.filter((l) => /^USER\s/i.test(l));
    expect(user).toEqual(['USER 65532:65532']);
    const entry = runtime.lines.find((l) => l.startsWith('ENTRYPOINT'));
    expect(JSON.parse(entry?.slice('ENTRYPOINT'.length) ?? '[]')).toEqual(['/usr/bin/tini', '--', 'gitops-seal-daemon']);
    const installs = runtime.lines.filter((l) => /apt-get install/.test(l)).join(' ');
    expect(installs).toMatch(/\btini\b/);
    expect(installs).not.toMatch(/\bgit\b/);
    // The entrypoint and CLI names are the package's bins, linked to their compiled files.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const links = runtime.lines.join(' ');
    for (const [bin, file] of Object.entries(pkg.bin)) expect(links).toContain(`ln -s /app/${file} /usr/local/bin/${bin}`);
    expect(links).toContain('chown 65532:65532 /var/lib/gitops-seal');
  });

  it('copies only what .dockerignore lets through, and that is enough for the build', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copied = stages
      .flatMap((s) => s.lines)
      .filter((l) => /^COPY\s/.test(l) && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(copied.length).toBeGreaterThan(0);
    for (const src of copied) {
      expect(existsSync(join(ROOT, src)), src).toBe(true);
      expect(ignore, `${src} is excluded by .dockerignore`).not.toContain(src);
    }
    for (const p of ['.git', 'node_modules', 'dist', 'test']) expect(ignore).toContain(p);
  });
});

// --- what the image build compiles -------------------------------------------------------------

/** Files tsconfig.build.json compiles (its include dirs minus its exclude patterns). */
function buildFiles(): string[] {
  const cfg = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[]; exclude: string[] };
  const excluded = (f: string): boolean =>
    cfg.exclude.some((p) => {
      if (!p.startsWith('**/')) return f === p || f.startsWith(`${p}/`);
      const glob = p.slice(3);
      const base = f.split('/').at(-1) ?? '';
      return glob.startsWith('*') ? base.endsWith(glob.slice(1)) : base === glob;
    });
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(`${dir}/${e.name}`) : [`${dir}/${e.name}`],
    );
  return cfg.include.flatMap(walk).filter((f) => f.endsWith('.ts') && !excluded(f));
}

describe('image build inputs', () => {
  const files = buildFiles();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  it('import nothing outside cli/, daemon/, keys/ (the only sources the build stage copies)', () => {
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/gm)) {
        const target = relative(ROOT, join(ROOT, f, '..', m[1] as string));
        expect(target, `${f} imports ${m[1]}`).toMatch(/^(cli|daemon|keys)\//);
      }
    }
  });

  it('import at run time only production dependencies (the runtime stage has no devDependencies)', () => {
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      const specs = [
        ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+'([^'.][^']*)'/gm)].map((m) => m[1] as string),
        ...[...text.matchAll(/^\s*import\s+'([^'.][^']*)'/gm)].map((m) => m[1] as string),
        ...[...text.matchAll(/\bimport\('([^'.][^']*)'\)/g)].map((m) => m[1] as string),
      ];
      for (const s of specs) {
        if (s.startsWith('node:')) continue;
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string);
        expect(Object.keys(pkg.dependencies), `${f} imports ${s}`).toContain(name);
      }
    }
  });
});
