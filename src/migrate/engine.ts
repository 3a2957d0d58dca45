/**
 * One migrate run against one database: read the ledger, verify every applied migration, and in `apply` mode take
 * the advisory lock and apply what is pending, one transaction per migration. The lock lives on its own
 * connection so that a migration's failure (and its ROLLBACK) can never release it early.
 */
import type pg from 'pg';
import { formatDuration } from '../core/duration.js';
import { connectPostgres, type SessionSettings } from '../database/connect.js';
import type { Reporter } from '../report/reporter.js';
import { BelayError, InputError } from '../core/errors.js';
import {
  adoptDrizzleHistory,
  adoptedLedgerRows,
  drizzleWouldRun,
  ensureDrizzleTable,
  readDrizzleRows,
  recordDrizzleMigration,
  unmatchedRowMessage,
  type DrizzleTable,
} from './drizzle.js';
import { planMigrations, type LedgerRow, type Plan } from './plan.js';
import {
  acceptChecksum,
  acquireLock,
  applyMigration,
  ensureLedger,
  lockKey,
  qualified,
  readLedger,
  recordAdopted,
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
  /** statement_timeout and lock_timeout of the session that runs the migrations. */
  readonly session?: SessionSettings;
  /** For drizzle folders: drizzle-orm's own table, kept in step so the app's migrator finds nothing to do. */
  readonly drizzle?: DrizzleTable;
}

export interface MigrateResult {
  /** The plan as verified before anything was applied. */
  readonly plan: Plan;
  readonly applied: readonly { readonly name: string; readonly ms: number }[];
}

export async function migrateDatabase(options: MigrateOptions): Promise<MigrateResult> {
  return withDatabase(options, options.mode === 'apply', async (work) => {
    if (options.mode === 'apply') await ensureLedger(work, options.ledger);
    // Read after the lock: a run that waited sees what the other one applied.
    let ledger = (await ledgerExists(work, options.ledger)) ? await readLedger(work, options.ledger) : [];
    if (options.drizzle) ledger = await adoptFromDrizzle(work, ledger, options.drizzle, options);
    const plan = planMigrations(options.migrations, ledger, { allowOutOfOrder: options.allowOutOfOrder ?? false });
    const applied: { name: string; ms: number }[] = [];
    if (options.mode === 'apply' && plan.problems.length === 0) {
      const drizzle = options.drizzle;
      if (drizzle) await ensureDrizzleTable(work, drizzle);
      for (const migration of plan.pending) {
        const ms = await applyMigration(work, migration, {
          ledger: options.ledger,
          appliedBy: options.appliedBy,
          ...(drizzle ? { alsoRecord: (c: pg.Client) => recordDrizzleMigration(c, drizzle, migration) } : {}),
        });
        applied.push({ name: migration.name, ms });
        options.reporter.info(`applied ${migration.file} in ${formatDuration(ms)}`);
      }
      if (drizzle) await checkDrizzleInStep(work, drizzle, options);
    }
    return { plan, applied };
  });
}

type DatabaseOptions = Pick<MigrateOptions, 'url' | 'ledger' | 'lockTimeoutMs' | 'lockPollMs' | 'reporter' | 'session'>;

/**
 * A working connection for `work`, and, when `locked`, the advisory lock held on a second connection for the
 * whole of it. Both connections are closed and the lock released however `work` ends.
 */
