/**
 * drizzle-orm's own migrations table, read and written exactly as drizzle-orm 0.45's migrator does, so that a
 * database belay migrates stays one that drizzle's `migrate()` (often run by the app on start) considers up to date,
 * and a database drizzle already migrated can be taken over without re-running anything.
 *
 * What drizzle-orm does (node_modules/drizzle-orm/migrator.js `readMigrationFiles`, pg-core/dialect.js `migrate`):
 * - reads `meta/_journal.json` and, per entry in array order, `<tag>.sql` decoded as UTF-8; `hash` is the sha256
 *   (hex) of that text and `folderMillis` is the entry's `when`;
 * - creates `"drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`
 *   (schema and table from MigrationConfig's migrationsSchema / migrationsTable);
 * - reads ONE row, `ORDER BY created_at DESC LIMIT 1`, and runs every migration whose `folderMillis` is greater
 *   than that row's created_at, then inserts `(hash, created_at) = (hash, folderMillis)`. It never reads `hash`
 *   again: the hash is not what decides whether a migration is applied, `when` is.
 */
import type pg from 'pg';
import type { LedgerRow } from './plan.js';
import { quoteIdent } from '../database/connect.js';
import { qualified } from './postgres.js';
import type { Migration } from './types.js';

export interface DrizzleTable {
  readonly schema: string;
  readonly table: string;
}

/** drizzle-orm's defaults for PostgreSQL (MigrationConfig.migrationsSchema / migrationsTable). */
export const DEFAULT_DRIZZLE_TABLE: DrizzleTable = { schema: 'drizzle', table: '__drizzle_migrations' };

export interface DrizzleRow {
  readonly id: number;
  readonly hash: string;
  /**
   * The journal `when` (ms since epoch) of the migration, as drizzle wrote it. The column is nullable in drizzle's
   * DDL; drizzle itself never writes NULL, but a hand-made row may.
   */
  readonly createdAt: number | null;
}

