/**
 * What a migrate run would do, decided without side effects from two facts: the migrations in the folder and the
 * rows of belay's ledger. Every applied migration is verified on every run (unlike drizzle-orm, which stores a
 * hash and never looks at it again), and a pending migration that sorts before the newest applied one is refused
 * instead of being skipped silently.
 */
import type { Migration } from './types.js';

/** One row of belay's ledger, as read from the database. */
export interface LedgerRow {
  readonly name: string;
  /** sha256 of the file as it was applied, or as last accepted with `belay migrate accept`. */
  readonly checksum: string;
  /** `started`: a migration that runs outside a transaction began and never finished. */
  readonly state: 'applied' | 'started';
  readonly appliedAt?: Date;
}

export type MigrationStatus = 'applied' | 'pending' | 'edited' | 'missing' | 'half-applied' | 'out-of-order';

export interface PlanEntry {
  readonly name: string;
  /** Undefined for a ledger row whose file is gone. */
  readonly migration?: Migration;
  readonly row?: LedgerRow;
  readonly status: MigrationStatus;
}

export interface Problem {
  readonly name: string;
  readonly status: Exclude<MigrationStatus, 'applied' | 'pending'>;
  /** One line: what is wrong and the way out. */
  readonly message: string;
  /** Relative path of the file, for an annotation (absent when the file is missing). */
  readonly file?: string;
}

export interface Plan {
  /** Folder order first, then ledger rows without a file (in ledger order). */
  readonly entries: readonly PlanEntry[];
  readonly pending: readonly Migration[];
  readonly problems: readonly Problem[];
}

export interface PlanOptions {
  /** Apply a pending migration even when a later one is already applied. */
  readonly allowOutOfOrder?: boolean;
}

export function planMigrations(
  migrations: readonly Migration[],
  ledger: readonly LedgerRow[],
  options: PlanOptions = {},
): Plan {
  const rows = new Map(ledger.map((r) => [r.name, r]));
  const inFolder = new Set(migrations.map((m) => m.name));
  // A loop, not Math.max(...spread): ledgers of tens of thousands of rows must not hit the argument limit.
  let lastApplied = -1;
  for (const m of migrations) if (rows.has(m.name) && m.index > lastApplied) lastApplied = m.index;
  const newestName = migrations.find((m) => m.index === lastApplied)?.name;

  const entries: PlanEntry[] = [];
  const problems: Problem[] = [];
  const pending: Migration[] = [];
  for (const migration of migrations) {
    const row = rows.get(migration.name);
    const status = statusOf(migration, row, lastApplied, options);
    entries.push({ name: migration.name, migration, ...(row ? { row } : {}), status });
    if (status === 'pending') pending.push(migration);
    else if (status !== 'applied') problems.push(problemOf(status, migration, row, newestName));
  }
  for (const row of ledger) {
    if (inFolder.has(row.name)) continue;
    entries.push({ name: row.name, row, status: 'missing' });
    problems.push({
      name: row.name,
      status: 'missing',
      message: `${row.name} is recorded as applied but is not in the migrations folder. Restore the file; applied migrations are never deleted or renamed.`,
    });
  }
  return { entries, pending, problems };
}

type FolderProblem = 'edited' | 'half-applied' | 'out-of-order';

function statusOf(
  migration: Migration,
  row: LedgerRow | undefined,
  lastApplied: number,
  options: PlanOptions,
): 'applied' | 'pending' | FolderProblem {
  if (!row) return migration.index < lastApplied && !options.allowOutOfOrder ? 'out-of-order' : 'pending';
  if (row.state === 'started') return 'half-applied';
  return migration.equivalentChecksums.includes(row.checksum) ? 'applied' : 'edited';
}

function problemOf(
  status: FolderProblem,
  migration: Migration,
  row: LedgerRow | undefined,
  newestApplied: string | undefined,
): Problem {
  const base = { name: migration.name, status, file: migration.file };
  switch (status) {
    case 'edited':
      return {
        ...base,
        message:
          `${migration.file} was edited after it was applied: expected sha256 ${row!.checksum}, found ${migration.checksum}. ` +
          `Restore the applied version and put the change in a new migration, or accept it with \`belay migrate accept ${migration.name} --reason "…"\`.`,
      };
    case 'half-applied':
      return {
        ...base,
        message:
          `${migration.file} started outside a transaction and never finished, so part of it may be applied. ` +
          `Check the database by hand, then record the outcome with \`belay migrate accept ${migration.name} --reason "…"\`.`,
      };
    case 'out-of-order':
      return {
        ...base,
        message:
          `${migration.file} is pending but sorts before ${newestApplied}, which is already applied. ` +
          'Rename it to sort after the newest applied migration, or set allow-out-of-order: true if it is independent.',
      };
  }
}
