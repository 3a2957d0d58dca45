/**
 * The backup action (dist/backup) over the real sshd: pg_dump inside the database's compose container or on the
 * host, verified before it counts, pruned by retention, and on every kind of failure (a missing database, a killed
 * pg_dump, a full disk) no partial file left and no older backup touched.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { deployOwnedDir, inContainerOf } from '../harness/backup.js';
import { startComposePostgres, type ComposePostgres } from '../harness/pg-image.js';
import { runAction, runCli, runComposite } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const id = randomBytes(4).toString('hex');
const password = `pw '${id}' $(id)`;
/** The compose project, which is also the app: backups land in <backup-dir>/<app>. */
const app = `belay-backup-${id}`;
const root = mkdtempSync(join(tmpdir(), 'belay-backup-'));
let db: ComposePostgres;
let client: pg.Client;

const deployUid = Number(execFileSync('id', ['-u', host.user], { encoding: 'utf8' }).trim());
const deployGid = Number(execFileSync('id', ['-g', host.user], { encoding: 'utf8' }).trim());
/** A directory the deploy user owns, like a backup-dir on a server. */
const backupDir = (name: string) => deployOwnedDir(root, name);

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
  await client?.end().catch(() => undefined);
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
    // Ids of backups taken in the same second sort by their random part: compare as sorted names.
    expect(left).toEqual([`${ids[1]}.dump`, `${ids[1]}.json`, `${ids[2]}.dump`, `${ids[2]}.json`].sort());

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
      // Only this file's pg_dump: other test files dump with the same arguments at the same time.
      const ownPgDump = inContainerOf(db, '^pg_dump -U shop -Fc');
      let killed = false;
      for (let i = 0; i < 100 && !killed; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        killed = spawnSync('pkill', ownPgDump).status === 0;
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

describe('restore', () => {
  const tableHashes = async (c: pg.Client) => {
    const out: Record<string, string> = {};
    for (const table of ['customers', 'orders', 'empty_one', 'audit."Log"']) {
      const q = `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM ${table} t`;
      out[table] = (await c.query(q)).rows[0].h;
    }
    return out;
  };
  // Restores end every connection to shop, so the test watches from the maintenance database.
  let admin: pg.Client;
  const databases = async () =>
    (
      await admin.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE 'shop%' ORDER BY 1")
    ).rows.map((r) => r.d);
  const hashesOf = async (database = 'shop') => {
    const c = await db.connect(database);
    try {
      return await tableHashes(c);
    } finally {
      await c.end();
    }
  };
  let dir: string;
  let backupId: string;
  let atBackup: Record<string, string>;

  beforeAll(async () => {
    admin = await db.connect('postgres');
    // Every restore that reaches the swap ends the connections to shop, this one's too.
    client.on('error', () => undefined);
    dir = backupDir('restore');
    const r = await runAction('backup', inContainer(dir));
    expect(r.code).toBe(0);
    backupId = r.outputs['backup-id']!;
    atBackup = await tableHashes(client);
    // What happens after the backup, and what a restore takes back.
    await client.query("INSERT INTO customers VALUES (9001, 'after the backup'); DELETE FROM orders WHERE id <= 10");
  });

  afterAll(async () => {
    await admin?.end();
  });

  const restore = (over: Record<string, string>) =>
    runAction('restore', {
      ...ssh,
      app,
      'db-service': 'db',
      database: 'shop',
      'db-user': 'shop',
      'db-password': password,
      'backup-dir': dir,
      ...over,
    });

  it('refuses without confirm equal to the database it replaces, before connecting to anything', async () => {
    for (const confirm of [undefined, 'shop_typo']) {
      const r = await restore({ 'backup-id': 'latest', ...(confirm ? { confirm } : {}) });
      expect(r.code).toBe(1);
      expect(errorsOf(r.stdout)).toEqual([expect.stringContaining('Invalid input "confirm"')]);
      expect(errorsOf(r.stdout)[0]).toContain('Set confirm: shop to replace that database.');
    }
    expect(await databases()).toEqual(['shop']);
  });

  it('a corrupted backup file is refused before anything is touched', async () => {
    const file = join(dir, app, `${backupId}.dump`);
    const original = readFileSync(file);
    const corrupted = Buffer.from(original);
    corrupted[corrupted.length - 100] = corrupted[corrupted.length - 100]! ^ 0xff;
    writeFileSync(file, corrupted);
    try {
      const r = await restore({ 'backup-id': backupId, confirm: 'shop' });
      expect(r.code).toBe(1);
      expect(errorsOf(r.stdout)).toEqual([expect.stringContaining('changed since it was verified')]);
      expect(await databases()).toEqual(['shop']);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('target-database restores beside the current database, every table identical to the backup', async () => {
    const r = await restore({ 'backup-id': backupId, 'target-database': 'shop_copy', confirm: 'shop_copy' });
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ 'backup-id': backupId, database: 'shop_copy', 'kept-as': '' });
    expect(await databases()).toEqual(['shop', 'shop_copy']);
    expect(await hashesOf('shop_copy')).toEqual(atBackup);
    expect(await hashesOf('shop')).not.toEqual(atBackup);
    const again = await restore({ 'backup-id': backupId, 'target-database': 'shop_copy', confirm: 'shop_copy' });
    expect(again.code).toBe(1);
    expect(errorsOf(again.stdout)).toEqual([expect.stringContaining('shop_copy exists already')]);
    await admin.query('DROP DATABASE shop_copy');
  });

  it('when the swap fails half way it is undone, and the database is as it was', async () => {
    const before = await hashesOf();
    let holder: pg.Client | undefined;
    const watching = (async () => {
      for (let i = 0; i < 500 && !holder; i++) {
        const found = await admin.query<{ d: string }>(
          "SELECT datname AS d FROM pg_database WHERE datname LIKE 'shop_belay_restore_%'",
        );
        if (found.rows[0]) {
          holder = await db.connect(found.rows[0].d).catch(() => undefined);
          holder?.on('error', () => undefined);
        } else await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const r = await restore({ 'backup-id': backupId, confirm: 'shop' });
    await watching;
    await holder?.end().catch(() => undefined);
    expect(holder).toBeDefined();
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toEqual([expect.stringContaining('The swap was undone: shop is as it was.')]);
    expect(await databases()).toEqual(['shop']);
    expect(await hashesOf()).toEqual(before);
  });

  it('replaces the database by rename, ending its connections, and keeps the old one', async () => {
    const appConnection = await db.connect();
    appConnection.on('error', () => undefined);
    const r = await restore({ 'backup-id': 'latest', confirm: 'shop' });
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const keptAs = r.outputs['kept-as']!;
    expect(keptAs).toMatch(/^shop_before_restore_\d{8}_\d{6}$/);
    expect(r.stdout).toMatch(/ended \d+ connection\(s\) to shop/);
    await expect(appConnection.query('SELECT 1')).rejects.toThrow();
    expect(await databases()).toEqual(['shop', keptAs]);
    expect(await hashesOf()).toEqual(atBackup);
    const old = await db.connect(keptAs);
    try {
      expect((await old.query('SELECT name FROM customers WHERE id = 9001')).rows).toEqual([
        { name: 'after the backup' },
      ]);
    } finally {
      await old.end();
      await appConnection.end().catch(() => undefined);
    }
    expect(r.summary).toContain(`### belay restore ${backupId}`);
  });
});

describe('actions/scheduled-backup (composite)', () => {
  it('backs up verified by a full restore, downloads it, and hands that folder to upload-artifact', async () => {
    const dir = backupDir('scheduled');
    const runnerTemp = mkdtempSync(join(tmpdir(), 'belay-runner-temp-'));
    try {
      const given: Record<string, string> = inContainer(dir);
      delete given['backup-dir'];
      const r = await runComposite(
        'scheduled-backup',
        { ...given, 'allow-unencrypted-offsite': 'true', 'retention-days': '30' },
        // A job-level BELAY_* variable still counts when the input is not given.
        { runnerTemp, env: { BELAY_BACKUP_DIR: dir } },
      );
      expect(errorsOf(r.stdout)).toEqual([]);
      expect(r.code).toBe(0);
      const id = r.steps.backup!['backup-id']!;
      const manifest = JSON.parse(readFileSync(join(dir, app, `${id}.json`), 'utf8'));
      expect(manifest.verified.method).toBe('restore');
      expect(filesIn(join(runnerTemp, 'belay-backup'))).toEqual([`${id}.dump`, `${id}.json`]);
      expect(r.uses).toEqual([
        {
          uses: 'actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02',
          with: {
            name: `belay-backup-${id}`,
            path: join(runnerTemp, 'belay-backup'),
            'retention-days': '30',
            'if-no-files-found': 'error',
          },
        },
      ]);
      expect(
        r.all
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n'),
      ).not.toContain(password);
    } finally {
      rmSync(runnerTemp, { recursive: true, force: true });
    }
  });
});
