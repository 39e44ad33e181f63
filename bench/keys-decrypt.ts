// Benchmark of keys/ decryption (run: `npx tsx bench/keys-decrypt.ts [files] [sopsSample]`).
//
// 1. age: 1,000 encrypted Kubernetes Secrets in a temp dir, decrypted in-process by keys/
//    versus `sops decrypt` spawned once per file (the real sops 3.13.3 from the stack cache; on a
//    sample, extrapolated — the table says so).
// 2. Vault transit: 1,000 decrypts of the same 10 files with a shared dataKeyCache versus
//    without. Transit decrypt calls are counted by Vault itself: a file audit device is enabled
//    on the (real, dev-mode) server and its request entries for <mount>/decrypt/<key> counted.
//
// 3. `sweep [keys,...] [runs]` (issue 13, item 8): one Secret with N keys (~200 bytes each, so
//    98,510 keys is a 20 MB file, the issue's case), encrypted and decrypted by keys/ in-process,
//    by the gitops-seal CLI (in-process, cli/program.ts: includes its own parses of the file) and
//    by the sops binary; median and range of `runs` runs per size, and the ratio to sops. Time
//    per key must stay flat (linear) and at or under sops' at every size.
//
// Starts its own Vault dev server (test/stack/openbao.ts) and removes every temp file it wrote.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { decryptText, encryptText, generateAgeIdentity, type KeyContext } from '../keys/index.js';
import { startOpenBao, vaultApi } from '../test/stack/openbao.js';
import { findTools } from '../test/stack/tools.js';
import type { VaultInfo } from '../test/stack/types.js';

const run = promisify(execFile);
const FILES = Number(process.argv[2] ?? 1000);
const SOPS_SAMPLE = Math.min(FILES, Number(process.argv[3] ?? 100));
const VAULT_FILES = 10;
const VAULT_DECRYPTS = 1000;
const RULE = { encryptedRegex: '^(data|stringData)$' };

function secretYaml(i: number): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: app-${i}`,
    '  namespace: bench',
    'type: Opaque',
    'data:',
    `  username: ${b64(`user-${i}`)}`,
    `  password: ${b64(`pw-${i}-${Math.random().toString(36).slice(2)}`)}`,
    `  token: ${b64('t'.repeat(64))}`,
    'stringData:',
    `  url: postgres://db-${i}.bench.svc:5432/app`,
    '',
  ].join('\n');
}

interface Row {
  what: string;
  files: number;
  ms: number;
  calls?: number | string;
  note?: string;
}

const fmt = (n: number, d = 2): string => n.toFixed(d);

function table(rows: Row[]): string {
  const head =
    '| what | files | total ms | ms/file | files/s | transit decrypt calls | note |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |';
  const lines = rows.map(
    (r) =>
      `| ${r.what} | ${r.files} | ${fmt(r.ms, 0)} | ${fmt(r.ms / r.files, 3)} | ${fmt((r.files / r.ms) * 1000, 0)} | ${r.calls ?? '-'} | ${r.note ?? ''} |`,
  );
  return [head, ...lines].join('\n');
}

/** Request entries for `<mount>/decrypt/<key>` in the audit log since `offset` bytes. */
async function countDecrypts(auditFile: string, v: VaultInfo, offset: number): Promise<{ count: number; size: number }> {
  const text = await readFile(auditFile, 'utf8');
  const want = `${v.transitMount}/decrypt/${v.transitKey}`;
  let count = 0;
  for (const line of text.slice(offset).split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as { type?: string; request?: { path?: string } };
    if (e.type === 'request' && e.request?.path === want) count++;
  }
  return { count, size: Buffer.byteLength(text) };
}

