/**
 * belay's side of PostgreSQL: its ledger table, the advisory lock that keeps two deploys from migrating at once,
 * and applying one migration, in a transaction or (when PostgreSQL refuses that) with a "started" row first.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { quoteIdent } from '../database/connect.js';
import { formatDuration } from '../core/duration.js';
import { BelayError } from '../core/errors.js';
import type { LedgerRow } from './plan.js';
import type { Migration } from './types.js';

export interface LedgerName {
  readonly schema: string;
  readonly table: string;
}

/** `"schema"."table"` for belay's ledger, drizzle's table or any other schema-qualified table. */
export const qualified = (t: { readonly schema: string; readonly table: string }) =>
  `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;

export async function ensureLedger(client: pg.Client, ledger: LedgerName): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(ledger.schema)}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${qualified(ledger)} (
       name text PRIMARY KEY,
       checksum text NOT NULL,
       state text NOT NULL CHECK (state IN ('applied', 'started')),
       applied_at timestamptz NOT NULL DEFAULT now(),
       execution_ms integer,
       applied_by text,
       note text
     )`,
  );
}

export async function readLedger(client: pg.Client, ledger: LedgerName): Promise<LedgerRow[]> {
  const result = await client.query<{ name: string; checksum: string; state: 'applied' | 'started'; applied_at: Date }>(
    `SELECT name, checksum, state, applied_at FROM ${qualified(ledger)} ORDER BY applied_at, name`,
  );
  return result.rows.map((r) => ({ name: r.name, checksum: r.checksum, state: r.state, appliedAt: r.applied_at }));
}

/**
 * The advisory lock key: the same database and ledger table always give the same 64-bit key, so every belay run
 * migrating that ledger takes the same lock, and runs against other ledgers do not wait on each other.
 */
export function lockKey(database: string, ledger: LedgerName): bigint {
  const digest = createHash('sha256').update(`belay:${database}:${ledger.schema}.${ledger.table}`).digest();
  return digest.readBigInt64BE(0);
}

export interface LockOptions {
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly progress?: (waitedMs: number) => void;
}

/**
 * Take the session-level advisory lock on `client` (a connection used for nothing else), waiting up to
 * `timeoutMs`. Returns the function that releases it.
 */
export async function acquireLock(client: pg.Client, key: bigint, options: LockOptions): Promise<() => Promise<void>> {
  const started = Date.now();
  const poll = options.pollMs ?? 1000;
  let lastProgress = started;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      key.toString(),
    ]);
    if (rows[0]?.locked) {
      return async () => {
        await client.query('SELECT pg_advisory_unlock($1)', [key.toString()]);
      };
    }
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) {
      throw new BelayError(
        `Another migration holds the lock on this database (waited ${formatDuration(waited)}, lock-timeout). ` +
          "Wait for the other deploy to finish, or find it with: SELECT pid, backend_start FROM pg_locks JOIN pg_stat_activity USING (pid) WHERE locktype = 'advisory';",
      );
    }
    if (Date.now() - lastProgress >= 5000) {
      options.progress?.(waited);
      lastProgress = Date.now();
    }
    await new Promise((r) => setTimeout(r, Math.min(poll, options.timeoutMs - waited)));
  }
}

export interface ApplyContext {
  readonly ledger: LedgerName;
  readonly appliedBy: string;
  /**
   * Another record to write in the same transaction as belay's ledger row (drizzle's own table), so that both
   * say "applied" or neither does. For a migration outside a transaction it is written with the final row,
   * never with the `started` one.
   */
  readonly alsoRecord?: (client: pg.Client) => Promise<unknown>;
}

/** A migration that failed: which file, which statement (line), and PostgreSQL's own message. */
export class MigrationFailed extends BelayError {
  constructor(
    readonly migration: Migration,
    readonly line: number,
    pgMessage: string,
    rolledBack: boolean,
  ) {
    super(
      `${migration.file}:${line}: ${pgMessage}. ` +
        (rolledBack
          ? 'The migration was rolled back; nothing of it is applied.'
          : `It ran outside a transaction, so statements before line ${line} stay applied and its ledger row says "started".`),
    );
    this.name = 'MigrationFailed';
  }
}

