import { describe, expect, it } from 'vitest';
import type { SyncSpec } from '../config/index.js';
import { kubeClientKey } from './settings.js';

const spec = (kubeconfig?: SyncSpec['kubeconfig']): SyncSpec => ({ name: 's', ...(kubeconfig ? { kubeconfig } : {}) }) as SyncSpec;

describe('kubeClientKey', () => {
  it('shares a client only between syncs with the same kubeconfig file and context', () => {
    // File paths and context names may both contain "#" (or any separator): no join may collide.
    expect(kubeClientKey(spec({ file: '/k/a#b', context: 'c' }))).not.toBe(kubeClientKey(spec({ file: '/k/a', context: 'b#c' })));
    expect(kubeClientKey(spec({ file: '/k/a', context: 'x' }))).toBe(kubeClientKey(spec({ context: 'x', file: '/k/a' })));
    // No file or an empty one both mean the default kubeconfig (kubeLoadOptions agrees).
    expect(kubeClientKey(spec())).toBe(kubeClientKey(spec({ file: '', context: '' })));
    expect(kubeClientKey(spec({ context: 'a' }))).not.toBe(kubeClientKey(spec({ file: 'a' })));
  });
});
