import { filesOf, type Manifest } from '../../src/backup/manifest.js';
import { applyRetention, isoWeek, retentionRules, type RetentionRules } from '../../src/backup/retention.js';

const none: RetentionRules = { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepDays: 0 };
const at = (iso: string, id = iso) => ({ id, createdAt: iso });
const now = new Date('2026-11-23T12:00:00Z');
const ids = (list: readonly { id: string }[]) => list.map((b) => b.id);
const kept = (d: ReturnType<typeof applyRetention>) => ids(d.keep.map((k) => k.backup));

// Three backups a day at 01:00, 09:00 and 17:00 for the 70 days before now, newest first in the expectations.
const series = Array.from({ length: 70 * 3 }, (_, i) => {
  const t = new Date(Date.UTC(2026, 10, 23) - Math.floor(i / 3) * 86_400_000 - 86_400_000);
  t.setUTCHours([17, 9, 1][i % 3]!);
  return at(t.toISOString());
});

describe('retention', () => {
  it('keep-last keeps the newest N, whatever order they are listed in', () => {
    const list = [at('2026-11-20T00:00:00Z'), at('2026-11-22T00:00:00Z'), at('2026-11-21T00:00:00Z')];
    const d = applyRetention(list, { ...none, keepLast: 2 }, now);
    expect(kept(d)).toEqual(['2026-11-22T00:00:00Z', '2026-11-21T00:00:00Z']);
    expect(ids(d.prune)).toEqual(['2026-11-20T00:00:00Z']);
  });

  it('the newest backup is kept even when no rule keeps anything', () => {
    const d = applyRetention(series.slice(0, 5), none, now);
    expect(d.keep).toEqual([{ backup: series[0], reasons: ['newest'] }]);
    expect(d.prune).toHaveLength(4);
  });

  it('keep-daily keeps the newest backup of each of the newest N days', () => {
    const d = applyRetention(series, { ...none, keepDaily: 3 }, now);
    expect(kept(d)).toEqual(['2026-11-22T17:00:00.000Z', '2026-11-21T17:00:00.000Z', '2026-11-20T17:00:00.000Z']);
  });

  it('keep-daily counts days that have backups, not calendar days', () => {
    const list = [at('2026-11-22T10:00:00Z'), at('2026-11-01T10:00:00Z'), at('2026-10-01T10:00:00Z')];
    expect(kept(applyRetention(list, { ...none, keepDaily: 2 }, now))).toEqual([
      '2026-11-22T10:00:00Z',
      '2026-11-01T10:00:00Z',
    ]);
  });

  it('keep-weekly uses ISO weeks (Monday start) and keeps the newest of each', () => {
    const d = applyRetention(series, { ...none, keepWeekly: 2 }, now);
    // 2026-11-22 is a Sunday (ISO week 47); the week before ends on Sunday 2026-11-15.
    expect(kept(d)).toEqual(['2026-11-22T17:00:00.000Z', '2026-11-15T17:00:00.000Z']);
  });

  it('keep-monthly keeps the newest of each month', () => {
    const d = applyRetention(series, { ...none, keepMonthly: 3 }, now);
    expect(kept(d)).toEqual(['2026-11-22T17:00:00.000Z', '2026-10-31T17:00:00.000Z', '2026-09-30T17:00:00.000Z']);
  });

  it('keep-days keeps everything younger than N days', () => {
    const d = applyRetention(series, { ...none, keepDays: 2 }, now);
    expect(kept(d)).toEqual([
      '2026-11-22T17:00:00.000Z',
      '2026-11-22T09:00:00.000Z',
      '2026-11-22T01:00:00.000Z',
      '2026-11-21T17:00:00.000Z',
    ]);
  });

  it('rules combine as a union and each kept backup says why', () => {
    const d = applyRetention(series, { ...none, keepLast: 2, keepDaily: 2, keepWeekly: 2 }, now);
    expect(d.keep.map((k) => [k.backup.id, k.reasons])).toEqual([
      ['2026-11-22T17:00:00.000Z', ['newest', 'last', 'daily', 'weekly']],
      ['2026-11-22T09:00:00.000Z', ['last']],
      ['2026-11-21T17:00:00.000Z', ['daily']],
      ['2026-11-15T17:00:00.000Z', ['weekly']],
    ]);
    expect(d.keep.length + d.prune.length).toBe(series.length);
  });

  it('nothing to decide on an empty list', () => {
    expect(applyRetention([], { ...none, keepLast: 3 }, now)).toEqual({ keep: [], prune: [] });
  });

  it.each([
    ['2026-01-01', '2026-W01'], // a Thursday
    ['2027-01-01', '2026-W53'], // a Friday: still the last week of 2026
    ['2024-12-30', '2025-W01'], // a Monday: already week 1 of 2025
    ['2026-11-23', '2026-W48'],
  ])('isoWeek(%s) = %s', (day, week) => {
    expect(isoWeek(new Date(`${day}T12:00:00Z`))).toBe(week);
  });
});

describe('which files a pruned backup removes', () => {
  const manifest = (over: Partial<Manifest> = {}): Manifest => ({
    belay: 1,
    id: '20261123T170102Z-1a2b',
    app: 'shop',
    engine: 'postgres',
    database: 'shop',
    file: '20261123T170102Z-1a2b.dump',
    size: 1,
    sha256: 'a'.repeat(64),
    createdAt: '2026-11-23T17:01:02.000Z',
    durationMs: 1,
    serverVersion: '15.18',
    tool: 'pg_dump 15.18',
    tables: [],
    verified: { method: 'toc', at: '2026-11-23T17:01:03.000Z' },
    ...over,
  });

  it('the names belay gives them, the manifest last', () => {
    expect(filesOf(manifest())).toEqual(['20261123T170102Z-1a2b.dump', '20261123T170102Z-1a2b.json']);
    expect(filesOf(manifest({ engine: 'sqlite', file: '20261123T170102Z-1a2b.sqlite' }))).toEqual([
      '20261123T170102Z-1a2b.sqlite',
      '20261123T170102Z-1a2b.json',
    ]);
    const encrypted = { format: 'age', file: '20261123T170102Z-1a2b.dump.age', size: 1, sha256: 'b', recipients: [] };
    expect(filesOf(manifest({ encrypted: encrypted as Manifest['encrypted'] }))).toEqual([
      '20261123T170102Z-1a2b.dump',
      '20261123T170102Z-1a2b.dump.age',
      '20261123T170102Z-1a2b.json',
    ]);
  });

  it.each([
    ['a file outside the folder', { file: '../20261123T170102Z-1a2b.dump' }],
    ['another file name', { file: 'important.dump' }],
    ['an id that is not one of belay', { id: '../../etc', file: '../../etc.dump' }],
    [
      'an encrypted file of another name',
      { encrypted: { format: 'age' as const, file: '/etc/passwd', size: 1, sha256: 'b', recipients: [] } },
    ],
  ])('none for a manifest naming %s: it is never pruned', (_, over) => {
    expect(filesOf(manifest(over))).toBeUndefined();
  });

  it('the keep-* defaults', () => {
    expect(retentionRules({})).toEqual({ keepLast: 10, keepDaily: 7, keepWeekly: 4, keepMonthly: 0, keepDays: 0 });
    expect(retentionRules({ keepLast: 0, keepDays: 30 })).toMatchObject({ keepLast: 0, keepDays: 30 });
  });
});
