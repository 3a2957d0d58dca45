/**
 * Migrations on the test host's PostgreSQL, printed, never asserted:
 *
 * 1. Apply 500 small generated drizzle-format migrations with drizzle-orm's own migrator (the baseline: one
 *    transaction for everything, no verification, no lock) and with belay's `migrateDatabase` in apply mode with
 *    drizzle's table kept in step (advisory lock, every checksum verified, one transaction per migration, a ledger
 *    row and a drizzle row each), on identical fresh targets in the same run. After one uncounted warm-up round,
 *    rounds alternate which tool goes first; each round's ratio, the median of those ratios and where the time goes
 *    (time waiting on PostgreSQL by kind of query) are printed. Target: belay ≤ 1.2× drizzle.
 * 2. Verify a ledger of 10,000 applied migrations (belay's ledger and drizzle's table both full, as belay leaves
 *    them): read the folder of 10,000 files, read the ledger, verify every checksum. Target: under 1 s.
 *
 * The belay role on the test host cannot create databases, so an "identical fresh database" is a set of schemas of
 * its own (app tables, drizzle's table, belay's ledger), unique per round and dropped after it; whatever is left
 * (and the temp folders) is dropped at the end, on failure and on Ctrl-C too. Every query any pg.Client sends is
 * counted, so round trips per migration are printed for both tools.
 *
 * Reading the figures: the test host's PostgreSQL runs with fsync=off and is shared with every test run, whose DDL
 * keeps it checkpointing; a round that meets that load can take 3x longer for either tool, which is why each
 * round's ratio is shown. Trust the rounds whose times sit near the best ones.
 *
 * Run: npx tsx bench/migrate.ts   (BENCH_ROUNDS=7, BENCH_MIGRATIONS=500, BENCH_LEDGER=10000 to change sizes)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { adoptDrizzleHistory, ensureDrizzleTable, readDrizzleRows, type DrizzleTable } from '../src/migrate/drizzle.js';
import { migrateDatabase } from '../src/migrate/engine.js';
import { readMigrationFolder } from '../src/migrate/folder.js';
import { planMigrations } from '../src/migrate/plan.js';
import { ensureLedger, readLedger, type LedgerName } from '../src/migrate/postgres.js';
import { MemoryReporter } from '../src/report/memory.js';
import { testHost } from '../test/harness/test-host.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const MIGRATIONS = Number(process.env.BENCH_MIGRATIONS ?? 500);
const LEDGER = Number(process.env.BENCH_LEDGER ?? 10_000);
const VERIFY_RUNS = 3;

const host = testHost();
const password = readFileSync(host.pg.passwordFile, 'utf8').trim();
const url = `postgres://${host.pg.user}:${encodeURIComponent(password)}@${host.pg.host}:${host.pg.port}/${host.pg.database}`;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const now = () => performance.now();

// Every query of every client, drizzle's included (it drives the pg.Client it is given), is counted, and while a
// recorder is set, timed by kind: that is what explains a ratio (round trips per migration, commits).
type Recorder = Map<string, { n: number; ms: number }>;
let queries = 0;
let recorder: { kinds: Recorder; kindOf: (sql: string) => string } | undefined;
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  queries++;
  const start = now();
  const result = query.apply(this, args);
  const r = recorder;
  if (r && result instanceof Promise) {
    const arg = args[0];
    const sql = typeof arg === 'string' ? arg : ((arg as { text?: string } | null)?.text ?? '');
    const done = () => {
      const kind = r.kindOf(sql);
      const k = r.kinds.get(kind) ?? { n: 0, ms: 0 };
      r.kinds.set(kind, { n: k.n + 1, ms: k.ms + now() - start });
    };
    result.then(done, done);
  }
  return result;
};

const KINDS = ['migration statements', 'BEGIN / COMMIT', "belay's ledger rows", "drizzle's rows", 'setup, lock, reads'];
/** Sort a query into one of KINDS, given the schemas of one run. */
function kindOf(sql: string, app: string, ledger: string | undefined, drizzleSchema: string): string {
  const s = sql.trimStart();
  if (/^(BEGIN|COMMIT|ROLLBACK)\b/i.test(s)) return KINDS[1]!;
  if (/^insert/i.test(s) && ledger !== undefined && s.includes(quote(ledger))) return KINDS[2]!;
  if (/^insert/i.test(s) && s.includes(quote(drizzleSchema))) return KINDS[3]!;
  if (s.includes(quote(app))) return KINDS[0]!;
  return KINDS[4]!;
}

