/**
 * The backup action (dist/backup) over the real sshd: pg_dump inside the database's compose container or on the
 * host, verified before it counts, pruned by retention, and on every kind of failure (a missing database, a killed
 * pg_dump, a full disk) no partial file left and no older backup touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { startComposePostgres, type ComposePostgres } from '../harness/pg-image.js';
import { runAction, runCli } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const id = randomBytes(4).toString('hex');
const password = `pw '${id}' $(id)`;
/** The compose project, which is also the app: backups land in <backup-dir>/<app>. */
const app = `belay-backup-${id}`;
const root = mkdtempSync(join(tmpdir(), 'belay-backup-'));
const deployUid = Number(execFileSync('id', ['-u', host.user], { encoding: 'utf8' }).trim());
const deployGid = Number(execFileSync('id', ['-g', host.user], { encoding: 'utf8' }).trim());
let db: ComposePostgres;
let client: pg.Client;

/** A directory the deploy user owns, like a backup-dir on a server. */
function backupDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  chownSync(root, deployUid, deployGid);
  chownSync(dir, deployUid, deployGid);
  return dir;
}

const ssh = {
  host: `${host.user}@${host.sshHost}:${host.sshPort}`,
  'ssh-key': readFileSync(host.keys.ed25519, 'utf8'),
  'known-hosts': readFileSync(host.knownHosts, 'utf8'),
};
const inContainer = (dir: string, over: Record<string, string> = {}) => ({
  ...ssh,
  app,
  'db-service': 'db',
  database: 'shop',
  'db-user': 'shop',
  'db-password': password,
  'backup-dir': dir,
  ...over,
});

const errorsOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::error'));
const filesIn = (dir: string) => readdirSync(dir).sort();

beforeAll(async () => {
  db = await startComposePostgres({ project: app, user: 'shop', password, database: 'shop' });
  client = await db.connect();
  await client.query(`
    CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE orders (id int PRIMARY KEY, customer int REFERENCES customers, total numeric);
    CREATE TABLE empty_one (id int);
    CREATE SCHEMA audit;
    CREATE TABLE audit."Log" (at timestamptz DEFAULT now(), what text);
    INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g;
    INSERT INTO orders SELECT g, 1 + g % 500, g * 1.5 FROM generate_series(1, 2000) g;
    INSERT INTO audit."Log" (what) VALUES ('created');
  `);
}, 120_000);

afterAll(async () => {
  await client?.end();
  db?.down();
  spawnSync('umount', [join(root, 'tiny')]);
  rmSync(root, { recursive: true, force: true });
});

describe('backup of a PostgreSQL in a compose container', () => {
  it('dumps inside the container, verifies by a full restore, and writes the file with its manifest', async () => {
    const dir = backupDir('full');
    const r = await runAction('backup', inContainer(dir, { verify: 'restore', label: 'pre-deploy-abc1234' }));
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const backupId = r.outputs['backup-id']!;
    expect(backupId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(filesIn(join(dir, app))).toEqual([`${backupId}.dump`, `${backupId}.json`]);
    const file = join(dir, app, `${backupId}.dump`);
    expect(r.outputs.path).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Number(r.outputs.size)).toBe(statSync(file).size);
    const sha = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    expect(r.outputs.sha256).toBe(sha);

    const manifest = JSON.parse(readFileSync(join(dir, app, `${backupId}.json`), 'utf8'));
    expect(manifest).toMatchObject({
      id: backupId,
      app,
      engine: 'postgres',
      database: 'shop',
      label: 'pre-deploy-abc1234',
      sha256: sha,
      verified: { method: 'restore' },
      tables: [
        { name: 'audit.Log', rows: 1 },
        { name: 'public.customers', rows: 500 },
        { name: 'public.empty_one', rows: 0 },
        { name: 'public.orders', rows: 2000 },
      ],
    });
    expect(manifest.tool).toMatch(/^pg_dump 15\.\d+ in container belay-backup-.*-db-1$/);
    expect(r.stdout).toContain('verifying by restoring into shop_belay_verify_');
    // The scratch database is gone.
    const dbs = await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'shop_belay_%'");
    expect(dbs.rows).toEqual([]);
    expect(r.summary).toContain(`### belay backup ${backupId}`);
    const shown = r.all.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(shown.join('\n')).not.toContain(password);
  });

  it('the dump restores to a database whose every table has the same contents', async () => {
    const dir = backupDir('contents');
    const r = await runAction('backup', inContainer(dir));
    expect(r.code).toBe(0);
    const file = r.outputs.path!;
    await client.query('CREATE DATABASE shop_copy');
    try {
      execFileSync('docker', ['exec', '-i', `${db.project}-db-1`, 'pg_restore', '-U', 'shop', '-d', 'shop_copy'], {
        input: readFileSync(file),
      });
      const copy = await db.connect('shop_copy');
      try {
        for (const table of ['customers', 'orders', 'empty_one', 'audit."Log"']) {
          const hash = `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM ${table} t`;
          const [a, b] = await Promise.all([client.query(hash), copy.query(hash)]);
          expect(b.rows[0].h).toBe(a.rows[0].h);
        }
      } finally {
        await copy.end();
      }
    } finally {
      await client.query('DROP DATABASE shop_copy WITH (FORCE)');
    }
  });

  it('prunes by retention only after a new backup succeeded, and only its own app and database', async () => {
    const dir = backupDir('retention');
    const keep = { 'keep-last': '2', 'keep-daily': '0', 'keep-weekly': '0' };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runAction('backup', inContainer(dir, keep));
      expect(r.code).toBe(0);
      ids.push(r.outputs['backup-id']!);
    }
    const left = filesIn(join(dir, app));
    expect(left).toEqual([`${ids[1]}.dump`, `${ids[1]}.json`, `${ids[2]}.dump`, `${ids[2]}.json`]);

    const list = (...extra: string[]) =>
      runCli([
        ...['backup', 'list', '--app', app, '--backup-dir', dir, '--host', ssh.host],
        ...['--known-hosts-file', host.knownHosts, '--ssh-key-file', host.keys.ed25519, ...extra],
      ]);
    const listed = await list('--json');
    expect(listed.code).toBe(0);
    const backups = JSON.parse(JSON.parse(listed.stdout).backups);
    expect(backups.map((b: { id: string }) => b.id)).toEqual([ids[1], ids[2]]);
    expect(backups[0]).toMatchObject({ database: 'shop', verified: 'toc', size: expect.any(Number) });
    const human = await list();
    expect(human.stdout).toMatch(
      new RegExp(`\\| ${ids[2]} \\| \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ \\| shop \\|`),
    );

    // A failing run prunes nothing, even with a rule that would.
    const failed = await runAction('backup', inContainer(dir, { ...keep, 'keep-last': '1', database: 'nope' }));
    expect(failed.code).toBe(1);
    expect(filesIn(join(dir, app))).toEqual(left);
  });
});

