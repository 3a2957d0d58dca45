/**
 * Where pg_dump runs when the database's container is not what belay expects first. The dump command is started
 * before the container is looked up, in the container Compose names `<app>-<service>-1`, and is handed the
 * password and snapshot only once the lookup proved that container to be the service's. These tests give it the
 * two cases where that first guess is wrong: a service with its own `container_name` while a stranger holds the
 * expected name, and an image whose PATH has no shell (pg_dump is then started from the host). The container is
 * looked up through the Docker Engine's socket, forwarded over the SSH connection; an sshd that refuses that
 * forwarding gets the docker CLI instead. Real sshd, Docker and PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupInputs, deployOwnedDir, errorsOf } from '../harness/backup.js';
import { postgresImage, startComposePostgres, type ComposePostgres } from '../harness/pg-image.js';
import { runAction } from '../harness/runner.js';
import { startSshd } from '../harness/sshd.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const id = randomBytes(4).toString('hex');
const password = `pw '${id}' $(id)`;
const root = mkdtempSync(join(tmpdir(), 'belay-backup-places-'));
const stacks: ComposePostgres[] = [];
const strangers: string[] = [];

/** A directory the deploy user owns, like a backup-dir on a server. */
const backupDir = (name: string) => deployOwnedDir(root, name);

/** A stack with tables `real_customers` (3 rows) and `real_orders` (empty) in database shop. */
async function stack(project: string, extra: { containerName?: string; environment?: Record<string, string> }) {
  const db = await startComposePostgres({ project, user: 'shop', password, database: 'shop', ...extra });
  stacks.push(db);
  const client = await db.connect();
  try {
    await client.query(`
      CREATE TABLE real_customers (id int PRIMARY KEY, name text);
      CREATE TABLE real_orders (id int);
      INSERT INTO real_customers VALUES (1, 'a'), (2, 'b'), (3, 'c');
    `);
  } finally {
    await client.end();
  }
  return db;
}

/** What a dump holds, as `pg_restore --list` of the test host's PostgreSQL says. */
const listing = (file: string) =>
  execFileSync(join(host.pg.bin, 'pg_restore'), ['--list'], { input: readFileSync(file), encoding: 'utf8' });

afterAll(() => {
  for (const name of strangers) execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  for (const db of stacks) db.down();
  rmSync(root, { recursive: true, force: true });
});

describe('backup when the first guess at the container is wrong', () => {
  it('a stranger under the name Compose would give: never dumped, the service (container_name) is', async () => {
    const app = `belay-places-named-${id}`;
    await stack(app, { containerName: `${app}-database` });
    // Same image, same database name and user, another password and other tables: a lookalike by name only.
    const stranger = `${app}-db-1`;
    strangers.push(stranger);
    execFileSync('docker', [
      'run',
      '-d',
      '--name',
      stranger,
      '-e',
      'POSTGRES_USER=shop',
      '-e',
      'POSTGRES_DB=shop',
      '-e',
      `POSTGRES_PASSWORD=stranger-${id}`,
      postgresImage(),
    ]);
    const dir = backupDir('named');
    const r = await runAction('backup', backupInputs(app, password, dir));
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, app, `${r.outputs['backup-id']}.json`), 'utf8'));
    expect(manifest.tool).toMatch(new RegExp(`^pg_dump 15\\.\\d+ in container ${app}-database$`));
    expect(manifest.tables).toEqual([
      { name: 'public.real_customers', rows: 3 },
      { name: 'public.real_orders', rows: 0 },
    ]);
    expect(listing(r.outputs.path!)).toMatch(/TABLE DATA public real_customers /);
    expect(readdirSync(join(dir, app)).sort()).toEqual([
      `${r.outputs['backup-id']}.dump`,
      `${r.outputs['backup-id']}.json`,
    ]);
  });

  it('an image without a shell on PATH: pg_dump is started from the host, in the same snapshot', async () => {
    const app = `belay-places-noshell-${id}`;
    await stack(app, { environment: { PATH: host.pg.bin } });
    // The premise: `sh` cannot be run in this container, pg_dump can.
    const sh = execFileSync('sh', ['-c', `docker exec ${app}-db-1 sh -c true >/dev/null 2>&1; echo $?`], {
      encoding: 'utf8',
    }).trim();
    expect(sh).not.toBe('0');
    const dir = backupDir('noshell');
    const r = await runAction('backup', backupInputs(app, password, dir, { verify: 'restore' }));
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, app, `${r.outputs['backup-id']}.json`), 'utf8'));
    expect(manifest.tables).toEqual([
      { name: 'public.real_customers', rows: 3 },
      { name: 'public.real_orders', rows: 0 },
    ]);
    expect(manifest.verified.method).toBe('restore');
    expect(listing(r.outputs.path!)).toMatch(/TABLE DATA public real_customers /);
    expect(readdirSync(join(dir, app)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('an sshd that refuses socket forwarding: the container is found with the docker CLI', async () => {
    const app = `belay-places-nostream-${id}`;
    await stack(app, {});
    const sshd = await startSshd({ settings: ['AllowStreamLocalForwarding=no'], logLevel: 'DEBUG1' });
    try {
      const inputs = backupInputs(app, password, backupDir('nostream'));
      const knownHosts = inputs['known-hosts']!.replaceAll(`[127.0.0.1]:${host.sshPort}`, `[127.0.0.1]:${sshd.port}`);
      const r = await runAction('backup', {
        ...inputs,
        host: `${host.user}@127.0.0.1:${sshd.port}`,
        'known-hosts': knownHosts,
      });
      expect(errorsOf(r.stdout)).toEqual([]);
      expect(r.code).toBe(0);
      const manifest = JSON.parse(readFileSync(r.outputs.path!.replace(/\.dump$/, '.json'), 'utf8'));
      expect(manifest.tool).toMatch(new RegExp(`^pg_dump 15\\.\\d+ in container ${app}-db-1$`));
      expect(manifest.tables).toEqual([
        { name: 'public.real_customers', rows: 3 },
        { name: 'public.real_orders', rows: 0 },
      ]);
      // The forwarding was asked for and refused; the lookup went on without it.
      expect(sshd.logText()).toMatch(/streamlocal/i);
    } finally {
      await sshd.stop();
    }
  });
});
