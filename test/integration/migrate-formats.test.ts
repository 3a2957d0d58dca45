/**
 * The migrate action (dist/migrate) end to end on each folder format a user has, on the test host's real
 * PostgreSQL: drizzle-kit, plain and Flyway folders apply in their own order and verify on the next run; a
 * migration outside a transaction that fails half way stays visible until accepted; PostgreSQL's statement and
 * lock timeouts set by inputs stop a migration and roll it back.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { runAction, runCli } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const password = readFileSync(host.pg.passwordFile, 'utf8').trim();
const base = `postgres://${host.pg.user}:${encodeURIComponent(password)}@${host.pg.host}:${host.pg.port}/${host.pg.database}`;
const id = randomBytes(4).toString('hex');
const FIXTURES = resolve('test/fixtures/migrations');
const workspace = mkdtempSync(join(tmpdir(), 'belay-migrate-formats-'));
const schemas: string[] = [];
const admin = new pg.Client({ connectionString: base });

/** A schema of its own per case; the fixtures' unqualified tables land in it through search_path. */
async function freshSchema(name: string): Promise<{ schema: string; url: string }> {
  const schema = `${name}_${id}`;
  schemas.push(schema, `${schema}_ledger`, `${schema}_drizzle`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  return { schema, url: `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}` };
}

const tablesOf = async (schema: string) =>
  (
    await admin.query<{ t: string }>(
      'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
      [schema],
    )
  ).rows.map((r) => r.t);

const ledgerOf = async (schema: string) =>
  (await admin.query(`SELECT name, state, note FROM ${schema}_ledger.schema_migrations ORDER BY applied_at, name`))
    .rows;

const errorsOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::error'));

beforeAll(async () => {
  await admin.connect();
});

afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await admin.end();
  rmSync(workspace, { recursive: true, force: true });
});

async function applyFixture(format: 'plain' | 'flyway' | 'drizzle') {
  const { schema, url } = await freshSchema(format);
  cpSync(join(FIXTURES, format), join(workspace, format), { recursive: true });
  if (format === 'drizzle') {
    // drizzle-kit writes foreign keys as "public"."users"; here the app's schema is the case's own.
    const file = join(workspace, format, '0000_curious_sentinel.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('"public".', `"${schema}".`));
  }
  const inputs = {
    dir: format,
    'database-url': url,
    'ledger-schema': `${schema}_ledger`,
    'drizzle-schema': `${schema}_drizzle`,
  };
  const first = await runAction('migrate', inputs, { cwd: workspace });
  const second = await runAction('migrate', { ...inputs, mode: 'verify' }, { cwd: workspace });
  return { schema, first, second };
}

describe('each folder format, through the action', () => {
  it('plain: *.sql and *.up.sql by name, *.down.sql ignored, the CONCURRENTLY one outside a transaction', async () => {
    const { schema, first, second } = await applyFixture('plain');
    expect(errorsOf(first.stdout)).toEqual([]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.outputs.applied!)).toEqual(['0001_init.sql', '0002_users.up.sql', '0010_later.sql']);
    expect(await tablesOf(schema)).toEqual(['accounts', 'users']);
    const index = await admin.query(
      "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1 || '.users_created_idx')",
      [schema],
    );
    expect(index.rows).toEqual([{ indisvalid: true }]);
    expect(second.code).toBe(0);
    expect(second.outputs).toMatchObject({ status: 'up-to-date', pending: '[]' });
  });

  it('flyway: V<version>__ in version order (1.9 before 1.10), R__ warned about and not run', async () => {
    const { schema, first, second } = await applyFixture('flyway');
    expect(errorsOf(first.stdout)).toEqual([]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.outputs.applied!)).toEqual([
      'V1__init.sql',
      'V1.1__add_email.sql',
      'V1.9__add_name.sql',
      'V1.10__index_email.sql',
      'V2_1__audit.sql',
    ]);
    expect(first.stdout).toContain('::warning title=Migration folder,file=flyway/R__view.sql::');
    expect(await tablesOf(schema)).toEqual(['audit', 'person']);
    expect(second.outputs).toMatchObject({ status: 'up-to-date' });
  });

  it("drizzle: the journal's order, statement breakpoints, drizzle's own table kept in step", async () => {
    const { schema, first, second } = await applyFixture('drizzle');
    expect(errorsOf(first.stdout)).toEqual([]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.outputs.applied!)).toEqual([
      '0000_curious_sentinel',
      '0001_wet_hulk',
      '0002_custom_title_index',
    ]);
    expect(first.stdout).toContain('::warning title=Migration folder,file=drizzle/scratch.sql::');
    expect(await tablesOf(schema)).toEqual(['posts', 'users']);
    const drizzleRows = await admin.query(
      `SELECT created_at FROM ${schema}_drizzle.__drizzle_migrations ORDER BY created_at`,
    );
    const journal = JSON.parse(readFileSync(join(FIXTURES, 'drizzle/meta/_journal.json'), 'utf8')) as {
      entries: { when: number }[];
    };
    expect(drizzleRows.rows.map((r: { created_at: string }) => Number(r.created_at))).toEqual(
      journal.entries.map((e) => e.when),
    );
    expect(second.outputs).toMatchObject({ status: 'up-to-date' });
  });
});