describe('a failing backup leaves nothing behind and touches no older backup', () => {
  it('a database that does not exist: one line, exit 1', async () => {
    const dir = backupDir('missing');
    const good = await runAction('backup', inContainer(dir));
    expect(good.code).toBe(0);
    const before = filesIn(join(dir, app));
    const r = await runAction('backup', inContainer(dir, { database: 'shop_typo' }));
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toEqual([expect.stringContaining('database "shop_typo" does not exist')]);
    expect(filesIn(join(dir, app))).toEqual(before);
  });

  it('a pg_dump killed half way', async () => {
    const dir = backupDir('killed');
    const holder = await db.connect();
    try {
      // pg_dump waits for this lock after it started: long enough to be killed mid-run.
      await holder.query('BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const running = runAction('backup', inContainer(dir));
      let killed = false;
      for (let i = 0; i < 100 && !killed; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        killed = spawnSync('pkill', ['-f', '^pg_dump -U shop -Fc']).status === 0;
      }
      // belay's own row count waits for the same lock: let it go once pg_dump is gone.
      await holder.query('ROLLBACK');
      expect(killed).toBe(true);
      const r = await running;
      expect(r.code).toBe(1);
      expect(errorsOf(r.stdout)).toEqual([expect.stringMatching(/pg_dump failed \(exit \w+\)/)]);
      expect(filesIn(join(dir, app))).toEqual([]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });

  it('a backup-dir on a full filesystem', async () => {
    const dir = backupDir('tiny');
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=64k,uid=${deployUid},gid=${deployGid},mode=0700`, 'tmpfs', dir]);
    await client.query(
      'CREATE TABLE blobs AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS v FROM generate_series(1, 20000) g',
    );
    try {
      const r = await runAction('backup', inContainer(dir));
      expect(r.code).toBe(1);
      expect(errorsOf(r.stdout)).toEqual([
        expect.stringMatching(/pg_dump failed .*no space left on device.* The filesystem of .* is full/i),
      ]);
      expect(filesIn(join(dir, app))).toEqual([]);
    } finally {
      await client.query('DROP TABLE blobs');
    }
  });
});

describe('backup with the host pg_dump against db-host', () => {
  const pgPassword = readFileSync(host.pg.passwordFile, 'utf8').trim();
  const onHost = (dir: string, over: Record<string, string> = {}) => ({
    ...ssh,
    app: 'hosted',
    'db-port': String(host.pg.port),
    database: host.pg.database,
    'db-user': host.pg.user,
    'db-password': pgPassword,
    'backup-dir': dir,
    ...over,
  });

  it('checks the pg_dump version, dumps and verifies the table of contents', async () => {
    const dir = backupDir('host');
    const r = await runAction('backup', onHost(dir));
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'hosted', `${r.outputs['backup-id']}.json`), 'utf8'));
    expect(manifest.tool).toMatch(/^pg_dump 15\.\d+ on deploy@127\.0\.0\.1:\d+$/);
    expect(manifest.verified.method).toBe('toc');
  });

  it('verify: restore without the right to create a database says so, and keeps nothing', async () => {
    const dir = backupDir('host-restore');
    const r = await runAction('backup', onHost(dir, { verify: 'restore' }));
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toEqual([
      expect.stringContaining('verify: restore needs a scratch database, and belay could not create one'),
    ]);
    expect(filesIn(join(dir, 'hosted'))).toEqual([]);
  });
});
