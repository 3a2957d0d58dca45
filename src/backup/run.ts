/**
 * `belay backup` / the backup action: dump on the server into a partial file, verify it, promote it with its
 * manifest, then prune by retention. On any failure the partial is removed and nothing is pruned, so older
 * backups are exactly as they were. `belay backup list` shows what is there.
 */
import { missing } from '../config/load.js';
import { formatDuration, formatSize } from '../core/duration.js';
import { BelayError, InputError } from '../core/errors.js';
import type { RunContext } from '../engine.js';
import { markdownTable, type Reporter } from '../report/reporter.js';
import type { Transport } from '../transport/types.js';
import { fileOf, newBackupId, provenance, type Manifest } from './manifest.js';
import {
  checkPgDumpVersion,
  compareCounts,
  countTables,
  lastLine,
  openSnapshot,
  pgCommand,
  stdinFor,
  tablesWithData,
  type PgLogin,
  type PgPlace,
  type TableCount,
} from './postgres.js';
import { planOffsite, sendOffsite } from './offsite.js';
import { applyRetention } from './retention.js';
import { sqliteCopy, sqliteName, sqlitePlace, sqliteVersion } from './sqlite.js';
import { onServer, openPgSession, type OnServer, type PgSession } from './session.js';
import type { BackupStore } from './store.js';
import { quoteIdent } from '../database/connect.js';

type Values = RunContext['loaded']['values'];

const LABEL = /^[A-Za-z0-9._-]{1,100}$/;

/** How often a long dump reports its progress. */
const PROGRESS_MS = 5_000;

export async function runBackup({ reporter, face, loaded, cwd }: RunContext): Promise<boolean> {
  const v = loaded.values;
  if (v.list) return listBackups({ reporter, face, loaded });
  const engine = v.engine ?? 'postgres';
  if (v.label && !LABEL.test(v.label)) {
    throw new InputError(
      'label',
      `"${v.label}" has characters other than letters, digits, ".", "_" and "-"`,
      'Use a label like pre-deploy-1a2b3c4.',
    );
  }
  const offsite = planOffsite(v, face, cwd);
  if (engine === 'sqlite') {
    if (!v.sqlitePath) throw missing('sqlitePath', face, 'it is required to back up a SQLite database');
  } else {
    if (!v.database) throw missing('database', face, 'it is required to back up a PostgreSQL database');
    if (!v.dbUser) throw missing('dbUser', face, 'it is required to back up a PostgreSQL database');
  }
  return onServer(v, face, reporter, async (s) => {
    const manifest = engine === 'sqlite' ? await backupSqlite(s, v, reporter) : await backupPostgres(s, v, reporter);
    await prune(s.store, manifest, v, reporter);
    await sendOffsite(offsite, s.t, s.store, manifest, reporter);
    reporter.setOutput('backup-id', manifest.id);
    reporter.setOutput('path', s.store.path(manifest.file));
    reporter.setOutput('sha256', manifest.sha256);
    reporter.setOutput('size', String(manifest.size));
    reporter.summary(
      `### belay backup ${manifest.id}\n\n` +
        markdownTable(
          ['Database', 'Label', 'Size', 'sha256', 'Tables', 'Rows', 'Verified', 'Took'],
          [
            [
              manifest.database,
              manifest.label ?? '',
              formatSize(manifest.size),
              manifest.sha256.slice(0, 12),
              String(manifest.tables.length),
              String(manifest.tables.reduce((n, x) => n + x.rows, 0)),
              manifest.verified.method,
              formatDuration(manifest.durationMs),
            ],
          ],
        ),
    );
    reporter.info(
      `✓ backup ${manifest.id}: ${formatSize(manifest.size)}, ${manifest.tables.length} table(s), verified (${manifest.verified.method}), at ${s.store.path(manifest.file)}`,
    );
    return true;
  });
}

/** What an engine's dump produced, for the manifest. */
type Produced = Pick<Manifest, 'database' | 'size' | 'sha256' | 'serverVersion' | 'tool' | 'tables'> & {
  readonly method: Manifest['verified']['method'];
};

/**
 * The end every engine shares: the partial written and verified by `produce` is renamed and given its manifest;
 * whatever goes wrong, no half-written or unverified file stays behind to be mistaken for a backup.
 */