async function benchAge(dir: string, sops: string, rows: Row[]): Promise<void> {
  const id = await generateAgeIdentity();
  const keyFile = join(dir, 'keys.txt');
  await writeFile(keyFile, id.file, { mode: 0o600 });
  const paths: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < FILES; i++) {
    const p = join(dir, `secret-${i}.yaml`);
    const enc = await encryptText(secretYaml(i), { format: 'yaml', source: p, keys: { age: [id.recipient] }, rule: RULE }, {});
    await writeFile(p, enc);
    paths.push(p);
  }
  rows.push({ what: 'keys/ encrypt (age, in-process)', files: FILES, ms: performance.now() - t0, note: 'setup: writes the files' });

  const ctx: KeyContext = { ageIdentities: [id.identity] };
  const t1 = performance.now();
  let bytes = 0;
  for (const p of paths) bytes += (await decryptText(await readFile(p, 'utf8'), { format: 'yaml', source: p }, ctx)).length;
  rows.push({
    what: 'keys/ decrypt (age, in-process)',
    files: FILES,
    ms: performance.now() - t1,
    note: `read + MAC check, sequential; ${bytes} plaintext bytes`,
  });

  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, SOPS_AGE_KEY_FILE: keyFile };
  const t2 = performance.now();
  for (const p of paths.slice(0, SOPS_SAMPLE)) await run(sops, ['decrypt', p], { env, maxBuffer: 1 << 20 });
  const sampleMs = performance.now() - t2;
  rows.push({
    what: 'sops decrypt (age, one process per file)',
    files: FILES,
    ms: (sampleMs / SOPS_SAMPLE) * FILES,
    note:
      SOPS_SAMPLE < FILES ? `measured on ${SOPS_SAMPLE} files (${fmt(sampleMs, 0)} ms), extrapolated to ${FILES}` : 'all files measured',
  });
}

async function benchVault(dir: string, rows: Row[]): Promise<void> {
  const server = await startOpenBao({ name: 'bench-vault' });
  try {
    const v = server.info;
    const auditFile = join(dir, 'vault-audit.log');
    await vaultApi(v.addr, v.rootToken, 'PUT', 'sys/audit/bench-file', { type: 'file', options: { file_path: auditFile } });
    const files: { path: string; text: string }[] = [];
    for (let i = 0; i < VAULT_FILES; i++) {
      const path = join(dir, `vault-${i}.yaml`);
      const text = await encryptText(
        secretYaml(i),
        { format: 'yaml', source: path, keys: { hcVaultTransit: [v.transitUri] }, rule: RULE },
        { vault: { token: v.rootToken } },
      );
      files.push({ path, text });
    }
    let offset = (await countDecrypts(auditFile, v, 0)).size;

    const decryptAll = async (ctxFor: () => KeyContext): Promise<number> => {
      const t = performance.now();
      for (let n = 0; n < VAULT_DECRYPTS; n++) {
        const f = files[n % VAULT_FILES] as { path: string; text: string };
        await decryptText(f.text, { format: 'yaml', source: f.path }, ctxFor());
      }
      return performance.now() - t;
    };

    // The daemon's mode: one cache shared by every decrypt of every revision.
    const shared: KeyContext = { vault: { token: v.rootToken }, dataKeyCache: new Map() };
    const cachedMs = await decryptAll(() => shared);
    const cached = await countDecrypts(auditFile, v, offset);
    offset = cached.size;
    rows.push({
      what: 'keys/ decrypt (Vault transit, shared dataKeyCache)',
      files: VAULT_DECRYPTS,
      ms: cachedMs,
      calls: cached.count,
      note: `${VAULT_FILES} distinct files, counted in Vault's audit log`,
    });

    const uncachedMs = await decryptAll(() => ({ vault: { token: v.rootToken } }));
    const uncached = await countDecrypts(auditFile, v, offset);
    rows.push({
      what: 'keys/ decrypt (Vault transit, no cache)',
      files: VAULT_DECRYPTS,
      ms: uncachedMs,
      calls: uncached.count,
      note: 'one transit round trip per decrypt',
    });
    await vaultApi(v.addr, v.rootToken, 'DELETE', 'sys/audit/bench-file');
  } finally {
    await server.stop();
  }
}

/** A Secret with `n` keys under data, ~200 bytes per key line. */
function wideSecret(n: number): string {
  const lines = ['apiVersion: v1', 'kind: Secret', 'metadata:', `    name: wide-${n}`, 'type: Opaque', 'data:'];
  for (let i = 0; i < n; i++)
    lines.push(`    key-${String(i).padStart(6, '0')}: ${Buffer.from(`value-${i}-${'x'.repeat(120)}`).toString('base64')}`);
  return `${lines.join('\n')}\n`;
}

interface Spread {
  median: number;
  min: number;
  max: number;
}
function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)] as number, min: s[0] as number, max: s[s.length - 1] as number };
}
const secs = (x: Spread): string => `${(x.median / 1000).toFixed(2)} s (${(x.min / 1000).toFixed(2)}–${(x.max / 1000).toFixed(2)})`;

