// Sealed Secrets as a user of the real tools produces them, for the migration tests (issue 16):
// a controller key pair made the way the controller makes its own (RSA 4096, self-signed cert,
// CN=sealed-secret), the key Secrets as `kubectl get secret -l sealedsecrets.bitnami.com/
// sealed-secrets-key -o yaml` prints them, and the real kubeseal (test/stack/build/kubeseal.sh)
// sealing offline with `--cert` and recovering with `--recovery-unseal`.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { findKubeseal } from '../stack/tools.js';

const run = promisify(execFile);

export type Scope = 'strict' | 'namespace-wide' | 'cluster-wide';

export interface ControllerKey {
  /** PEM files as openssl wrote them. */
  keyFile: string;
  certFile: string;
  keyPem: string;
  certPem: string;
}

/** A controller-like key pair in `dir` (`name`.key / `name`.crt). */
export async function controllerKey(dir: string, name: string): Promise<ControllerKey> {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:4096', '-nodes', '-days', '3650',
    '-subj', '/CN=sealed-secret/O=sealed-secret', '-keyout', keyFile, '-out', certFile,
  ]); // prettier-ignore
  return { keyFile, certFile, keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8') };
}

/** The controller's key Secrets, as kubectl exports them (a List, oldest first). */
export function keySecretsList(keys: readonly ControllerKey[]): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: keys.map((k, i) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: `sealed-secrets-key${'abcde'.charAt(i)}x${i}`,
        namespace: 'kube-system',
        labels: { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'active' },
      },
      data: { 'tls.crt': Buffer.from(k.certPem).toString('base64'), 'tls.key': Buffer.from(k.keyPem).toString('base64') },
    })),
    metadata: { resourceVersion: '' },
  });
}

function kubesealIo(args: string[], input: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(findKubeseal(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    p.stdin.end(input);
  });
}

/** `kubeseal --cert CERT --scope SCOPE -o yaml` of a Secret manifest: the SealedSecret YAML kubeseal prints. */
export async function kubeseal(cert: ControllerKey, scope: Scope, secretYaml: string): Promise<string> {
  // --allow-empty-data: a Secret without data is sealed too (kubeseal refuses it by default).
  const r = await kubesealIo(['--cert', cert.certFile, '--scope', scope, '--allow-empty-data', '-o', 'yaml'], secretYaml);
  if (r.code !== 0) throw new Error(`kubeseal failed (${r.code}): ${r.err}`);
  return r.out;
}

/** `kubeseal --recovery-unseal --recovery-private-key K...` of one SealedSecret: the Secret, or the error text. */
export async function recoveryUnseal(
  keyFiles: string[],
  sealedYaml: string,
): Promise<{ ok: true; secret: Record<string, unknown> } | { ok: false; err: string }> {
  const args = ['--recovery-unseal', '-o', 'yaml', ...keyFiles.flatMap((k) => ['--recovery-private-key', k])];
  const r = await kubesealIo(args, sealedYaml);
  if (r.code !== 0) return { ok: false, err: r.err };
  const docs = parseAllDocuments(r.out)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((d) => d !== null);
  return { ok: true, secret: docs[0] ?? {} };
}

/** A Secret manifest for kubeseal (stringData; template metadata as given). */
export function secretManifest(o: {
  name: string;
  namespace: string;
  data: Record<string, string>;
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    ...(o.type ? { type: o.type } : {}),
    stringData: o.data,
  });
}

/** A copy of a SealedSecret YAML (one document) with another namespace and/or name — what a tenant would copy. */
export function moved(sealedYaml: string, to: { namespace?: string; name?: string }): string {
  const doc = parseAllDocuments(sealedYaml)
    .map((d) => d.toJS() as { metadata: Record<string, unknown> } | null)
    .find((d) => d !== null);
  if (!doc) throw new Error('no document');
  if (to.namespace) doc.metadata['namespace'] = to.namespace;
  if (to.name) doc.metadata['name'] = to.name;
  return stringify(doc);
}

/** Flips one base64 character in the middle of the AES part of encryptedData[key]. */
export function tampered(sealedYaml: string, key: string): string {
  const doc = parseAllDocuments(sealedYaml)
    .map((d) => d.toJS() as { spec: { encryptedData: Record<string, string> } } | null)
    .find((d) => d !== null);
  if (!doc) throw new Error('no document');
  const bytes = Buffer.from(doc.spec.encryptedData[key] ?? '', 'base64');
  bytes.writeUInt8((bytes.at(-1) ?? 0) ^ 0x01, bytes.length - 1);
  doc.spec.encryptedData[key] = bytes.toString('base64');
  return stringify(doc);
}
