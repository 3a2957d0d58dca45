/**
 * The migrate action through its bundle (dist/migrate), as the runner runs it, against the test host's real
 * PostgreSQL: apply, verify on the next run, and refuse an edited migration with an annotation on the file.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runAction, runCli } from '../harness/runner.js';
import { startSshd } from '../harness/sshd.js';
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

// The tests run in order on one workspace and one ledger, like successive deploys of one app.
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

  it('accepts the edit only explicitly, with a reason kept in the ledger, then applies again', async () => {
    const cli = (...args: string[]) =>
      runCli(['migrate', ...args, '--dir', 'db', '--database-url', url, '--ledger-schema', ledger], { cwd: workspace });
    const noReason = await cli('accept', '0002_users.sql');
    expect(noReason.code).toBe(1);
    expect(noReason.stderr.trim()).toMatch(
      /^error: Invalid input "reason": accepting a changed migration needs a reason/,
    );

    const accepted = await cli('accept', '0002_users.sql', '--reason', 'comment only, reviewed in #42', '--json');
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ status: 'accepted' });

    const applied = await cli('--json');
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ status: 'applied', applied: '["0004_more.sql"]' });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const { rows } = await admin.query(`SELECT note FROM ${ledger}.schema_migrations WHERE name = '0002_users.sql'`);
    await admin.end();
    expect(rows[0].note).toMatch(/^accepted .* by .*: comment only, reviewed in #42$/);

    const again = await cli('accept', '0002_users.sql', '--reason', 'twice');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('matches the ledger already: nothing to accept');
  });

  it('reaches the database through SSH as seen from the server (db-host), one connection, no password shown', async () => {
    const sshd = await startSshd({ logLevel: 'DEBUG1' });
    try {
      writeFileSync(join(workspace, 'db', '0005_via_ssh.sql'), `CREATE TABLE ${app}.via_ssh (id int);\n`);
      const r = await runAction(
        'migrate',
        {
          dir: 'db',
          'ledger-schema': ledger,
          host: `${host.user}@${host.sshHost}:${sshd.port}`,
          'ssh-key': readFileSync(host.keys.ed25519, 'utf8'),
          'host-fingerprint': Object.values(host.hostFingerprints).join(','),
          'db-port': String(host.pg.port),
          database: host.pg.database,
          'db-user': host.pg.user,
          'db-password': password,
        },
        { cwd: workspace },
      );
      expect(r.stdout).not.toContain('::error');
      expect(r.code).toBe(0);
      expect(r.outputs).toMatchObject({ status: 'applied', applied: '["0005_via_ssh.sql"]' });
      expect(r.stdout).toContain('through SSH');
      expect(sshd.acceptedConnections()).toBe(1);
      expect(sshd.logText()).toContain(`target 127.0.0.1 port ${host.pg.port}`); // the forward, as sshd saw it
      const shown = r.all.split('\n').filter((l) => !l.startsWith('::add-mask::'));
      expect(shown.join('\n')).not.toContain(password);
    } finally {
      await sshd.stop();
    }
  });

  it('says what is missing when neither database-url nor the SSH path is given', async () => {
    const r = await runAction('migrate', { dir: 'db' }, { cwd: workspace });
    expect(r.code).toBe(1);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('::error')),
    ).toEqual([
      '::error::Invalid input "database-url": it is required (or host, database and db-user, to go through SSH) but was not given. Add `database-url:` under `with:` in the workflow step, set BELAY_DATABASE_URL, or put database-url in belay.yml.',
    ]);
  });
});

describe('migrate action with against-ref (review time, no database)', () => {
  const repo = mkdtempSync(join(tmpdir(), 'belay-review-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  beforeAll(() => {
    git('init', '-q', '-b', 'main');
    mkdirSync(join(repo, 'db'));
    writeFileSync(join(repo, 'db', '0001_init.sql'), 'CREATE TABLE a (id int);\n');
    writeFileSync(join(repo, 'db', '0003_b.sql'), 'CREATE TABLE b (id int);\n');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    git('checkout', '-q', '-b', 'feature');
  });

  it('passes a branch that only adds a migration after the newest on the base', async () => {
    writeFileSync(join(repo, 'db', '0004_c.sql'), 'CREATE TABLE c (id int);\n');
    const r = await runAction('migrate', { dir: 'db', mode: 'verify', 'against-ref': 'main' }, { cwd: repo });
    expect(r.stdout).not.toContain('::error');
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'up-to-date', pending: '["0004_c.sql"]' });
  });

  it('fails a branch that edits a migration of the base or adds one before its newest, with annotations', async () => {
    appendFileSync(join(repo, 'db', '0001_init.sql'), 'ALTER TABLE a ADD COLUMN x int;\n');
    writeFileSync(join(repo, 'db', '0002_early.sql'), 'CREATE TABLE early (id int);\n');
    const r = await runAction('migrate', { dir: 'db', mode: 'verify', 'against-ref': 'main' }, { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('drift');
    expect(r.stdout).toMatch(/::error title=Migration edited,file=db\/0001_init\.sql::/);
    expect(r.stdout).toMatch(/::error title=Migration out-of-order,file=db\/0002_early\.sql::/);
  });

  it('refuses against-ref outside verify mode, and an unknown ref, in one line', async () => {
    const apply = await runAction('migrate', { dir: 'db', 'against-ref': 'main' }, { cwd: repo });
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('::error::Invalid input "against-ref": it only works with mode: verify');
    const unknown = await runAction(
      'migrate',
      { dir: 'db', mode: 'verify', 'against-ref': 'origin/nope' },
      { cwd: repo },
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain(
      '::error::Invalid input "against-ref": "origin/nope" is not a commit in this repository',
    );
  });
});
