// One image's scanner: list the repository's tags, apply the policy, optionally resolve the chosen
// tag's digest, and keep a status for /status. start() runs scans every interval; a failed scan
// keeps the last good result and records lastError (the update automation keeps working from
// what it knew, as Flux's ImagePolicy keeps its latestImage).

import { readFile } from 'node:fs/promises';
import { credentialsProvider } from './credentials.js';
import { PolicyError, RegistryError } from './errors.js';
import { compilePolicy, type CompiledPolicy } from './policy.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import type { ImageSpec } from './types.js';

export interface ScanResult {
  /** Flux's lastScanResult.latestTags[0]: the highest tag in reverse byte order of all tags seen. */
  latestTag: string | undefined;
  /** Up to 10 tags in reverse byte order (Flux's latestTags). */
  latestTags: string[];
  /** The tag the policy selected; undefined when no tag qualifies. */
  chosenTag: string | undefined;
  /** sha256 digest of the chosen tag's manifest, when digestPinning is on. */
  digest?: string;
  tagsSeen: number;
  pages: number;
  /** HTTP requests this scan sent (token requests and retries included). */
  requests: number;
  durationMs: number;
}

export interface ImageStatus {
  name: string;
  image: string;
  lastScanAt?: string;
  lastSuccessAt?: string;
  latestTag?: string;
  chosenTag?: string;
  digest?: string;
  tagsSeen?: number;
  lastError?: string;
  /** RegistryError reason or `policy`. */
  lastErrorReason?: string;
  scans: number;
  failures: number;
}

export interface ScannerOptions {
  /** Overrides for the registry client (retry policy, page size, limiter). */
  client?: Partial<Omit<RegistryClientOptions, 'ref' | 'credentials' | 'insecure' | 'ca'>>;
  env?: NodeJS.ProcessEnv;
  /** Called after every scan, success or failure. */
  onScan?: (status: ImageStatus, result: ScanResult | undefined, error: unknown) => void;
}

export class ImageScanner {
  readonly status: ImageStatus;
  private readonly policy: CompiledPolicy;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ScanResult> | undefined;
  private stopped = true;
  private abort = new AbortController();

  constructor(
    readonly spec: ImageSpec,
    private readonly opts: ScannerOptions = {},
  ) {
    // Compile now: an invalid policy is a configuration error, not a scan failure.
    this.policy = compilePolicy(spec.policy, spec.filterTags, spec.exclusionList);
    this.status = { name: spec.name, image: spec.image, scans: 0, failures: 0 };
  }

  /**
   * The client lives across scans so its challenge and token cache do too: a steady-state scan
   * sends no 401 round trip and no token request until the token expires.
   */
  private cached: RegistryClient | undefined;

  private async client(): Promise<RegistryClient> {
    if (this.cached) return this.cached;
    let ca: Buffer | undefined;
    if (this.spec.caFile) {
      try {
        ca = await readFile(this.spec.caFile);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'error';
        throw new RegistryError({
          image: this.spec.ref.canonical,
          registry: this.spec.ref.apiHost,
          reason: 'credentials',
          detail: `cannot read caFile ${this.spec.caFile}: ${code}`,
        });
      }
    }
    this.cached = new RegistryClient({
      timeoutMs: this.spec.timeoutMs,
      signal: this.abort.signal,
      ...this.opts.client,
      ref: this.spec.ref,
      credentials: credentialsProvider(this.spec.credentials, this.spec.ref.registry, this.opts.env),
      insecure: this.spec.insecure,
      ...(ca ? { ca } : {}),
    });
    return this.cached;
  }

  /** One scan. Concurrent calls share the scan in flight. Throws RegistryError or PolicyError. */
  scan(): Promise<ScanResult> {
    this.running ??= this.scanOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async scanOnce(): Promise<ScanResult> {
    const t0 = performance.now();
    this.status.scans++;
    this.status.lastScanAt = new Date().toISOString();
    const client = await this.client().catch((e: unknown) => this.failed(e));
    const requestsBefore = client.stats.requests;
    try {
      const { tags, pages } = await client.listTags();
      const chosen = this.policy.select(tags);
      let digest: string | undefined;
      if (chosen && this.spec.digestPinning) digest = await client.manifestDigest(chosen.tag);
      const latestTags = [...tags].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)).slice(0, 10);
      const result: ScanResult = {
        latestTag: latestTags[0],
        latestTags,
        chosenTag: chosen?.tag,
        ...(digest ? { digest } : {}),
        tagsSeen: tags.length,
        pages,
        requests: client.stats.requests - requestsBefore,
        durationMs: Math.round(performance.now() - t0),
      };
      Object.assign(this.status, {
        lastSuccessAt: new Date().toISOString(),
        latestTag: result.latestTag,
        chosenTag: result.chosenTag,
        digest: result.digest,
        tagsSeen: result.tagsSeen,
      });
      delete this.status.lastError;
      delete this.status.lastErrorReason;
      this.opts.onScan?.(this.status, result, undefined);
      return result;
    } catch (e) {
      return this.failed(e);
    }
  }

  private failed(e: unknown): never {
    this.status.failures++;
    this.status.lastError = e instanceof Error ? e.message : String(e);
    this.status.lastErrorReason = e instanceof RegistryError ? e.reason : e instanceof PolicyError ? 'policy' : 'internal';
    this.opts.onScan?.(this.status, undefined, e);
    throw e;
  }

  /** Scan now and then every interval until stop(); failures are recorded in status, not thrown. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    const loop = (): void => {
      this.scan()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.spec.intervalMs);
        });
    };
    loop();
  }

  /** Stop the loop; resolves when a scan in flight has finished (its sleeps are aborted). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort(new Error(`image scanner ${this.spec.name} stopped`));
    await this.running?.catch(() => undefined);
    this.cached?.close();
    this.cached = undefined;
  }
}
