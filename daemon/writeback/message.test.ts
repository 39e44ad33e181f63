import { describe, expect, it } from 'vitest';
import { DEFAULT_MESSAGE_TEMPLATE, renderMessage, unknownPlaceholders } from './message.js';
import type { ChangedFile } from './update.js';

const APP = { name: 'app', namespaces: [] };
const changed: ChangedFile[] = [
  {
    path: 'apps/a.yaml',
    text: '',
    changes: [
      { marker: 'app', old: 'r/app:1.0.0', new: 'r/app:1.1.0', line: 3, image: 'r/app', oldTag: '1.0.0', newTag: '1.1.0', policy: APP },
      { marker: 'app:name', old: 'old/app', new: 'r/app', line: 9, image: 'r/app', policy: APP },
    ],
  },
  {
    path: 'apps/values.yaml',
    text: '',
    changes: [
      {
        marker: 'db:tag',
        old: '14',
        new: '15',
        line: 2,
        image: 'r/db',
        oldTag: '14',
        newTag: '15',
        policy: { name: 'db', namespaces: [] },
      },
    ],
  },
];

describe('commit message templates', () => {
  it("defaults to Flux's message", () => {
    expect(renderMessage(DEFAULT_MESSAGE_TEMPLATE, 'apps', changed)).toBe('Update from image update automation');
  });

  it('fills every placeholder', () => {
    const t = '[{{automation}}] {{image}}: {{ oldTag }} -> {{newTag}}\n\nFiles: {{files}}\n{{changes}}';
    expect(renderMessage(t, 'apps', changed)).toBe(
      '[apps] r/app, r/db: 1.0.0, 14 -> 1.1.0, 15\n\nFiles: apps/a.yaml, apps/values.yaml\n' +
        '- apps/a.yaml:3 r/app:1.0.0 -> r/app:1.1.0\n- apps/a.yaml:9 old/app -> r/app\n- apps/values.yaml:2 14 -> 15',
    );
  });

  it('names unknown placeholders', () => {
    expect(unknownPlaceholders('{{image}} {{tag}} {{ Files }}')).toEqual(['tag', 'Files']);
  });
});
