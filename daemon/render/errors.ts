// A render that cannot produce the revision's objects. It names the sync, the stage, and per
// problem the file (kustomization, source file, rendered object) and the cause; tool output in
// it is redacted (tool.ts). The engine's render stage turns it into a RevisionError, so nothing
// of the revision is applied or pruned.

/**
 * graph: the kustomization graph is broken or reaches off the repository (missing path, remote
 * host not allowed); decrypt: a SOPS file failed to verify or decrypt (tampered, no key);
 * tool: kustomize failed, timed out or exceeded the output limit; output: what kustomize printed
 * cannot be applied (ciphertext that did not come from a verified file, malformed objects).
 */
export type RenderStage = 'graph' | 'decrypt' | 'tool' | 'output';

export class RenderError extends Error {
  override readonly name = 'RenderError';
  constructor(
    readonly sync: string,
    readonly stage: RenderStage,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    const head = `sync "${sync}": render refused at ${stage}`;
    super(problems.length === 1 ? `${head}: ${problems[0]}` : `${head}:\n  ${problems.join('\n  ')}`, options);
  }
}