/** Apply one migration and record it; returns the time it took in milliseconds. */
export async function applyMigration(client: pg.Client, migration: Migration, ctx: ApplyContext): Promise<number> {
  const started = Date.now();
  // A plain INSERT: a second apply of the same migration must fail on the primary key, never rewrite the row.
  const record = (ms: number) =>
    client.query(
      `INSERT INTO ${qualified(ctx.ledger)} (name, checksum, state, execution_ms, applied_by) VALUES ($1, $2, 'applied', $3, $4)`,
      [migration.name, migration.checksum, ms, ctx.appliedBy],
    );
  // Outside a transaction the `started` row exists already; only that row may become `applied`.
  const finish = async (ms: number) => {
    const result = await client.query(
      `UPDATE ${qualified(ctx.ledger)} SET state = 'applied', execution_ms = $2, applied_at = now() WHERE name = $1 AND state = 'started'`,
      [migration.name, ms],
    );
    if (result.rowCount !== 1)
      throw new BelayError(`The ledger row of ${migration.file} changed while it ran; check it by hand.`);
  };

  if (migration.noTransaction) {
    await client.query(
      `INSERT INTO ${qualified(ctx.ledger)} (name, checksum, state, applied_by) VALUES ($1, $2, 'started', $3)`,
      [migration.name, migration.checksum, ctx.appliedBy],
    );
    await runStatements(client, migration, false);
    const ms = Date.now() - started;
    await inTransaction(client, async () => {
      await finish(ms);
      await ctx.alsoRecord?.(client);
    });
    return ms;
  }

  return inTransaction(client, async () => {
    await runStatements(client, migration, true);
    const ms = Date.now() - started;
    await record(ms);
    await ctx.alsoRecord?.(client);
    return ms;
  });
}

/**
 * Record the current file of an applied (or half-applied) migration as intended, with the reason in the note.
 * Returns false when the ledger has no such migration.
 */
export async function acceptChecksum(
  client: pg.Client,
  ledger: LedgerName,
  migration: Migration,
  note: string,
): Promise<boolean> {
  const result = await client.query(
    `UPDATE ${qualified(ledger)} SET checksum = $2, state = 'applied', note = $3 WHERE name = $1`,
    [migration.name, migration.checksum, note],
  );
  return result.rowCount === 1;
}

/** Record migrations another tool already applied (drizzle's history), without running them, in one transaction. */
export async function recordAdopted(
  client: pg.Client,
  ledger: LedgerName,
  adopted: readonly { readonly migration: Migration; readonly note: string }[],
  appliedBy: string,
): Promise<void> {
  await inTransaction(client, async () => {
    for (const { migration, note } of adopted) {
      await client.query(
        `INSERT INTO ${qualified(ledger)} (name, checksum, state, applied_by, note) VALUES ($1, $2, 'applied', $3, $4)`,
        [migration.name, migration.checksum, appliedBy, note],
      );
    }
  });
}

async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function runStatements(client: pg.Client, migration: Migration, inTransaction: boolean): Promise<void> {
  for (const statement of migration.statements) {
    try {
      await client.query(statement.sql);
    } catch (err) {
      throw new MigrationFailed(migration, statement.line, explain(err as Error & { code?: string }), inTransaction);
    }
  }
}

/** PostgreSQL's message, and which of belay's inputs set the limit it hit. */
function explain(err: Error & { code?: string }): string {
  if (err.code === '57014' && /statement timeout/.test(err.message))
    return `${err.message} (limit set by statement-timeout)`;
  if (err.code === '55P03' && /lock timeout/.test(err.message)) {
    return `${err.message} (limit set by db-lock-timeout: another session held a lock the statement needed)`;
  }
  return err.message;
}
