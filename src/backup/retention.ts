/**
 * Which backups to keep. A backup is kept when any rule keeps it (the union, as restic and borg do), and the
 * newest backup is always kept whatever the rules say. Pure: the caller lists belay's own backups of one app and
 * database and deletes what this returns, only after a new backup succeeded.
 */
import { byCodeUnits } from '../core/order.js';

export interface RetentionRules {
  /** The newest N backups. */
  readonly keepLast: number;
  /** The newest backup of each of the newest N days (UTC) that have one. */
  readonly keepDaily: number;
  /** The same per ISO week. */
  readonly keepWeekly: number;
  /** The same per calendar month. */
  readonly keepMonthly: number;
  /** Every backup younger than N days. */
  readonly keepDays: number;
}

/** The rules from the keep-* inputs, with their defaults. */
export function retentionRules(v: {
  readonly keepLast?: number;
  readonly keepDaily?: number;
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
  readonly keepDays?: number;
}): RetentionRules {
  return {
    keepLast: v.keepLast ?? 10,
    keepDaily: v.keepDaily ?? 7,
    keepWeekly: v.keepWeekly ?? 4,
    keepMonthly: v.keepMonthly ?? 0,
    keepDays: v.keepDays ?? 0,
  };
}

export interface Dated {
  readonly id: string;
  /** ISO 8601 time the backup was taken. */
  readonly createdAt: string;
}

export interface RetentionDecision<T extends Dated> {
  readonly keep: readonly { readonly backup: T; readonly reasons: readonly string[] }[];
  readonly prune: readonly T[];
}

export function applyRetention<T extends Dated>(
  backups: readonly T[],
  rules: RetentionRules,
  now: Date,
): RetentionDecision<T> {
  const newestFirst = [...backups].sort((a, b) => time(b) - time(a) || byCodeUnits(b.id, a.id));
  const reasons = new Map<T, string[]>();
  const keep = (b: T, reason: string) => reasons.set(b, [...(reasons.get(b) ?? []), reason]);

  if (newestFirst[0]) keep(newestFirst[0], 'newest');
  newestFirst.slice(0, rules.keepLast).forEach((b) => keep(b, 'last'));
  const buckets: [number, string, (d: Date) => string][] = [
    [rules.keepDaily, 'daily', (d) => d.toISOString().slice(0, 10)],
    [rules.keepWeekly, 'weekly', isoWeek],
    [rules.keepMonthly, 'monthly', (d) => d.toISOString().slice(0, 7)],
  ];
  for (const [count, reason, bucketOf] of buckets) {
    const seen = new Set<string>();
    for (const b of newestFirst) {
      if (seen.size >= count) break;
      const bucket = bucketOf(new Date(time(b)));
      if (seen.has(bucket)) continue;
      seen.add(bucket);
      keep(b, reason);
    }
  }
  if (rules.keepDays > 0) {
    const since = now.getTime() - rules.keepDays * 86_400_000;
    for (const b of newestFirst) if (time(b) >= since) keep(b, 'days');
  }
  return {
    keep: newestFirst.filter((b) => reasons.has(b)).map((b) => ({ backup: b, reasons: reasons.get(b)! })),
    prune: newestFirst.filter((b) => !reasons.has(b)),
  };
}

const time = (b: Dated) => Date.parse(b.createdAt);

/** `2026-W48`: ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(d: Date): string {
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