describe('a migration outside a transaction that fails half way', () => {
  it('keeps what ran, marks the ledger row started, blocks later runs until accepted with a reason', async () => {
    const { schema, url } = await freshSchema('half');
    const dir = join(workspace, 'half');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_table.sql'), 'CREATE TABLE items (id int, sku text);\n');
    writeFileSync(
      join(dir, '0002_indexes.sql'),
      [
        '-- belay:no-transaction',
        'CREATE INDEX CONCURRENTLY items_id_idx ON items (id);',
        'CREATE INDEX CONCURRENTLY items_price_idx ON items (price);',
        '',
      ].join('\n'),
    );
    const inputs = { dir: 'half', 'database-url': url, 'ledger-schema': `${schema}_ledger` };

    const failed = await runAction('migrate', inputs, { cwd: workspace });
    expect(failed.code).toBe(1);
    expect(failed.outputs.status).toBe('failed');
    const [error] = errorsOf(failed.stdout);
    expect(error).toContain('file=half/0002_indexes.sql,line=3');
    expect(error).toContain('column "price" does not exist');
    expect(error).toContain('statements before line 3 stay applied and its ledger row says "started"');
    expect(await ledgerOf(schema)).toEqual([
      { name: '0001_table.sql', state: 'applied', note: null },
      { name: '0002_indexes.sql', state: 'started', note: null },
    ]);
    const indexes = await admin.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [schema]);
    expect(indexes.rows).toEqual([{ indexname: 'items_id_idx' }]);

    // Fixed by hand on the server, the file corrected: the next run still refuses until someone accepts it.
    writeFileSync(
      join(dir, '0002_indexes.sql'),
      [
        '-- belay:no-transaction',
        'CREATE INDEX CONCURRENTLY items_id_idx ON items (id);',
        'CREATE INDEX CONCURRENTLY items_sku_idx ON items (sku);',
        '',
      ].join('\n'),
    );
    await admin.query(`CREATE INDEX items_sku_idx ON ${schema}.items (sku)`);
    const blocked = await runAction('migrate', inputs, { cwd: workspace });
    expect(blocked.code).toBe(1);
    expect(blocked.outputs.status).toBe('drift');
    expect(errorsOf(blocked.stdout)).toEqual([
      expect.stringContaining('::error title=Migration half-applied,file=half/0002_indexes.sql::'),
    ]);

    const cli = (...args: string[]) =>
      runCli(['migrate', ...args, '--dir', 'half', '--database-url', url, '--ledger-schema', `${schema}_ledger`], {
        cwd: workspace,
      });
    const accepted = await cli('accept', '0002_indexes.sql', '--reason', 'sku index created by hand, see #7');
    expect(accepted.code).toBe(0);
    const rows = await ledgerOf(schema);
    expect(rows[1]).toMatchObject({ name: '0002_indexes.sql', state: 'applied' });
    expect(rows[1].note).toContain('sku index created by hand, see #7');
    const after = await runAction('migrate', inputs, { cwd: workspace });
    expect(after.code).toBe(0);
    expect(after.outputs.status).toBe('up-to-date');
  });
});

describe("PostgreSQL's timeouts for the migration session", () => {
  it('statement-timeout: a statement running longer fails, its migration is rolled back, the ledger unchanged', async () => {
    const { schema, url } = await freshSchema('slow');
    const dir = join(workspace, 'slow');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_slow.sql'), 'CREATE TABLE slow (id int);\nSELECT pg_sleep(5);\n');
    const inputs = { dir: 'slow', 'database-url': url, 'ledger-schema': `${schema}_ledger` };
    const r = await runAction('migrate', { ...inputs, 'statement-timeout': '300ms' }, { cwd: workspace });
    expect(r.code).toBe(1);
    const [error] = errorsOf(r.stdout);
    expect(error).toContain('file=slow/0001_slow.sql,line=2');
    expect(error).toContain('canceling statement due to statement timeout (limit set by statement-timeout)');
    expect(error).toContain('The migration was rolled back');
    expect(await tablesOf(schema)).toEqual([]);
    expect(await ledgerOf(schema)).toEqual([]);

    const bad = await runAction('migrate', { ...inputs, 'statement-timeout': 'soon' }, { cwd: workspace });
    expect(bad.code).toBe(1);
    expect(errorsOf(bad.stdout)).toEqual([
      '::error::Invalid input "statement-timeout": "soon" is not a duration. Write a number with a unit, like 90s, 5m or 1h, or off.',
    ]);
  });

  it('db-lock-timeout: a migration waiting on a table another session holds gives up instead of queueing', async () => {
    const { schema, url } = await freshSchema('locked');
    await admin.query(`CREATE TABLE ${schema}.busy (id int)`);
    const dir = join(workspace, 'locked');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_alter.sql'), 'ALTER TABLE busy ADD COLUMN note text;\n');
    const holder = new pg.Client({ connectionString: base });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ${schema}.busy IN ACCESS SHARE MODE`);
      const r = await runAction(
        'migrate',
        { dir: 'locked', 'database-url': url, 'ledger-schema': `${schema}_ledger`, 'db-lock-timeout': '300ms' },
        { cwd: workspace },
      );
      expect(r.code).toBe(1);
      expect(errorsOf(r.stdout)[0]).toContain(
        'canceling statement due to lock timeout (limit set by db-lock-timeout: another session held a lock the statement needed)',
      );
      expect(await ledgerOf(schema)).toEqual([]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });
});