const id = `belay_bench_${randomBytes(4).toString('hex')}`;
const temp = mkdtempSync(join(tmpdir(), 'belay-bench-migrate-'));
const schemas: string[] = [];
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;
const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');

/** A new schema name for this run, remembered so that it is dropped after its round, or at the end. */
function schema(name: string): string {
  const s = `${id}_${name}`;
  schemas.push(s);
  return s;
}

async function dropSchemas(admin: pg.Client): Promise<void> {
  for (const s of [...schemas].reverse()) {
    await admin.query(`DROP SCHEMA IF EXISTS ${quote(s)} CASCADE`);
    schemas.splice(schemas.indexOf(s), 1);
  }
}

// Ctrl-C stops after the step in progress, so the cleanup below still runs. tsx relays the terminal's Ctrl-C to
// this process a second time at once, so only a signal more than a second after the first one stops it right away.
let interrupted = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted === 0) {
      interrupted = Date.now();
      console.error(`${signal}: stopping after the current step, then cleaning up (again to stop at once)`);
    } else if (Date.now() - interrupted > 1000) {
      process.exit(130);
    }
  });
}
class Interrupted extends Error {}
function checkInterrupted(): void {
  if (interrupted !== 0) throw new Interrupted('interrupted: cleaning up');
}

/**
 * A drizzle-kit-shaped folder (meta/_journal.json and `<tag>.sql`), written by hand. Returns the files' texts in
 * journal order with their tags and journal times.
 */
function writeDrizzleFolder(
  dir: string,
  count: number,
  sql: (table: string) => string,
): { tag: string; when: number; text: string }[] {
  mkdirSync(join(dir, 'meta'), { recursive: true });
  const start = Date.UTC(2024, 0, 1);
  const files = Array.from({ length: count }, (_, i) => {
    const table = `t${String(i).padStart(4, '0')}`;
    return { tag: `${String(i).padStart(4, '0')}_${table}`, when: start + i * 1000, text: sql(table) };
  });
  for (const f of files) writeFileSync(join(dir, `${f.tag}.sql`), f.text);
  const entries = files.map((f, idx) => ({ idx, version: '7', when: f.when, tag: f.tag, breakpoints: true }));
  writeFileSync(
    join(dir, 'meta/_journal.json'),
    JSON.stringify({ version: '7', dialect: 'postgresql', entries }, null, 2),
  );
  return files;
}

/** 500 migrations that each create a small table and an index on it, in `app`. */
function applyFolder(dir: string, app: string): void {
  writeDrizzleFolder(
    dir,
    MIGRATIONS,
    (t) =>
      `CREATE TABLE ${quote(app)}."${t}" ("id" serial PRIMARY KEY, "name" text);--> statement-breakpoint\n` +
      `CREATE INDEX "${t}_name" ON ${quote(app)}."${t}" ("name");`,
  );
}

interface Timing {
  readonly ms: number;
  readonly queries: number;
  /** Time and count of each kind of query. */
  readonly kinds: Recorder;
}

async function countTables(client: pg.Client, app: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
    [app],
  );
  return Number(rows[0]!.n);
}

/** drizzle-orm's migrator as an app runs it on start: connect, read the folder, migrate, disconnect. */
async function runDrizzle(admin: pg.Client, round: number): Promise<Timing> {
  const app = schema(`d${round}_app`);
  const migrationsSchema = schema(`d${round}_drizzle`);
  const dir = join(temp, `drizzle-${round}`);
  applyFolder(dir, app);
  await admin.query(`CREATE SCHEMA ${quote(app)}`);
  const kinds: Recorder = new Map();
  recorder = { kinds, kindOf: (sql) => kindOf(sql, app, undefined, migrationsSchema) };
  const q = queries;
  const start = now();
  const client = new pg.Client({ connectionString: url, application_name: 'bench drizzle' });
  await client.connect();
  try {
    await migrate(drizzle({ client }), {
      migrationsFolder: dir,
      migrationsSchema,
      migrationsTable: '__drizzle_migrations',
    });
  } finally {
    await client.end();
    recorder = undefined;
  }
  const timing = { ms: now() - start, queries: queries - q, kinds };
  const tables = await countTables(admin, app);
  if (tables !== MIGRATIONS) throw new Error(`drizzle-orm's migrator created ${tables} tables, not ${MIGRATIONS}`);
  return timing;
}