async function keepVerified(
  store: BackupStore,
  v: Values,
  engine: Manifest['engine'],
  produce: (partial: string, id: string) => Promise<Produced>,
): Promise<Manifest> {
  const started = Date.now();
  await store.ensure();
  const id = newBackupId(new Date(started));
  const file = fileOf(id, engine);
  const partial = `${file}.partial`;
  let promoted = false;
  try {
    const { method, ...produced } = await produce(partial, id);
    if (produced.size === 0)
      throw new BelayError('The backup file is empty. Nothing was kept and no backup was pruned.');
    const manifest: Manifest = {
      belay: 1,
      id,
      app: v.app!,
      engine,
      ...(v.label ? { label: v.label } : {}),
      file,
      createdAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      ...provenance(),
      ...produced,
      verified: { method, at: new Date().toISOString() },
    };
    await store.promote(partial, file);
    promoted = true;
    await store.writeManifest(manifest);
    return manifest;
  } catch (err) {
    await store.remove(promoted ? file : partial, `${id}.json`).catch(() => undefined);
    throw err;
  }
}

async function backupPostgres(s: OnServer, v: Values, reporter: Reporter): Promise<Manifest> {
  const { t, store } = s;
  const session = await openPgSession(s, v, reporter, 'belay backup');
  const { place, login, client } = session;
  try {
    return await keepVerified(store, v, 'postgres', async (partial) => {
      const opening = openSnapshot(client);
      const [{ snapshot, serverVersion }, tool] = await Promise.all([
        opening,
        checkPgDumpVersion(
          t,
          place,
          opening.then((o) => o.versionNum),
        ),
      ]);
      reporter.info(`dumping ${v.database} (PostgreSQL ${serverVersion}) with ${tool} to ${store.path(partial)}`);
      const dump = t.exec(
        pgCommand(
          place,
          login,
          { stdoutTo: store.path(partial) },
          'pg_dump',
          '-Fc',
          '-d',
          v.database!,
          `--snapshot=${snapshot}`,
        ),
        { stdin: stdinFor(login) },
      );
      const progress = reportProgress(store, partial, reporter);
      let tables: TableCount[];
      try {
        // Counted in the exported snapshot while pg_dump reads the same one.
        tables = await countTables(client);
        const r = await dump;
        if (r.code !== 0) {
          const full = /no space left on device/i.test(r.stderr)
            ? ` The filesystem of ${store.dir} is full: free space there, or set backup-dir to a larger one.`
            : '';
          throw new BelayError(
            `pg_dump failed (exit ${r.signal ?? r.code}): ${lastLine(r.stderr) || 'no message'}.${full} Nothing was kept and no backup was pruned.`,
          );
        }
      } finally {
        progress.stop();
        await client.query('COMMIT').catch(() => undefined);
      }
      const size = (await store.size(partial)) ?? 0;
      const method = v.verify ?? 'toc';
      // Both read the file on the server; neither depends on the other.
      const [sha256] = await Promise.all([
        store.sha256(partial),
        method !== 'checksum' && size > 0 ? verifyToc(t, store, place, login, partial, tables) : undefined,
      ]);
      if (method === 'restore' && size > 0) await verifyByRestore(t, store, session, partial, tables, v, reporter);
      return { database: v.database!, size, sha256, serverVersion, tool, tables, method };
    });
  } finally {
    await session.close();
  }
}

/**
 * SQLite: an online copy made by SQLite itself into the partial, checked (integrity and row counts) where it was
 * made; `verify` adds nothing here, since the copy is a database that was opened and counted already.
 */
async function backupSqlite(s: OnServer, v: Values, reporter: Reporter): Promise<Manifest> {
  const { t, store } = s;
  const place = await sqlitePlace(t, v, s.user);
  const tool = await sqliteVersion(t, place);
  return keepVerified(store, v, 'sqlite', async (partial) => {
    reporter.info(`copying ${v.sqlitePath} with ${tool} to ${store.path(partial)}`);
    const tables = await sqliteCopy(t, place, v.sqlitePath!, store.dir, partial);
    const size = (await store.size(partial)) ?? 0;
    const sha256 = await store.sha256(partial);
    const serverVersion = tool.split(' ')[1] ?? '';
    return { database: sqliteName(v), size, sha256, serverVersion, tool, tables, method: v.verify ?? 'toc' };
  });
}

/** The file's table of contents must list the data of every table that had rows. */
async function verifyToc(
  t: Transport,
  store: BackupStore,
  place: PgPlace,
  login: PgLogin,
  partial: string,
  tables: readonly TableCount[],
): Promise<void> {
  const r = await t.exec(pgCommand(place, login, { stdinFrom: store.path(partial) }, 'pg_restore', '--list'), {
    stdin: stdinFor(login),
  });
  if (r.code !== 0) {
    throw new BelayError(`pg_restore --list cannot read the new dump: ${lastLine(r.stderr)}. Nothing was kept.`);
  }
  const listed = tablesWithData(r.stdout);
  const absent = tables.filter((x) => x.rows > 0 && !listed.has(x.name)).map((x) => x.name);
  if (absent.length) {
    throw new BelayError(`The new dump has no data for ${absent.join(', ')}. Nothing was kept.`);
  }
}

