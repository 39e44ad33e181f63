import { describe, expect, it } from 'vitest';
import { hostAllowed, remoteHost } from './remote.js';

describe('remoteHost', () => {
  it.each([
    ['https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v1.0.6', 'github.com'],
    ['git::https://gitlab.example.com/platform/components.git//monitoring?ref=v2', 'gitlab.example.com'],
    ['ssh://git@git.example.com:2222/org/repo.git', 'git.example.com'],
    ['git@github.com:org/repo.git//base', 'github.com'],
    ['github.com/org/repo//deploy?ref=main', 'github.com'],
    ['https://user:pw@raw.githubusercontent.com/o/r/main/x.yaml', 'raw.githubusercontent.com'],
    ['HTTP://Example.COM:8080/x', 'example.com'],
  ])('%s → %s', (v, host) => expect(remoteHost(v)).toBe(host));

  it.each(['../base', 'base', './overlays/prod', 'deployment.yaml', '../../apps/v1.2/base'])('%s is local', (v) => expect(remoteHost(v)).toBeUndefined());
});

describe('hostAllowed', () => {
  it('matches exactly or by *. wildcard, case-insensitively', () => {
    expect(hostAllowed('github.com', ['GitHub.com'])).toBe(true);
    expect(hostAllowed('evil-github.com', ['github.com'])).toBe(false);
    expect(hostAllowed('git.corp.example', ['*.corp.example'])).toBe(true);
    expect(hostAllowed('corp.example', ['*.corp.example'])).toBe(false);
    expect(hostAllowed('github.com', [])).toBe(false);
  });
});
