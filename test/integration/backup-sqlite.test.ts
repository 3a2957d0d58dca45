/**
 * SQLite backups and restores over the real sshd: an online copy made by SQLite itself while the file is in use,
 * checked (integrity, row counts) before it counts, and a restore that swaps the file and keeps the old one.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const root = mkdtempSync(join(tmpdir(), 'belay-sqlite-'));
const data = join(root, 'data');
const backups = join(root, 'backups');
const dbFile = join(data, 'app.db');
const owner = (path: string) =>
  chownSync(
    path,
    Number(execFileSync('id', ['-u', host.user], { encoding: 'utf8' })),
    Number(execFileSync('id', ['-g', host.user], { encoding: 'utf8' })),
  );
const sql = (query: string, file = dbFile) =>
  execFileSync('sqlite3', ['-bail', file, query], { encoding: 'utf8' }).trim();
const errorsOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::error'));

const inputs = (over: Record<string, string> = {}) => ({
  host: `${host.user}@${host.sshHost}:${host.sshPort}`,
  'ssh-key': readFileSync(host.keys.ed25519, 'utf8'),
  'known-hosts': readFileSync(host.knownHosts, 'utf8'),
  app: 'notes',
  engine: 'sqlite',
  'sqlite-path': dbFile,
  'backup-dir': backups,
  ...over,
});

beforeAll(() => {
  for (const dir of [root, data, backups]) {
    mkdirSync(dir, { recursive: true });
    owner(dir);
  }
  sql(`PRAGMA journal_mode=WAL;
       CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
       CREATE TABLE "odd name" (x);
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO notes SELECT i, 'note ' || i FROM n;`);
  owner(dbFile);
  for (const f of readdirSync(data)) owner(join(data, f));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SQLite', () => {
  let backupId: string;

  it("backs up a WAL database in use with SQLite's online copy, counted and checked", async () => {
    sql("INSERT INTO notes VALUES (301, 'still in the WAL')"); // not yet checkpointed into the main file
    const r = await runAction('backup', inputs({ label: 'nightly' }));
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    backupId = r.outputs['backup-id']!;
    const file = join(backups, 'notes', `${backupId}.sqlite`);
    expect(r.outputs.path).toBe(file);
    expect(sql('SELECT count(*) FROM notes', file)).toBe('301');
    const manifest = JSON.parse(readFileSync(join(backups, 'notes', `${backupId}.json`), 'utf8'));
    expect(manifest).toMatchObject({
      engine: 'sqlite',
      database: 'app.db',
      label: 'nightly',
      tables: [
        { name: 'notes', rows: 301 },
        { name: 'odd name', rows: 0 },
      ],
    });
    expect(manifest.tool).toMatch(/^sqlite3 3\.\d+\.\d+ on deploy@/);
  });

  it('a sqlite-path that does not exist fails without creating it or keeping anything', async () => {
    const before = readdirSync(join(backups, 'notes')).sort();
    const r = await runAction('backup', inputs({ 'sqlite-path': join(data, 'typo.db') }));
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toEqual([expect.stringContaining('no such file')]);
    expect(existsSync(join(data, 'typo.db'))).toBe(false);
    expect(readdirSync(join(backups, 'notes')).sort()).toEqual(before);
  });

  it('restore swaps the file in and keeps the replaced one with its WAL', async () => {
    sql("DELETE FROM notes WHERE id > 10; INSERT INTO notes VALUES (999, 'after the backup')");
    const refused = await runAction('restore', inputs({ 'backup-id': backupId, confirm: 'notes.db' }));
    expect(refused.code).toBe(1);
    expect(errorsOf(refused.stdout)[0]).toContain('Set confirm: app.db to replace that database.');

    const r = await runAction('restore', inputs({ 'backup-id': 'latest', confirm: 'app.db' }));
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs['backup-id']).toBe(backupId);
    const keptAs = r.outputs['kept-as']!;
    expect(keptAs).toMatch(/app\.db\.before_restore_\d{8}_\d{6}$/);
    expect(sql('SELECT count(*), max(id) FROM notes')).toBe('301|301');
    expect(sql('SELECT body FROM notes WHERE id = 999', keptAs)).toBe('after the backup');
    expect(readdirSync(data).filter((f) => f.includes('belay-restore'))).toEqual([]);
  });
});
