/**
 * One migrate run against one database: read the ledger, verify every applied migration, and in `apply` mode take
 * the advisory lock and apply what is pending, one transaction per migration. The lock lives on its own
 * connection so that a migration's failure (and its ROLLBACK) can never release it early.
 */
import type pg from 'pg';
import { formatDuration } from '../core/duration.js';
import type { Reporter } from '../report/reporter.js';
import { planMigrations, type Plan } from './plan.js';
import {
  acquireLock,
  applyMigration,
  connectPostgres,
  ensureLedger,
  lockKey,
  readLedger,
  type LedgerName,
} from './postgres.js';
import type { Migration } from './types.js';

export type MigrateMode = 'plan' | 'verify' | 'apply';

export interface MigrateOptions {
  readonly url: string;
  readonly migrations: readonly Migration[];
  readonly mode: MigrateMode;
  readonly ledger: LedgerName;
  readonly lockTimeoutMs: number;
  readonly allowOutOfOrder?: boolean;
  readonly appliedBy: string;
  readonly reporter: Reporter;
  /** How often to retry the lock; tests use a short one. */
  readonly lockPollMs?: number;
}

export interface MigrateResult {
  /** The plan as verified before anything was applied. */
  readonly plan: Plan;
  readonly applied: readonly { readonly name: string; readonly ms: number }[];
}

export async function migrateDatabase(options: MigrateOptions): Promise<MigrateResult> {
  const work = await connectPostgres(options.url, 'belay migrate');
  let lock: pg.Client | undefined;
  let release: (() => Promise<void>) | undefined;
  try {
    if (options.mode === 'apply') {
      lock = await connectPostgres(options.url, 'belay migrate lock');
      const database = (await work.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
      release = await acquireLock(lock, lockKey(database, options.ledger), {
        timeoutMs: options.lockTimeoutMs,
        ...(options.lockPollMs ? { pollMs: options.lockPollMs } : {}),
        progress: (waited) =>
          options.reporter.info(`waiting for another migration to finish (${formatDuration(waited)} so far)`),
      });
      await ensureLedger(work, options.ledger);
    }
    // Read after the lock: a run that waited sees what the other one applied.
    const ledger = (await ledgerExists(work, options.ledger)) ? await readLedger(work, options.ledger) : [];
    const plan = planMigrations(options.migrations, ledger, { allowOutOfOrder: options.allowOutOfOrder ?? false });
    const applied: { name: string; ms: number }[] = [];
    if (options.mode === 'apply' && plan.problems.length === 0) {
      for (const migration of plan.pending) {
        const ms = await applyMigration(work, migration, { ledger: options.ledger, appliedBy: options.appliedBy });
        applied.push({ name: migration.name, ms });
        options.reporter.info(`applied ${migration.file} in ${formatDuration(ms)}`);
      }
    }
    return { plan, applied };
  } finally {
    await release?.().catch(() => undefined);
    await lock?.end().catch(() => undefined);
    await work.end().catch(() => undefined);
  }
}

async function ledgerExists(client: pg.Client, ledger: LedgerName): Promise<boolean> {
  const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [
    `"${ledger.schema.replace(/"/g, '""')}"."${ledger.table.replace(/"/g, '""')}"`,
  ]);
  return rows[0]?.found !== null && rows[0]?.found !== undefined;
}
