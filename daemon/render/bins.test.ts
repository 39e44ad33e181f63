import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findRenderer, RendererNotFoundError } from './bins.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'render-bins-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('findRenderer', () => {
  it('takes the override, else PATH, else says how to fix it', () => {
    const bin = join(dir, 'kustomize');
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(findRenderer('kustomize', { PATH: `/nonexistent:${dir}` })).toBe(bin);
    expect(findRenderer('kustomize', { GITOPS_SEAL_KUSTOMIZE: bin, PATH: '' })).toBe(bin);
    expect(() => findRenderer('kustomize', { GITOPS_SEAL_KUSTOMIZE: 'kustomize', PATH: dir })).toThrow(/GITOPS_SEAL_KUSTOMIZE=kustomize is not an absolute path/);
    expect(() => findRenderer('helm', { PATH: dir })).toThrow(RendererNotFoundError);
    expect(() => findRenderer('helm', { PATH: dir })).toThrow(/GITOPS_SEAL_HELM/);
  });
});