/** belay as the migrate action runs it: read the folder (checksums), then migrateDatabase in apply mode. */
async function runBelay(admin: pg.Client, round: number): Promise<Timing & { readMs: number }> {
  const app = schema(`b${round}_app`);
  const drizzleTable: DrizzleTable = { schema: schema(`b${round}_drizzle`), table: '__drizzle_migrations' };
  const ledger: LedgerName = { schema: schema(`b${round}_ledger`), table: 'schema_migrations' };
  const dir = join(temp, `belay-${round}`);
  applyFolder(dir, app);
  await admin.query(`CREATE SCHEMA ${quote(app)}`);
  const reporter = new MemoryReporter();
  const kinds: Recorder = new Map();
  recorder = { kinds, kindOf: (sql) => kindOf(sql, app, ledger.schema, drizzleTable.schema) };
  const q = queries;
  const start = now();
  let result: Awaited<ReturnType<typeof migrateDatabase>>;
  let readMs: number;
  try {
    const folder = readMigrationFolder(dir, 'drizzle');
    readMs = now() - start;
    result = await migrateDatabase({
      url,
      migrations: folder.migrations,
      mode: 'apply',
      ledger,
      lockTimeoutMs: 60_000,
      appliedBy: 'bench',
      reporter,
      drizzle: drizzleTable,
    });
  } finally {
    recorder = undefined;
  }
  const timing = { ms: now() - start, queries: queries - q, kinds, readMs };
  if (result.applied.length !== MIGRATIONS || result.plan.problems.length > 0) {
    throw new Error(`belay applied ${result.applied.length} of ${MIGRATIONS} migrations:\n${reporter.text()}`);
  }
  const tables = await countTables(admin, app);
  if (tables !== MIGRATIONS) throw new Error(`belay created ${tables} tables, not ${MIGRATIONS}`);
  return timing;
}

/** The time of one round trip on an idle connection, to put query counts in milliseconds. */
async function roundTrip(admin: pg.Client): Promise<number> {
  for (let i = 0; i < 100; i++) await admin.query('SELECT 1');
  const start = now();
  for (let i = 0; i < 1000; i++) await admin.query('SELECT 1');
  return (now() - start) / 1000;
}

