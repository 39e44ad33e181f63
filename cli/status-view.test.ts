import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../daemon/status/index.js';
import type { StatusDocument } from './daemon-client.js';
import { attemptOutcome, formatAge, joinLines, renderStatus, renderTable, syncProblem, syncRow, truncate } from './status-view.js';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();
const SHA = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);

function sync(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    name: 'apps',
    source: 'repo',
    objects: 3,
    driftCorrections: 0,
    ready: true,
    appliedRevision: SHA,
    attemptedRevision: SHA,
    lastAppliedAt: ago(90_000),
    lastAttemptAt: ago(91_000),
    ...over,
  };
}

function doc(over: Partial<StatusDocument> = {}): StatusDocument {
  return {
    startedAt: ago(3 * 3_600_000),
    leader: true,
    sources: [
      {
        name: 'repo',
        url: 'https://user:tok@git.example/repo.git',
        ref: 'refs/heads/main',
        commit: SHA,
        lastFetchAt: ago(5_000),
        fetches: 7,
        skippedFetches: 2,
      },
    ],
    syncs: [sync()],
    images: [],
    imageUpdates: [],
    registries: {},
    ...over,
  };
}

describe('renderTable', () => {
  it('pads every column to its widest cell, three spaces apart, no trailing blanks', () => {
    const t = renderTable(
      ['NAME', 'X'],
      [
        ['a', '1'],
        ['longer-name', ''],
      ],
    );
    expect(t).toBe('NAME          X\na             1\nlonger-name\n');
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [-5_000, '0s'],
    [119_000, '119s'],
    [125_000, '2m5s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3_600_000 + 20 * 60_000, '3h20m'],
    [5 * 3_600_000, '5h'],
    [30 * 3_600_000, '30h'],
    [4 * 86_400_000 + 5, '4d'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe('truncate', () => {
  it('keeps short text, folds whitespace and cuts long text with an ellipsis to the width', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('a\n  b', 10)).toBe('a b');
    const cut = truncate('x'.repeat(100), 20);
    expect(cut).toHaveLength(20);
    expect(cut.endsWith('…')).toBe(true);
  });
});

describe('joinLines', () => {
  it('puts one problem per indented line onto one line', () => {
    expect(joinLines('2 problems in manifests:\n  a.yaml: bad\n  b.yaml: worse')).toBe(
      '2 problems in manifests: a.yaml: bad; b.yaml: worse',
    );
    expect(joinLines('single')).toBe('single');
    expect(joinLines('first\n\n  second\n')).toBe('first; second');
  });
});

describe('syncRow and syncProblem', () => {
  it('a healthy sync: True, short shas, counts, no error, age of the last apply', () => {
    expect(syncRow(sync(), NOW)).toEqual(['apps', 'repo', 'True', SHA.slice(0, 12), SHA.slice(0, 12), '3', '0', '-', '90s']);
    expect(syncProblem(sync())).toBeUndefined();
  });

  it('a failing sync shows stage and message truncated to one short line, and is a problem', () => {
    const failing = sync({
      attemptedRevision: SHA2,
      lastError: { stage: 'manifests', message: `apps/broken.yaml: ${'y'.repeat(200)}\nsecond line`, at: ago(1000) },
    });
    const row = syncRow(failing, NOW);
    expect(row[4]).toBe(SHA2.slice(0, 12));
    expect(row[7]).toMatch(/^manifests: apps\/broken\.yaml: y+…$/);
    expect(row[7]?.length).toBe(60);
    expect(syncProblem(failing)).toMatch(/^sync "apps": manifests: apps\/broken\.yaml/);
  });

  it("drops the daemon's redundant `sync … revision … refused at STAGE:` head from the cause", () => {
    const message = `sync "apps" revision ${SHA.slice(0, 12)} refused at decrypt: apps/s.yaml: MAC mismatch`;
    const failing = sync({ lastError: { stage: 'decrypt', message, at: ago(1000) } });
    expect(syncRow(failing, NOW)[7]).toBe('decrypt: apps/s.yaml: MAC mismatch');
    expect(syncProblem(failing)).toBe('sync "apps": decrypt: apps/s.yaml: MAC mismatch');
    expect(
      attemptOutcome(undefined, sync({ lastError: { stage: 'decrypt', message, at: ago(500) }, lastAttemptAt: ago(1000) })),
    ).toMatchObject({ message: 'apps/s.yaml: MAC mismatch' });
  });

  it('a sync that never applied is not ready: dashes, and a problem', () => {
    const fresh: SyncStatus = { name: 'new', source: 'repo', objects: 0, driftCorrections: 0, ready: false };
    expect(syncRow(fresh, NOW)).toEqual(['new', 'repo', 'False', '-', '-', '0', '0', '-', '-']);
    expect(syncProblem(fresh)).toBe('sync "new": not ready (no revision applied yet)');
  });
});

describe('renderStatus', () => {
  it('shows the sharding section of a sharded daemon: members, their addresses and shards', () => {
    const sharded: StatusDocument = {
      ...doc(),
      sharding: {
        identity: 'gs-1',
        group: 'gitops-seal',
        shards: 6,
        owned: [0, 3],
        members: [
          { identity: 'gs-0', address: 'http://10.0.0.7:9797', owned: [1, 2, 4, 5] },
          { identity: 'gs-1', owned: [0, 3] },
        ],
      },
    };
    const out = renderStatus(sharded, NOW);
    expect(out).toContain('Sharding: 6 shards in group gitops-seal, this replica gs-1\n');
    expect(out).toMatch(/MEMBER\s+ADDRESS\s+SHARDS\s+OWNED\n/);
    expect(out).toMatch(/gs-0\s+http:\/\/10\.0\.0\.7:9797\s+4\s+1,2,4,5\n/);
    expect(out).toMatch(/gs-1 \(this\)\s+-\s+2\s+0,3\n/);
    expect(renderStatus(doc(), NOW)).not.toContain('Sharding');
    expect(out).not.toContain('Waiting:');
    // During a rolling update with a config change: the fence says why this replica holds nothing.
    const fenced = renderStatus(
      { ...sharded, sharding: { ...sharded.sharding!, owned: [], map: '0123456789abcdef', waitingForMap: ['gs-0'] } },
      NOW,
    );
    expect(fenced).toContain('Sharding: 6 shards in group gitops-seal, this replica gs-1, shard map 0123456789abcdef\n');
    expect(fenced).toContain('Waiting: older replicas with another shard map (another configuration) hold shards: gs-0;');
  });

  it('prints the syncs table and the sources without URL credentials', () => {
    const out = renderStatus(doc(), NOW);
    const lines = out.split('\n');
    expect(lines[0]).toBe('daemon started 3h ago, leader: yes');
    expect(lines[2]).toMatch(/^NAME\s+SOURCE\s+READY\s+APPLIED\s+ATTEMPTED\s+OBJECTS\s+DRIFT FIXES\s+LAST ERROR\s+AGE$/);
    expect(lines[3]).toMatch(new RegExp(`^apps\\s+repo\\s+True\\s+${SHA.slice(0, 12)}\\s+${SHA.slice(0, 12)}\\s+3\\s+0\\s+-\\s+90s$`));
    expect(out).toContain('Sources:');
    expect(out).toContain('https://git.example/repo.git');
    expect(out).not.toContain('tok');
    expect(out).not.toContain('Images:');
  });

  it('adds image and image-update sections when the daemon has them, tolerating missing fields', () => {
    const out = renderStatus(
      doc({
        images: [
          {
            name: 'web',
            image: 'reg.example/web',
            latestTag: '1.2.0',
            chosenTag: '1.2.0',
            scans: 4,
            failures: 1,
            lastScanAt: ago(10_000),
            lastError: 'rate limited',
          },
          { name: 'bare' },
        ],
        imageUpdates: [
          {
            name: 'bump',
            branch: 'main',
            lastRunAt: ago(20_000),
            lastReason: 'pushed',
            lastPushedCommit: SHA2,
            lastPushedAt: ago(20_000),
            fileErrors: [],
            skipped: [],
          },
        ],
      }),
      NOW,
    );
    expect(out).toMatch(
      /Images:\nNAME\s+IMAGE\s+LATEST\s+CHOSEN\s+SCANS\s+FAILURES\s+LAST SCAN\s+LAST ERROR\nweb\s+reg\.example\/web\s+1\.2\.0\s+1\.2\.0\s+4\s+1\s+10s\s+rate limited\nbare(\s+-)+\n/,
    );
    expect(out).toMatch(new RegExp(`Image updates:\\n.*\\nbump\\s+main\\s+20s\\s+pushed\\s+${SHA2.slice(0, 12)}\\s+20s\\s+-\\n`));
  });

  it('shows the last delivery of each notification provider and commit-status target', () => {
    const out = renderStatus(
      doc({
        notifications: [
          {
            name: 'chat',
            kind: 'notification',
            type: 'slack',
            delivered: 7,
            failed: 0,
            dropped: 0,
            queued: 0,
            last: { label: 'refused apps@0123456789ab', at: ago(30_000), ok: true, attempts: 2 },
          },
          {
            name: 'gh',
            kind: 'commit-status',
            type: 'github',
            delivered: 0,
            failed: 3,
            dropped: 1,
            queued: 2,
            last: {
              label: 'success apps@0123456789ab',
              at: ago(5000),
              ok: false,
              attempts: 5,
              reason: 'http-4xx',
              error: 'gh: HTTP 401 (check the token and its permissions)',
            },
          },
          { name: 'idle', kind: 'notification', type: 'discord', delivered: 0, failed: 0, dropped: 0, queued: 0 },
        ],
      }),
      NOW,
    );
    expect(out).toMatch(/Notifications:\nNAME\s+KIND\s+TYPE\s+DELIVERED\s+FAILED\s+DROPPED\s+QUEUED\s+LAST\s+LAST MESSAGE\s+RESULT\n/);
    expect(out).toMatch(/^chat\s+notification\s+slack\s+7\s+0\s+0\s+0\s+30s\s+refused apps@0123456789ab\s+ok \(2 attempt\(s\)\)$/m);
    expect(out).toMatch(
      /^gh\s+commit-status\s+github\s+0\s+3\s+1\s+2\s+5s\s+success apps@0123456789ab\s+http-4xx: gh: HTTP 401 \(check the token and its permissions\)$/m,
    );
    expect(out).toMatch(/^idle\s+notification\s+discord(\s+0){4}(\s+-){3}$/m);
  });

  it('--sync narrows to that sync and its source, without image sections', () => {
    const other = sync({ name: 'other', source: 'elsewhere' });
    const out = renderStatus(
      doc({
        syncs: [sync(), other],
        sources: [...doc().sources, { name: 'elsewhere', url: 'https://x', fetches: 0, skippedFetches: 0 }],
        images: [{ name: 'web' }],
      }),
      NOW,
      'other',
    );
    expect(out).toMatch(/^other\s+elsewhere/m);
    expect(out).not.toMatch(/^apps\s/m);
    expect(out).not.toMatch(/^repo\s/m);
    expect(out).toMatch(/^elsewhere\s+https:\/\/x/m);
    expect(out).not.toContain('Images:');
  });

  it('says so when the daemon has no syncs', () => {
    expect(renderStatus(doc({ syncs: [], sources: [] }), NOW)).toContain('No syncs.');
  });
});

describe('attemptOutcome', () => {
  const before = sync({ lastAttemptAt: ago(60_000), lastAppliedAt: ago(59_000) });

  it('not done while no attempt started after the baseline', () => {
    expect(attemptOutcome(before, before)).toEqual({ done: false });
    expect(attemptOutcome(before, sync({ lastAttemptAt: undefined }))).toEqual({ done: false });
  });

  it('not done while the new attempt is still running (older apply or error)', () => {
    expect(attemptOutcome(before, sync({ lastAttemptAt: ago(1000), lastAppliedAt: ago(59_000) }))).toEqual({ done: false });
    const oldError = { stage: 'apply', message: 'old', at: ago(50_000) };
    expect(attemptOutcome(before, sync({ lastAttemptAt: ago(1000), lastError: oldError }))).toEqual({ done: false });
  });

  it('success once lastAppliedAt is at or after the new attempt', () => {
    const now = sync({ lastAttemptAt: ago(1000), lastAppliedAt: ago(1000), appliedRevision: SHA2 });
    expect(attemptOutcome(before, now)).toEqual({ done: true, ok: true, revision: SHA2 });
    // A sync that had never been attempted: any finished attempt counts.
    expect(attemptOutcome(undefined, now)).toEqual({ done: true, ok: true, revision: SHA2 });
  });

  it('failure once lastError is from the new attempt', () => {
    const now = sync({ lastAttemptAt: ago(1000), lastError: { stage: 'decrypt', message: 'apps/s.yaml: MAC mismatch', at: ago(500) } });
    expect(attemptOutcome(before, now)).toEqual({ done: true, ok: false, stage: 'decrypt', message: 'apps/s.yaml: MAC mismatch' });
  });
});
