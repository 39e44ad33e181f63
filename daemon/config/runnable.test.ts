// Whether a valid DaemonConfig gives the daemon work (runnable.ts): no syncs and no imageUpdates
// is refused by main.ts, --once with no syncs too; image automation alone is a valid config.
import { describe, expect, it } from 'vitest';
import { parseConfig } from './parse.js';
import { idleSources, nothingToDo } from './runnable.js';

const head = `apiVersion: gitops-seal.io/v1alpha1
kind: DaemonConfig
spec:
  sources:
    - {name: apps, url: "http://git.local/apps.git", ref: {branch: main}}
    - {name: images, url: "http://git.local/images.git", ref: {branch: main}}
    - {name: old, url: "http://git.local/old.git", ref: {branch: main}}
`;
const sync = '  syncs:\n    - {name: apps, source: apps}\n';
const update = '  imageUpdates:\n    - {name: bump, source: images, path: deploy, author: {name: bot, email: bot@example.com}}\n';

describe('nothingToDo / idleSources', () => {
  it('sources alone: nothing to do, in either mode', () => {
    const c = parseConfig(head, 'c.yaml');
    expect(nothingToDo(c, { once: false })).toMatch(/^nothing to do: no syncs and no imageUpdates/);
    expect(nothingToDo(c, { once: true })).toMatch(/^nothing to do/);
    expect(idleSources(c)).toEqual(['apps', 'images', 'old']);
  });

  it('image automation alone runs, but not under --once (which only reconciles syncs)', () => {
    const c = parseConfig(head + update, 'c.yaml');
    expect(nothingToDo(c, { once: false })).toBeUndefined();
    expect(nothingToDo(c, { once: true })).toMatch(/^--once reconciles syncs and this config has none/);
    expect(idleSources(c)).toEqual(['apps', 'old']);
  });

  it('a sync is work in both modes; only unused sources are idle', () => {
    const c = parseConfig(head + sync + update, 'c.yaml');
    expect(nothingToDo(c, { once: false })).toBeUndefined();
    expect(nothingToDo(c, { once: true })).toBeUndefined();
    expect(idleSources(c)).toEqual(['old']);
  });
});