async function benchApply(admin: pg.Client): Promise<void> {
  checkInterrupted();
  const drizzleRuns: Timing[] = [];
  const belayRuns: (Timing & { readMs: number })[] = [];
  console.log(
    `apply ${MIGRATIONS} migrations (CREATE TABLE + CREATE INDEX each), ${ROUNDS} round(s), order alternating`,
  );
  // Round 0 warms up (a fresh server's first DDL is slow for both) and is not counted.
  for (let round = 0; round <= ROUNDS; round++) {
    const order = round % 2 === 0 ? (['drizzle', 'belay'] as const) : (['belay', 'drizzle'] as const);
    let d = 0;
    let b = 0;
    for (const tool of order) {
      checkInterrupted();
      if (tool === 'drizzle') {
        const t = await runDrizzle(admin, round);
        if (round > 0) drizzleRuns.push(t);
        d = t.ms;
      } else {
        const t = await runBelay(admin, round);
        if (round > 0) belayRuns.push(t);
        b = t.ms;
      }
    }
    // Dropped now, not at the end: later rounds must not pay for a catalog holding every earlier round's tables.
    await dropSchemas(admin);
    rmSync(join(temp, `drizzle-${round}`), { recursive: true, force: true });
    rmSync(join(temp, `belay-${round}`), { recursive: true, force: true });
    const name = round === 0 ? 'warm-up' : `round ${round}`;
    console.log(
      `  ${name} (${order[0]} first): drizzle ${d.toFixed(0)} ms, belay ${b.toFixed(0)} ms, ${(b / d).toFixed(2)}x`,
    );
  }
  // Paired: each round's ratio, then their median. Load from other work on the machine comes in bursts that hit
  // both runs of a round alike far more often than two different rounds.
  const ratio = median(belayRuns.map((b, i) => b.ms / drizzleRuns[i]!.ms));
  const best = (runs: readonly Timing[]) => Math.min(...runs.map((t) => t.ms));
  const perMigration = (runs: readonly Timing[]) => (median(runs.map((t) => t.queries)) / MIGRATIONS).toFixed(2);
  const line = (name: string, runs: readonly Timing[]) =>
    `  ${name.padEnd(32)} median ${ms(median(runs.map((t) => t.ms)))}, best ${ms(best(runs))}, ` +
    `${perMigration(runs)} queries per migration`;
  console.log(line('drizzle-orm migrator (baseline)', drizzleRuns));
  console.log(line('belay migrateDatabase apply', belayRuns));
  console.log(`    belay's folder read (checksums): ${median(belayRuns.map((t) => t.readMs)).toFixed(1)} ms`);
  console.log(`    one round trip (SELECT 1): ${(await roundTrip(admin)).toFixed(3)} ms`);
  console.log('  where the time goes (median over rounds): time waiting on PostgreSQL (queries), by kind of query');
  console.log(`    ${''.padEnd(34)}${'drizzle'.padStart(20)}${'belay'.padStart(20)}`);
  const cell = (runs: readonly Timing[], kind: string) => {
    const n = median(runs.map((t) => t.kinds.get(kind)?.n ?? 0));
    return (n === 0 ? '-' : `${median(runs.map((t) => t.kinds.get(kind)?.ms ?? 0)).toFixed(0)} ms (${n})`).padStart(20);
  };
  const outside = (runs: readonly Timing[]) => {
    const rest = runs.map((t) => t.ms - [...t.kinds.values()].reduce((sum, k) => sum + k.ms, 0));
    return `${median(rest).toFixed(0)} ms`.padStart(20);
  };
  for (const kind of KINDS) console.log(`    ${kind.padEnd(34)}${cell(drizzleRuns, kind)}${cell(belayRuns, kind)}`);
  console.log(`    ${'outside (connect, files, JS)'.padEnd(34)}${outside(drizzleRuns)}${outside(belayRuns)}`);
  console.log(
    `  ratio belay/drizzle (median of the rounds' ratios) ${ratio.toFixed(2)}, of best times ` +
      `${(best(belayRuns) / best(drizzleRuns)).toFixed(2)}; target ≤ 1.2: ${ratio <= 1.2 ? 'met' : 'NOT MET'}`,
  );
}

