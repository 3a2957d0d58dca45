/**
 * The migrate action through its bundle (dist/migrate), as the runner runs it, against the test host's real
 * PostgreSQL: apply, verify on the next run, and refuse an edited migration with an annotation on the file.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runAction, runCli } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const password = readFileSync(host.pg.passwordFile, 'utf8').trim();
const url = `postgres://${host.pg.user}:${encodeURIComponent(password)}@${host.pg.host}:${host.pg.port}/${host.pg.database}`;
const id = randomBytes(4).toString('hex');
const app = `app_${id}`;
const ledger = `ledger_${id}`;
const workspace = mkdtempSync(join(tmpdir(), 'belay-migrate-'));

beforeAll(() => {
  mkdirSync(join(workspace, 'db'));
  writeFileSync(join(workspace, 'db', '0001_schema.sql'), `CREATE SCHEMA ${app};\n`);
  writeFileSync(
    join(workspace, 'db', '0002_users.sql'),
    `CREATE TABLE ${app}.users (id int);\nINSERT INTO ${app}.users VALUES (1);\n`,
  );
  writeFileSync(join(workspace, 'db', '0002_users.down.sql'), `DROP TABLE ${app}.users;\n`);
});

afterAll(async () => {
  rmSync(workspace, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${app} CASCADE; DROP SCHEMA IF EXISTS ${ledger} CASCADE`);
  await admin.end();
});

const inputs = (over: Record<string, string> = {}) => ({
  dir: 'db',
  'database-url': url,
  'ledger-schema': ledger,
  ...over,
});

describe('migrate action (dist/migrate)', () => {
  it('applies pending migrations, then verifies them on the next run, and keeps the password out of the log', async () => {
    const first = await runAction('migrate', inputs(), { cwd: workspace });
    expect(first.stdout).not.toContain('::error');
    expect(first.code).toBe(0);
    expect(first.outputs).toMatchObject({ status: 'applied', pending: '[]' });
    expect(JSON.parse(first.outputs.applied!)).toEqual(['0001_schema.sql', '0002_users.sql']);
    expect(first.summary).toContain('| 0002_users.sql |');

    const second = await runAction('migrate', inputs(), { cwd: workspace });
    expect(second.code).toBe(0);
    expect(second.outputs).toMatchObject({ status: 'up-to-date', applied: '[]' });
    for (const r of [first, second]) {
      const shown = r.all.split('\n').filter((l) => !l.startsWith('::add-mask::'));
      expect(shown.join('\n')).not.toContain(password);
    }
  });

  it('plan mode lists what is pending and changes nothing', async () => {
    writeFileSync(join(workspace, 'db', '0003_orders.sql'), `CREATE TABLE ${app}.orders (id int);\n`);
    const r = await runAction('migrate', inputs({ mode: 'plan' }), { cwd: workspace });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'pending', pending: '["0003_orders.sql"]', applied: '[]' });
    const cli = await runCli(['migrate', '--dir', 'db', '--database-url', url, '--ledger-schema', ledger, '--json'], {
      cwd: workspace,
    });
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'applied', applied: '["0003_orders.sql"]' });
  });

  it('refuses an edited migration with an annotation on that file, and applies nothing', async () => {
    appendFileSync(join(workspace, 'db', '0002_users.sql'), '-- tweak\n');
    writeFileSync(join(workspace, 'db', '0004_more.sql'), `CREATE TABLE ${app}.more (id int);\n`);
    const r = await runAction('migrate', inputs(), { cwd: workspace });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ status: 'drift', applied: '[]' });
    expect(r.stdout).toContain(
      '::error title=Migration edited,file=db/0002_users.sql::0002_users.sql was edited after it was applied',
    );
  });
});