async function timed(runs: number, fn: () => Promise<unknown>): Promise<Spread> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return spread(xs);
}

async function sweep(sops: string, sizes: number[], runs: number): Promise<void> {
  const { runCli } = await import('../cli/program.js');
  const dir = await mkdtemp(join(tmpdir(), 'gitops-seal-keys-sweep-'));
  const out: string[] = [
    '| keys | file MB | op | keys/ in-process | gitops-seal CLI | sops | CLI / sops | µs per key (CLI) |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  try {
    const id = await generateAgeIdentity();
    const keyFile = join(dir, 'keys.txt');
    await writeFile(keyFile, id.file, { mode: 0o600 });
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, SOPS_AGE_KEY_FILE: keyFile };
    const sink = { write: () => true };
    const cli = async (args: string[]): Promise<void> => {
      const code = await runCli(args, { stdout: sink, stderr: sink, env, cwd: dir, confirm: undefined });
      if (code !== 0) throw new Error(`gitops-seal ${args[0]} exited ${code}`);
    };
    const ctx: KeyContext = { ageIdentities: [id.identity] };
    for (const n of sizes) {
      const plain = join(dir, `wide-${n}.yaml`);
      const text = wideSecret(n);
      await writeFile(plain, text);
      const opts = { format: 'yaml' as const, source: plain, keys: { age: [id.recipient] }, rule: RULE };
      const enc = await encryptText(text, opts, {});
      const encPath = join(dir, `wide-${n}.enc.yaml`);
      await writeFile(encPath, enc);
      const rows: [string, Spread, Spread, Spread][] = [
        [
          'encrypt',
          await timed(runs, () => encryptText(text, opts, {})),
          await timed(runs, () => cli(['encrypt', plain, '--age', id.recipient, '-o', join(dir, 'out.yaml')])),
          await timed(runs, () =>
            run(
              sops,
              ['encrypt', '--age', id.recipient, '--encrypted-regex', RULE.encryptedRegex, '--output', join(dir, 'sops-out.yaml'), plain],
              { env, maxBuffer: 1 << 30 },
            ),
          ),
        ],
        [
          'decrypt',
          await timed(runs, () => decryptText(enc, { format: 'yaml', source: encPath }, ctx)),
          await timed(runs, () => cli(['decrypt', encPath, '-o', join(dir, 'dec.yaml')])),
          await timed(runs, () => run(sops, ['decrypt', '--output', join(dir, 'sops-dec.yaml'), encPath], { env, maxBuffer: 1 << 30 })),
        ],
      ];
      for (const [op, api, viaCli, theirs] of rows) {
        const line = `| ${n} | ${(Buffer.byteLength(text) / 1e6).toFixed(1)} | ${op} | ${secs(api)} | ${secs(viaCli)} | ${secs(theirs)} | ${(viaCli.median / theirs.median).toFixed(2)}× | ${((viaCli.median * 1000) / n).toFixed(1)} |`;
        out.push(line);
        console.error(line);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    console.log(
      `Node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, ${runs} runs per cell (median, min–max)`,
    );
    console.log(out.join('\n'));
  }
}

async function main(): Promise<void> {
  const { sops } = findTools();
  if (process.argv[2] === 'sweep') {
    const sizes = (process.argv[3] ?? '1000,4000,16000,32000,64000,98510').split(',').map(Number);
    console.error(
      `load average at the start ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    return sweep(sops, sizes, Number(process.argv[4] ?? 3));
  }
  const { stdout: sopsVersion } = await run(sops, ['--version', '--disable-version-check']);
  const dir = await mkdtemp(join(tmpdir(), 'gitops-seal-keys-bench-'));
  const rows: Row[] = [];
  try {
    await benchAge(dir, sops, rows);
    await benchVault(dir, rows);
  } finally {
    await rm(dir, { recursive: true, force: true });
    // Whatever was measured is printed, also when a later part failed.
    console.log(
      `Node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, ${sopsVersion.split('\n')[0]}`,
    );
    console.log(table(rows));
  }
  const ours = rows.find((r) => r.what.startsWith('keys/ decrypt (age'));
  const theirs = rows.find((r) => r.what.startsWith('sops decrypt'));
  if (ours && theirs) console.log(`\nin-process keys/ vs sops per file: ${fmt(theirs.ms / ours.ms, 1)}x faster`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
