/**
 * The migrate engine against the test host's real PostgreSQL: transactions per migration, a failing migration
 * rolled back, CONCURRENTLY outside a transaction, and the advisory lock between two runs at once.
 * Every test uses its own schemas, so tests and runs never see each other's tables.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { migrateDatabase, type MigrateOptions } from '../../src/migrate/engine.js';
import { acquireLock, lockKey, MigrationFailed } from '../../src/migrate/postgres.js';
import type { Migration } from '../../src/migrate/types.js';
import { MemoryReporter } from '../../src/report/memory.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const password = readFileSync(host.pg.passwordFile, 'utf8').trim();
const url = `postgres://${host.pg.user}:${encodeURIComponent(password)}@${host.pg.host}:${host.pg.port}/${host.pg.database}`;

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** A migration built by hand: one statement per entry of `statements`. */
function migration(index: number, name: string, statements: string[], noTransaction = false): Migration {
  const text = statements.join(';\n');
  return {
    name,
    file: `${name}.sql`,
    index,
    checksum: sha(text),
    equivalentChecksums: [sha(text)],
    text,
    statements: statements.map((sql, i) => ({ sql, line: i + 1 })),
    ...(noTransaction ? { noTransaction: { reason: 'test', line: 1 } } : {}),
  };
}

const schemas: string[] = [];
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
});
afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

/** A fresh app schema and ledger schema for one test. */
function fresh(): { app: string; options: (over: Partial<MigrateOptions>) => MigrateOptions } {
  const id = randomBytes(4).toString('hex');
  const app = `app_${id}`;
  schemas.push(app, `ledger_${id}`);
  return {
    app,
    options: (over) => ({
      url,
      migrations: [],
      mode: 'apply',
      ledger: { schema: `ledger_${id}`, table: 'schema_migrations' },
      lockTimeoutMs: 10_000,
      lockPollMs: 50,
      appliedBy: 'test',
      reporter: new MemoryReporter(),
      ...over,
    }),
  };
}

const tables = async (schema: string) =>
  (
    await admin.query<{ t: string }>('SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1', [schema])
  ).rows.map((r) => r.t);

describe('migrate engine on PostgreSQL', () => {
  it('applies pending migrations once each, records them, and verifies them on the next run', async () => {
    const { app, options } = fresh();
    const ms = [
      migration(0, '0001_schema', [`CREATE SCHEMA ${app}`]),
      migration(1, '0002_users', [`CREATE TABLE ${app}.users (id int)`, `INSERT INTO ${app}.users VALUES (1)`]),
    ];
    const first = await migrateDatabase(options({ migrations: ms }));
    expect(first.applied.map((a) => a.name)).toEqual(['0001_schema', '0002_users']);
    expect(await tables(app)).toEqual(['users']);

    const second = await migrateDatabase(options({ migrations: ms }));
    expect(second.applied).toEqual([]);
    expect(second.plan.entries.map((e) => e.status)).toEqual(['applied', 'applied']);

    const edited = [ms[0]!, migration(1, '0002_users', [`CREATE TABLE ${app}.users (id bigint)`])];
    const verify = await migrateDatabase(options({ migrations: edited, mode: 'verify' }));
    expect(verify.plan.problems).toEqual([expect.objectContaining({ name: '0002_users', status: 'edited' })]);
  });

  it('rolls back a failing migration in the middle: the first stays, the third never runs', async () => {
    const { app, options } = fresh();
    const ms = [
      migration(0, '0001_ok', [`CREATE SCHEMA ${app}`, `CREATE TABLE ${app}.a (id int)`]),
      migration(1, '0002_fails', [`CREATE TABLE ${app}.b (id int)`, `INSERT INTO ${app}.nope VALUES (1)`]),
      migration(2, '0003_later', [`CREATE TABLE ${app}.c (id int)`]),
    ];
    const err = await migrateDatabase(options({ migrations: ms })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationFailed);
    expect((err as Error).message).toMatch(
      /^0002_fails\.sql:2: relation ".*\.nope" does not exist\. The migration was rolled back/,
    );
    expect(await tables(app)).toEqual(['a']);
    const after = await migrateDatabase(options({ migrations: ms, mode: 'plan' }));
    expect(after.plan.entries.map((e) => e.status)).toEqual(['applied', 'pending', 'pending']);
  });

  it('runs a CONCURRENTLY migration outside a transaction, which PostgreSQL requires', async () => {
    const { app, options } = fresh();
    const setup = migration(0, '0001_t', [`CREATE SCHEMA ${app}`, `CREATE TABLE ${app}.t (id int)`]);
    const concurrently = `CREATE INDEX CONCURRENTLY t_id ON ${app}.t (id)`;
    const inTx = await migrateDatabase(
      options({ migrations: [setup, migration(1, '0002_idx', [concurrently])] }),
    ).catch((e: unknown) => e);
    expect((inTx as Error).message).toMatch(/cannot run inside a transaction block/);
    const outside = await migrateDatabase(
      options({ migrations: [setup, migration(1, '0002_idx', [concurrently], true)] }),
    );
    expect(outside.applied.map((a) => a.name)).toEqual(['0002_idx']);
    const idx = await admin.query('SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2', [app, 't_id']);
    expect(idx.rowCount).toBe(1);
  });

  it('two applies at the same time: each migration once, the second waits for the lock', async () => {
    const { app, options } = fresh();
    const ms = [
      migration(0, '0001_schema', [`CREATE SCHEMA ${app}`]),
      // Slow enough that the second run surely arrives while the first holds the lock.
      migration(1, '0002_slow', [`CREATE TABLE ${app}.t (id int)`, 'SELECT pg_sleep(0.5)']),
    ];
    const a = new MemoryReporter();
    const b = new MemoryReporter();
    const [ra, rb] = await Promise.all([
      migrateDatabase(options({ migrations: ms, reporter: a })),
      new Promise((r) => setTimeout(r, 100)).then(() => migrateDatabase(options({ migrations: ms, reporter: b }))),
    ]);
    const appliedCounts = [ra.applied.length, rb.applied.length].sort();
    expect(appliedCounts).toEqual([0, 2]);
    expect(rb.plan.entries.map((e) => e.status)).toEqual(['applied', 'applied']);
    const rows = await admin.query(`SELECT name FROM ${options({}).ledger.schema}.schema_migrations`);
    expect(rows.rowCount).toBe(2);
  });

  it('gives up after lock-timeout with a clear message, and leaves the lock with its holder', async () => {
    const { options } = fresh();
    const o = options({ lockTimeoutMs: 300 });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      const release = await acquireLock(holder, lockKey(host.pg.database, o.ledger), { timeoutMs: 1000 });
      const err = await migrateDatabase(o).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(
        /^Another migration holds the lock on this database \(waited 3\d\dms, lock-timeout\)/,
      );
      await release();
    } finally {
      await holder.end();
    }
  });
});