async function benchVerify(admin: pg.Client): Promise<void> {
  checkInterrupted();
  const dir = join(temp, 'verify');
  const writeStart = now();
  const files = writeDrizzleFolder(dir, LEDGER, (t) => `CREATE TABLE "app"."${t}" ("id" integer);\n`);
  const writeMs = now() - writeStart;
  // The state belay leaves behind after applying them all: its ledger and drizzle's table, one row per file.
  const ledger: LedgerName = { schema: schema('v_ledger'), table: 'schema_migrations' };
  const drizzleTable: DrizzleTable = { schema: schema('v_drizzle'), table: '__drizzle_migrations' };
  await ensureLedger(admin, ledger);
  await ensureDrizzleTable(admin, drizzleTable);
  const names = files.map((f) => f.tag);
  const sums = files.map((f) => sha256(f.text));
  await admin.query(
    `INSERT INTO ${quote(ledger.schema)}.${quote(ledger.table)} (name, checksum, state, execution_ms, applied_by)
     SELECT name, checksum, 'applied', 1, 'bench' FROM unnest($1::text[], $2::text[]) AS u(name, checksum)`,
    [names, sums],
  );
  await admin.query(
    `INSERT INTO ${quote(drizzleTable.schema)}.${quote(drizzleTable.table)} (hash, created_at)
     SELECT hash, created_at FROM unnest($1::text[], $2::bigint[]) AS u(hash, created_at)`,
    [sums, files.map((f) => f.when)],
  );
  await admin.query(`ANALYZE ${quote(ledger.schema)}.${quote(ledger.table)}`);

  console.log(`verify ${LEDGER} applied migrations (files written in ${writeMs.toFixed(0)} ms), ${VERIFY_RUNS} runs`);
  const totals: number[] = [];
  const reads: number[] = [];
  const dbs: number[] = [];
  for (let run = 0; run < VERIFY_RUNS; run++) {
    const start = now();
    const folder = readMigrationFolder(dir, 'drizzle');
    const read = now();
    const result = await migrateDatabase({
      url,
      migrations: folder.migrations,
      mode: 'verify',
      ledger,
      lockTimeoutMs: 60_000,
      appliedBy: 'bench',
      reporter: new MemoryReporter(),
      drizzle: drizzleTable,
    });
    const end = now();
    const p = result.plan;
    if (p.problems.length > 0 || p.pending.length > 0 || p.entries.length !== LEDGER) {
      throw new Error(
        `verify found ${p.problems.length} problem(s) and ${p.pending.length} pending migration(s); ` +
          `first: ${p.problems[0]?.message ?? p.pending[0]?.name}`,
      );
    }
    reads.push(read - start);
    dbs.push(end - read);
    totals.push(end - start);
  }

  // The parts on their own: the ledger and drizzle's rows read over one connection, and the pure work on them.
  const migrations = readMigrationFolder(dir, 'drizzle').migrations;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let ledgerMs: number, drizzleMs: number;
  let rows: Awaited<ReturnType<typeof readLedger>>;
  let drizzleRows: Awaited<ReturnType<typeof readDrizzleRows>>;
  try {
    let t = now();
    rows = await readLedger(client, ledger);
    ledgerMs = now() - t;
    t = now();
    drizzleRows = await readDrizzleRows(client, drizzleTable);
    drizzleMs = now() - t;
  } finally {
    await client.end();
  }
  const planTimes: number[] = [];
  const adoptTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    let t = now();
    adoptDrizzleHistory(migrations, drizzleRows, rows);
    adoptTimes.push(now() - t);
    t = now();
    planMigrations(migrations, rows);
    planTimes.push(now() - t);
  }

  const total = median(totals);
  console.log(`  read folder (${LEDGER} files, checksums, split)   ${ms(median(reads))}`);
  console.log(`  migrateDatabase verify (connect, read, verify) ${ms(median(dbs))}`);
  console.log(`    of which: read ledger ${ledgerMs.toFixed(1)} ms, read drizzle's table ${drizzleMs.toFixed(1)} ms,`);
  console.log(
    `              match drizzle rows ${median(adoptTimes).toFixed(1)} ms, plan alone ${median(planTimes).toFixed(1)} ms`,
  );
  console.log(`  total, median (first run ${totals[0]!.toFixed(0)} ms)          ${ms(total)}`);
  console.log(`  target < 1 s: ${total < 1000 ? 'met' : 'NOT MET'}`);
}

const admin = new pg.Client({ connectionString: url, application_name: 'bench admin' });
let failed = false;
try {
  await admin.connect();
  console.log(`PostgreSQL ${host.pg.host}:${host.pg.port}/${host.pg.database}, schemas ${id}_*`);
  const settings = await admin.query<{ name: string; setting: string }>(
    "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit') ORDER BY name",
  );
  console.log(`  server settings: ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}`);
  if (settings.rows.some((r) => r.name === 'fsync' && r.setting === 'off')) {
    console.log('  (fsync=off: a COMMIT flushes nothing here; a production server pays one WAL flush per COMMIT)');
  }
  await benchApply(admin);
  await benchVerify(admin);
} catch (err) {
  failed = true;
  console.error(err instanceof Interrupted ? err.message : err);
} finally {
  await dropSchemas(admin).catch((err: Error) => {
    failed = true;
    console.error(`could not drop the schemas ${schemas.join(', ')}: ${err.message}`);
  });
  await admin.end().catch(() => undefined);
  rmSync(temp, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