/** Create the schema and table with drizzle's own DDL: same names, types and nullability, and no extra column. */
export async function ensureDrizzleTable(client: pg.Client, t: DrizzleTable): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(t.schema)}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${qualified(t)} (
       id SERIAL PRIMARY KEY,
       hash text NOT NULL,
       created_at bigint
     )`,
  );
}

/** Every row of drizzle's table in insertion order, or [] when the table does not exist (drizzle never ran). */
export async function readDrizzleRows(client: pg.Client, t: DrizzleTable): Promise<DrizzleRow[]> {
  const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [qualified(t)]);
  if (exists.rows[0]?.found == null) return [];
  // bigint arrives from pg as a string; journal `when` values are far below 2^53, so Number() is exact.
  const { rows } = await client.query<{ id: number; hash: string; created_at: string | null }>(
    `SELECT id, hash, created_at FROM ${qualified(t)} ORDER BY id`,
  );
  return rows.map((r) => ({ id: r.id, hash: r.hash, createdAt: r.created_at === null ? null : Number(r.created_at) }));
}

/**
 * Write the row drizzle's migrator would have written for `migration`. Call it on the connection that applies the
 * migration, inside the same transaction as belay's own ledger row, so both are committed or neither is.
 *
 * created_at must be the journal's `when`, not the current time: drizzle decides what is pending by comparing each
 * `when` with the newest created_at, so a wall-clock value would hide every migration generated before the deploy
 * but applied later, and a skewed clock could make drizzle run an applied migration again.
 */
export async function recordDrizzleMigration(client: pg.Client, t: DrizzleTable, migration: Migration): Promise<void> {
  if (!migration.drizzle) {
    throw new Error(`${migration.file} is not from a drizzle folder; it has no drizzle hash or journal time`);
  }
  await client.query(`INSERT INTO ${qualified(t)} ("hash", "created_at") VALUES ($1, $2)`, [
    migration.drizzle.hash,
    migration.drizzle.when,
  ]);
}

/** How a drizzle row was tied to a migration of the folder. */
export interface DrizzleMatch {
  readonly migration: Migration;
  readonly row: DrizzleRow;
  /** `hash`: drizzle's hash of the file equals the file's; `created_at`: only the journal `when` equals. */
  readonly by: 'hash' | 'created_at';
  /**
   * How the file differs from the text drizzle hashed: `none` for a hash match, `line-endings` when the hash is
   * one of the file's CRLF/LF variants (a checkout with core.autocrlf), `content` otherwise (edited after drizzle
   * applied it, which drizzle never notices).
   */
  readonly difference: 'none' | 'line-endings' | 'content';
}

export interface DrizzleAdoption {
  /** Matched migrations that belay's ledger does not list yet, in folder order: record them, do not run them. */
  readonly adopted: readonly DrizzleMatch[];
  /** Rows that match no migration of the folder: applied by drizzle, unknown to the folder. */
  readonly unmatched: readonly DrizzleRow[];
}

/**
 * Tie the rows of drizzle's table to the folder's migrations, for a database drizzle already migrated: by hash
 * first (the file is exactly what drizzle applied), then by created_at = journal `when` (the file changed since,
 * e.g. its line endings). Each row and each migration is used at most once; a `when` shared by two unmatched
 * migrations is ambiguous and matches neither. Migrations already in belay's `ledger` are matched (so their rows
 * are not reported) but not adopted again: belay's own checksum stays the authority, so an edit made after belay
 * recorded a migration is still reported as `edited`, never laundered by adoption.
 *
 * A migration drizzle skipped (its `when` is older than the newest row, e.g. generated on a branch merged late)
 * has no row, so it is not adopted: belay, which goes by journal order, sees it as pending (or as out of order when
 * the journal lists it before an applied one) instead of skipping it silently.
 */
export function adoptDrizzleHistory(
  migrations: readonly Migration[],
  rows: readonly DrizzleRow[],
  ledger: readonly LedgerRow[] = [],
): DrizzleAdoption {
  // Indexed, so that verifying a history of thousands of migrations stays linear.
  const byHash = groupBy(migrations, (m) => m.drizzle?.hash);
  const byWhen = groupBy(migrations, (m) => m.drizzle?.when);
  const claimed = new Set<Migration>();
  const matches = new Map<DrizzleRow, DrizzleMatch>();
  const claim = (row: DrizzleRow, migration: Migration | undefined, by: DrizzleMatch['by']) => {
    if (!migration) return;
    claimed.add(migration);
    matches.set(row, { migration, row, by, difference: differenceOf(migration, row) });
  };
  const free = (row: DrizzleRow) => !matches.has(row);
  const unclaimed = (list: readonly Migration[] | undefined) => (list ?? []).filter((m) => !claimed.has(m));

  // Equal hash and equal `when` first, so that two files with the same text (so the same hash) get one row each.
  for (const row of rows.filter(free)) {
    claim(
      row,
      unclaimed(byHash.get(row.hash)).find((m) => m.drizzle!.when === row.createdAt),
      'hash',
    );
  }
  for (const row of rows.filter(free)) claim(row, unclaimed(byHash.get(row.hash))[0], 'hash');
  for (const row of rows.filter(free)) {
    const sameWhen = row.createdAt === null ? [] : unclaimed(byWhen.get(row.createdAt));
    if (sameWhen.length === 1) claim(row, sameWhen[0], 'created_at');
  }

  const inLedger = new Set(ledger.map((r) => r.name));
  const adopted = [...matches.values()]
    .filter((m) => !inLedger.has(m.migration.name))
    .sort((a, b) => a.migration.index - b.migration.index);
  return { adopted, unmatched: rows.filter(free) };
}

function groupBy<K>(migrations: readonly Migration[], key: (m: Migration) => K | undefined): Map<K, Migration[]> {
  const groups = new Map<K, Migration[]>();
  for (const m of migrations) {
    const k = key(m);
    if (k === undefined) continue;
    const group = groups.get(k);
    if (group) group.push(m);
    else groups.set(k, [m]);
  }
  return groups;
}

function differenceOf(migration: Migration, row: DrizzleRow): DrizzleMatch['difference'] {
  if (migration.drizzle!.hash === row.hash) return 'none';
  // drizzle hashes the UTF-8 text, which for a valid UTF-8 file is the sha256 of its bytes: the same kind of
  // checksum as the file's CRLF/LF variants.
  return migration.equivalentChecksums.includes(row.hash) ? 'line-endings' : 'content';
}

/** The ledger rows adoption stands for: what `plan`/`verify` modes should verify against without writing them. */
export function adoptedLedgerRows(adoption: DrizzleAdoption): LedgerRow[] {
  return adoption.adopted.map((m) => ({ name: m.migration.name, checksum: m.migration.checksum, state: 'applied' }));
}

/**
 * The migrations drizzle-orm's migrator would run against a table holding `rows`: those whose `when` is greater
 * than the created_at of the row `ORDER BY created_at DESC LIMIT 1` picks. PostgreSQL sorts NULL first in DESC
 * order, and drizzle reads it as Number(null) = 0, so a single NULL created_at makes drizzle run everything.
 * After belay applies a drizzle folder this must be empty, or the app's migrator would run migrations again.
 */
export function drizzleWouldRun(migrations: readonly Migration[], rows: readonly DrizzleRow[]): Migration[] {
  const withDrizzle = migrations.filter((m) => m.drizzle);
  if (rows.length === 0) return withDrizzle;
  // A loop, not Math.max(...spread): tables of tens of thousands of rows must not hit the argument limit.
  let last = -Infinity;
  for (const r of rows) {
    if (r.createdAt === null) {
      last = 0;
      break;
    }
    last = Math.max(last, r.createdAt);
  }
  return withDrizzle.filter((m) => last < m.drizzle!.when);
}

/** One line for a row that matches no migration: what it is and the way out. */
export function unmatchedRowMessage(row: DrizzleRow, t: DrizzleTable): string {
  const when = row.createdAt === null ? 'no created_at' : `created_at ${row.createdAt} (${isoOrRaw(row.createdAt)})`;
  return (
    `${qualified(t)} row ${row.id} (hash ${row.hash.slice(0, 12)}…, ${when}) matches no migration in the folder by ` +
    'hash or by journal time: drizzle applied a migration this folder no longer has. Restore its .sql file and ' +
    'journal entry from git, or point "dir" at the folder this database was migrated from.'
  );
}

function isoOrRaw(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? 'not a time' : date.toISOString();
}
