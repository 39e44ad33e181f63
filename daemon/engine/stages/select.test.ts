import { describe, expect, it } from 'vitest';
import { memoryRevision } from '../../../test/support/memory-revision.js';
import { RevisionError } from '../errors.js';
import { select } from './select.js';

const at = { sync: 'apps', commit: 'abcdef0123456789' };
const settings = (path: string, allowEmpty = false) => ({ path, allowEmpty });

async function refusal(p: Promise<unknown>): Promise<RevisionError> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RevisionError);
  return err as RevisionError;
}

describe('select stage', () => {
  it('keeps the manifests under the sync path, sorted, with their blob ids; skips hidden and non-manifest files', async () => {
    const rev = memoryRevision({
      'deploy/b.yaml': 'b',
      'deploy/a.json': 'a',
      'deploy/sub/c.yml': 'c',
      'deploy/.sops.yaml': 's',
      'deploy/.github/ci.yaml': 'x',
      'deploy/README.md': 'r',
      'other/d.yaml': 'd',
    });
    const s = await select(rev, settings('./deploy/'), at);
    expect(s.paths).toEqual(['deploy/a.json', 'deploy/b.yaml', 'deploy/sub/c.yml']);
    expect(s.ids.get('deploy/a.json')).toMatch(/^[0-9a-f]{40}$/);
    expect(rev.reads).toEqual([]); // selecting reads no file
  });

  it('refuses a path without manifests at `manifests`, naming the path', async () => {
    const err = await refusal(select(memoryRevision({ 'deploy/README.md': 'r' }), settings('deploy'), at));
    expect(err.stage).toBe('manifests');
    expect(err.problems).toEqual([
      'path "deploy" has no manifest files in this revision (wrong path? set allowEmpty to apply an empty set)',
    ]);
  });

  it('with allowEmpty, an existing path without manifests is an empty selection, a missing path still a refusal', async () => {
    const rev = memoryRevision({ 'deploy/.keep': '', 'x.yaml': 'x' });
    expect((await select(rev, settings('deploy', true), at)).paths).toEqual([]);
    const err = await refusal(select(rev, settings('depoly', true), at));
    expect(err.stage).toBe('manifests');
    expect(err.message).toBe(
      'sync "apps" revision abcdef012345 refused at manifests: path "depoly" does not exist in this revision (allowEmpty applies to an existing path: keep a file such as .keep in it)',
    );
  });

  it('refuses at `source` when the revision cannot be listed', async () => {
    const rev = { ...memoryRevision({}), fileIds: () => Promise.reject(new Error('object store: pack missing')) };
    const err = await refusal(select(rev, settings(''), at));
    expect(err.stage).toBe('source');
    expect(err.problems).toEqual(['object store: pack missing']);
  });
});