async function withDatabase<T>(options: DatabaseOptions, locked: boolean, work: (client: pg.Client) => Promise<T>) {
  const client = await connectPostgres(options.url, 'belay migrate', options.session);
  let lock: pg.Client | undefined;
  let release: (() => Promise<void>) | undefined;
  try {
    if (locked) {
      lock = await connectPostgres(options.url, 'belay migrate lock', {
        ...(options.session?.hint ? { hint: options.session.hint } : {}),
      });
      const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
      release = await acquireLock(lock, lockKey(database, options.ledger), {
        timeoutMs: options.lockTimeoutMs,
        ...(options.lockPollMs ? { pollMs: options.lockPollMs } : {}),
        progress: (waited) =>
          options.reporter.info(`waiting for another migration to finish (${formatDuration(waited)} so far)`),
      });
    }
    return await work(client);
  } finally {
    await release?.().catch(() => undefined);
    await lock?.end().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

export interface AcceptOptions extends Omit<MigrateOptions, 'mode' | 'allowOutOfOrder'> {
  readonly name: string;
  readonly reason: string;
}

/**
 * `belay migrate accept <name> --reason "…"`: the one way an edited (or half-applied) migration becomes verified
 * again. Under the same lock as apply, one migration at a time, and the reason is kept in the ledger.
 */
export async function acceptMigration(options: AcceptOptions): Promise<'accepted' | 'unchanged'> {
  const migration = options.migrations.find((m) => m.name === options.name || m.file === options.name);
  if (!migration) {
    throw new InputError(
      'accept',
      `"${options.name}" is not a migration of the folder`,
      'Give its name as the summary table shows it.',
    );
  }
  return withDatabase(options, true, async (work) => {
    const ledger = (await ledgerExists(work, options.ledger)) ? await readLedger(work, options.ledger) : [];
    const row = ledger.find((r) => r.name === migration.name);
    if (!row) {
      throw new InputError(
        'accept',
        `${migration.name} has not been applied`,
        'Only an applied migration can be accepted; a pending one is simply applied.',
      );
    }
    if (row.state === 'applied' && migration.equivalentChecksums.includes(row.checksum)) return 'unchanged';
    const note = `accepted ${new Date().toISOString()} by ${options.appliedBy}: ${options.reason}`;
    await acceptChecksum(work, options.ledger, migration, note);
    options.reporter.info(
      `accepted ${migration.file}: sha256 ${row.checksum.slice(0, 12)}… → ${migration.checksum.slice(0, 12)}…`,
    );
    return 'accepted' as const;
  });
}

/**
 * A database drizzle-orm already migrated: tie its rows to the folder (by hash, then by journal time) and record
 * them in belay's ledger without running anything. A drizzle row that matches no file, or a file whose content
 * changed since drizzle applied it, stops the run: belay never adopts what it cannot verify. In plan and verify
 * modes nothing is written; the adopted rows are only used to verify.
 */
async function adoptFromDrizzle(
  client: pg.Client,
  ledger: LedgerRow[],
  table: DrizzleTable,
  options: MigrateOptions,
): Promise<LedgerRow[]> {
  const adoption = adoptDrizzleHistory(options.migrations, await readDrizzleRows(client, table), ledger);
  if (adoption.unmatched.length > 0) {
    const more = adoption.unmatched.length > 1 ? ` (and ${adoption.unmatched.length - 1} more such rows)` : '';
    throw new BelayError(unmatchedRowMessage(adoption.unmatched[0]!, table) + more);
  }
  const changed = adoption.adopted.find((m) => m.difference === 'content');
  if (changed) {
    throw new BelayError(
      `${changed.migration.file} was edited after drizzle applied it: drizzle recorded sha256 ${changed.row.hash}, ` +
        `the file now has ${changed.migration.drizzle!.hash}. Restore the applied version from git and put the change in a new migration.`,
    );
  }
  if (adoption.adopted.length === 0) return ledger;
  for (const m of adoption.adopted) {
    if (m.by === 'created_at') {
      options.reporter.warn(
        `${m.migration.file}: matched drizzle's row by its journal time; the file differs only in line endings.`,
      );
    }
  }
  if (options.mode !== 'apply') return [...ledger, ...adoptedLedgerRows(adoption)];
  await ensureLedger(client, options.ledger);
  await recordAdopted(
    client,
    options.ledger,
    adoption.adopted.map((m) => ({ migration: m.migration, note: `adopted from drizzle (matched by ${m.by})` })),
    options.appliedBy,
  );
  options.reporter.info(`adopted ${adoption.adopted.length} migration(s) drizzle had applied, without running them`);
  return readLedger(client, options.ledger);
}

/** After applying: drizzle-orm's migrator, run by the app on start, must find nothing to run. */
async function checkDrizzleInStep(client: pg.Client, table: DrizzleTable, options: MigrateOptions): Promise<void> {
  const wouldRun = drizzleWouldRun(options.migrations, await readDrizzleRows(client, table));
  if (wouldRun.length > 0) {
    throw new BelayError(
      `drizzle-orm's migrator would run ${wouldRun.map((m) => m.file).join(', ')} again: its table ` +
        `${table.schema}.${table.table} is not in step with belay's ledger. Check its rows (created_at must be the journal's "when").`,
    );
  }
}

async function ledgerExists(client: pg.Client, ledger: LedgerName): Promise<boolean> {
  const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [qualified(ledger)]);
  return rows[0]?.found !== null && rows[0]?.found !== undefined;
}