/**
 * Restore into a scratch database on the same server, with exit-on-error, and compare every table's row count
 * with the snapshot's; the scratch database is dropped whatever happens.
 */
async function verifyByRestore(
  t: Transport,
  store: BackupStore,
  session: PgSession,
  partial: string,
  expected: readonly TableCount[],
  v: Values,
  reporter: Reporter,
): Promise<void> {
  const { client, place, login } = session;
  const scratch = `${v.database}_belay_verify_${Date.now().toString(36)}`.slice(0, 63);
  try {
    await client.query(`CREATE DATABASE ${quoteIdent(scratch)}`);
  } catch (err) {
    throw new BelayError(
      `verify: restore needs a scratch database, and ${v.dbUser} could not create one: ${(err as Error).message}. Grant it CREATEDB, or use verify: toc.`,
    );
  }
  try {
    reporter.info(`verifying by restoring into ${scratch}`);
    const r = await t.exec(
      pgCommand(
        place,
        login,
        { stdinFrom: store.path(partial) },
        'pg_restore',
        '--exit-on-error',
        '--no-owner',
        '-d',
        scratch,
      ),
      { stdin: stdinFor(login) },
    );
    if (r.code !== 0) throw new BelayError(`The new dump does not restore: ${lastLine(r.stderr)}. Nothing was kept.`);
    const restored = await session.connectTo(scratch, 'belay backup verify');
    let actual: TableCount[];
    try {
      actual = await countTables(restored);
    } finally {
      await restored.end().catch(() => undefined);
    }
    const problems = compareCounts(expected, actual);
    if (problems.length) {
      throw new BelayError(
        `The restored copy differs from the database: ${problems.slice(0, 5).join('; ')}. Nothing was kept.`,
      );
    }
  } finally {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`).catch(() => undefined);
  }
}

/** Every few seconds: how much of the dump is written, and how fast. */
function reportProgress(store: BackupStore, file: string, reporter: Reporter): { stop: () => void } {
  let last = { at: Date.now(), size: 0 };
  const timer = setInterval(() => {
    void store.size(file).then((size) => {
      if (size === undefined) return;
      const now = Date.now();
      const rate = ((size - last.size) / Math.max(1, now - last.at)) * 1000;
      last = { at: now, size };
      reporter.info(`  ${formatSize(size)} written (${formatSize(Math.max(0, rate))}/s)`);
    });
  }, PROGRESS_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Retention over belay's own backups of this app and database, after the new one is safely in place. */
async function prune(store: BackupStore, fresh: Manifest, v: Values, reporter: Reporter): Promise<void> {
  const { manifests } = await store.list();
  const mine = manifests.filter(
    (m) => m.app === fresh.app && m.database === fresh.database && m.engine === fresh.engine,
  );
  const decision = applyRetention(
    mine,
    {
      keepLast: v.keepLast ?? 10,
      keepDaily: v.keepDaily ?? 7,
      keepWeekly: v.keepWeekly ?? 4,
      keepMonthly: v.keepMonthly ?? 0,
      keepDays: v.keepDays ?? 0,
    },
    new Date(),
  );
  for (const old of decision.prune) {
    if (old.id === fresh.id) continue;
    await store.remove(`${old.id}.json`, old.file);
    reporter.info(`pruned backup ${old.id} (${old.createdAt}, ${formatSize(old.size)})`);
  }
}

/** `belay backup list`: every backup of the app, oldest first, with what was verified. */
async function listBackups({ reporter, face, loaded }: Pick<RunContext, 'reporter' | 'face' | 'loaded'>) {
  const v = loaded.values;
  return onServer(v, face, reporter, async ({ store }) => {
    const { manifests, unreadable } = await store.list();
    const rows = manifests.map((m) => [
      m.id,
      m.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      m.database,
      m.label ?? '',
      formatSize(m.size),
      m.verified.method,
    ]);
    const table = markdownTable(['Backup', 'Taken', 'Database', 'Label', 'Size', 'Verified'], rows);
    reporter.info(manifests.length ? table : `no backups of ${v.app} in ${store.dir}`);
    if (unreadable) reporter.warn(`${unreadable} manifest(s) in ${store.dir} could not be read and were left out`);
    reporter.summary(`### belay backups of ${v.app}\n\n${table}`);
    reporter.setOutput(
      'backups',
      JSON.stringify(
        manifests.map((m) => ({
          id: m.id,
          createdAt: m.createdAt,
          database: m.database,
          ...(m.label ? { label: m.label } : {}),
          size: m.size,
          sha256: m.sha256,
          verified: m.verified.method,
        })),
      ),
    );
    return true;
  });
}
