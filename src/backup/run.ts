/**
 * `belay backup` / the backup action: dump on the server into a partial file, verify it, promote it with its
 * manifest, then prune by retention. On any failure the partial is removed and nothing is pruned, so older
 * backups are exactly as they were. `belay backup list` shows what is there.
 */
import { missing } from '../config/layers.js';
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
  dumpCommand,
  DUMP_STARTED,
  DUMP_SUCCEEDED,
  lastLine,
  openSnapshot,
  pgCommand,
  pgDumpToolOfToc,
  readDumpRun,
  stdinFor,
  tablesWithData,
  dumpInput,
  type DumpPlace,
  type DumpRun,
  type PgPlace,
  type TableCount,
} from './postgres.js';
import { planOffsite, sendOffsite } from './offsite.js';
import { retentionRules } from './retention.js';
import { sqliteCopy, sqliteName, sqlitePlace, sqliteVersion } from './sqlite.js';
import { loginOf, onServer, openPgSession, type OnServer, type PgSession } from './session.js';
import { containerSpec } from '../database/reach.js';
import { composeContainerName } from '../server/docker.js';
import type { ExecResult } from '../transport/types.js';
import type { BackupStore, Listing } from './store.js';
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
  const offsite = await planOffsite(v, face, cwd);
  if (engine === 'sqlite') {
    if (!v.sqlitePath) throw missing('sqlitePath', face, 'it is required to back up a SQLite database');
  } else {
    if (!v.database) throw missing('database', face, 'it is required to back up a PostgreSQL database');
    if (!v.dbUser) throw missing('dbUser', face, 'it is required to back up a PostgreSQL database');
  }
  return onServer(v, face, reporter, async (s) => {
    const { manifest, listing } =
      engine === 'sqlite' ? await backupSqlite(s, v, reporter) : await backupPostgres(s, v, reporter);
    await prune(s.store, manifest, listing, v, reporter);
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

/** A new backup in place, and the backup folder as it was listed right after. */
interface Kept {
  readonly manifest: Manifest;
  readonly listing: Listing;
}

/** What an engine's dump produced, for the manifest. */
type Produced = Pick<Manifest, 'database' | 'size' | 'sha256' | 'serverVersion' | 'tool' | 'tables'> & {
  readonly method: Manifest['verified']['method'];
};

/**
 * The end every engine shares: the partial written and verified by `produce` is renamed and given its manifest;
 * whatever goes wrong, no half-written or unverified file stays behind to be mistaken for a backup. `produce` may
 * call `soon` once the end is near (the dump is written, only its checks are left): the command that renames it
 * is then started, and waits for the manifest, so its round trip is paid during the checks.
 */
async function keepVerified(
  store: BackupStore,
  v: Values,
  engine: Manifest['engine'],
  produce: (partial: string, soon: () => void) => Promise<Produced>,
): Promise<Kept> {
  const started = Date.now();
  const id = newBackupId(new Date(started));
  const file = fileOf(id, engine);
  const partial = `${file}.partial`;
  const final = deferred<Manifest | undefined>();
  let keeping: Promise<Listing | undefined> | undefined;
  const soon = () => {
    keeping ??= store.keep(partial, file, id, final.promise);
    keeping.catch(() => undefined);
  };
  try {
    const { method, ...produced } = await produce(partial, soon);
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
    // Renamed and given its manifest in one step; when that fails, nothing of it is left under its final name.
    soon();
    final.resolve(manifest);
    const listing = (await keeping!)!;
    return { manifest, listing };
  } catch (err) {
    final.resolve(undefined);
    await keeping?.catch(() => undefined);
    await store.remove(partial, `${id}.json`).catch(() => undefined);
    throw err;
  }
}

async function backupPostgres(s: OnServer, v: Values, reporter: Reporter): Promise<Kept> {
  const { t, store } = s;
  const method = v.verify ?? 'toc';
  const login = loginOf(v);
  return keepVerified(store, v, 'postgres', async (partial, soon) => {
    let counts: ReturnType<typeof countsBeside> | undefined;
    let said = '';
    const dump = (place: DumpPlace, stdin: Promise<string | undefined>) =>
      t.exec(
        dumpCommand(place, login, store.dir, store.path(partial), method !== 'checksum', '-Fc', '-d', v.database!),
        {
          stdin,
          onStderr: (chunk) => {
            said = `${said}${chunk.toString()}`.slice(-200);
            if (said.includes(DUMP_STARTED)) void counts?.start();
            // pg_dump is done and did well: only the sha256 and the table of contents are left.
            if (said.includes(DUMP_SUCCEEDED)) soon();
          },
        },
      );
    // The dump command starts first, where the inputs say the database is (the container Compose names
    // `<app>-<service>-1`), and waits there for the snapshot: its round trip and `docker exec` are paid while the
    // container is checked and the snapshot opened. It is given the password only once the container it runs in
    // proved to be the one asked for; else it is ended with nothing and started again in the one found.
    const guess = expectedPlace(v);
    const input = deferred<string | undefined>();
    let dumping = guess ? dump(guess, input.promise) : undefined;
    let session: PgSession;
    try {
      session = await openPgSession(s, v, reporter, 'belay backup');
    } catch (err) {
      input.resolve(undefined);
      await dumping?.catch(() => undefined);
      throw err;
    }
    const { place, client } = session;
    try {
      if (dumping && !samePlace(guess!, place, v)) {
        input.resolve(undefined);
        await dumping.catch(() => undefined);
        dumping = undefined;
      }
      const { snapshot, serverVersion, versionNum } = await openSnapshot(client);
      const where = place.kind === 'container' ? `in container ${place.container.name}` : `on ${t.label}`;
      reporter.info(
        `dumping ${v.database} (PostgreSQL ${serverVersion}) with pg_dump ${where} to ${store.path(partial)}`,
      );
      // pg_dump starts first. The row counts (in the same snapshot) run beside it once it writes, so they do not
      // slow its start: their CPU time is the one real cost belay adds to the dump. Which pg_dump ran is read from
      // the dump's own table of contents, checked after it; without that check (verify: checksum) it is asked for.
      counts = countsBeside(session);
      const given = dumpInput(login, snapshot);
      input.resolve(given);
      dumping ??= dump(dumpPlaceOf(place, true), Promise.resolve(given));
      const asking = method === 'checksum' ? checkPgDumpVersion(t, place, versionNum) : undefined;
      // Whichever fails first, the others are still awaited (or stopped) below; none may reject unheard.
      asking?.catch(() => undefined);
      const progress = reportProgress(store, partial, reporter);
      let run: DumpRun;
      let tables: TableCount[];
      try {
        const ran = async (running: Promise<ExecResult>) =>
          readDumpRun(
            await running.catch(async (err: unknown) => {
              await counts!.stop();
              throw err;
            }),
          );
        run = await ran(dumping);
        // A container without a shell: pg_dump is started from the host instead, with the same snapshot.
        if (!run.ok && !run.noDir && place.kind === 'container' && !run.inside) {
          dumping = dump(dumpPlaceOf(place, false), Promise.resolve(given));
          run = await ran(dumping);
        }
        if (run.noDir) {
          throw new BelayError(
            `Could not create the backup directory ${store.dir} on ${t.label}: ${lastLine(run.stderr) || 'no message'}.`,
          );
        }
        if (!run.ok) {
          await counts.stop();
          // A pg_dump older than the server (or none at all) fails by itself; the version check says why.
          await (asking ?? checkPgDumpVersion(t, place, versionNum));
          const full = /no space left on device/i.test(run.stderr)
            ? ` The filesystem of ${store.dir} is full: free space there, or set backup-dir to a larger one.`
            : '';
          throw new BelayError(
            `pg_dump failed (exit ${run.exit}): ${lastLine(run.stderr) || 'no message'}.${full} Nothing was kept and no backup was pruned.`,
          );
        }
        // Started when pg_dump began to write; or now, if that line was not seen.
        tables = await counts.start();
      } finally {
        progress.stop();
        await client.query('COMMIT').catch(() => undefined);
      }
      const size = run.size;
      if (size === undefined || run.sha256 === undefined) {
        throw new BelayError(
          `The size and sha256 of the new dump could not be read on ${t.label}: ${lastLine(run.stderr) || 'no message'}. Nothing was kept.`,
        );
      }
      let toc = run.toc;
      if (size > 0 && toc && !toc.ok) {
        // Read once more on its own before refusing the file: the `docker exec` that waited beside pg_dump can
        // fail for reasons of its own (the Docker daemon dropped its connection), which say nothing of the file.
        reporter.warn(`pg_restore --list beside pg_dump failed (${lastLine(toc.output)}); reading the dump again`);
        const again = await t.exec(
          pgCommand(place, login, { stdinFrom: store.path(partial) }, 'pg_restore', '--list'),
          { stdin: stdinFor(login) },
        );
        toc = { ok: again.code === 0, output: again.code === 0 ? again.stdout : again.stderr };
      }
      if (size > 0 && toc) checkToc(toc, tables);
      const tool =
        (await asking) ??
        (toc?.ok ? pgDumpToolOfToc(toc.output, t, place, versionNum) : undefined) ??
        (await checkPgDumpVersion(t, place, versionNum));
      if (method === 'restore' && size > 0) await verifyByRestore(t, store, session, partial, tables, v, reporter);
      return { database: v.database!, size, sha256: run.sha256, serverVersion, tool, tables, method };
    } finally {
      // A dump command still waiting for its snapshot ends now (it ran nothing); the partial is removed after.
      input.resolve(undefined);
      await dumping?.catch(() => undefined);
      await session.close();
    }
  });
}

/**
 * Where the inputs say pg_dump will run, before the container is looked up: db-container as given, the name
 * Compose gives the first container of db-service, or the host. Undefined when it cannot be told in advance.
 */
function expectedPlace(v: Values): DumpPlace | undefined {
  const spec = containerSpec(v);
  if (!spec) return { kind: 'host', host: v.dbHost ?? '127.0.0.1', port: v.dbPort ?? 5432 };
  if (spec.service === undefined) return { kind: 'container', ref: spec.container, shell: true };
  return spec.project
    ? { kind: 'container', ref: composeContainerName(spec.project, spec.service), shell: true }
    : undefined;
}

/** The place found, for a dump: the container by its id. */
function dumpPlaceOf(place: PgPlace, shell: boolean): DumpPlace {
  return place.kind === 'host' ? place : { kind: 'container', ref: place.container.id, shell };
}

/** Whether the dump started at `guess` runs where the database was found. */
function samePlace(guess: DumpPlace, found: PgPlace, v: Values): boolean {
  if (guess.kind === 'host' || found.kind === 'host') return guess.kind === found.kind;
  // db-container: docker resolves the same name or id for the exec as it did for the lookup.
  return v.dbContainer !== undefined || guess.ref === found.container.name;
}

/** A promise with its resolve function outside; later calls change nothing. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The row counts beside a running pg_dump, in its snapshot: started once (when pg_dump begins to write, so they
 * do not slow its start), and stopped when it failed: no count starts after that, and the one running is
 * cancelled from a second connection (on a large table it could run for minutes), so the failure is reported at
 * once and the COMMIT queued after the counts is not held up.
 */
function countsBeside(session: PgSession): { start(): Promise<TableCount[]>; stop(): Promise<void> } {
  let stopped = false;
  let counting: Promise<TableCount[]> | undefined;
  return {
    start() {
      if (!counting) {
        counting = countTables(session.client, () => stopped);
        counting.catch(() => undefined);
      }
      return counting;
    },
    async stop() {
      stopped = true;
      if (!counting) return;
      const pid = (session.client as unknown as { processID?: number }).processID;
      const other = pid
        ? await session.connectTo(session.database, 'belay backup cancel').catch(() => undefined)
        : undefined;
      if (!other) return;
      try {
        await other.query('SELECT pg_cancel_backend($1)', [pid]);
      } catch {
        // The counts end by themselves; only later.
      } finally {
        await other.end().catch(() => undefined);
      }
    },
  };
}

/**
 * SQLite: an online copy made by SQLite itself into the partial, checked (integrity and row counts) where it was
 * made; `verify` adds nothing here, since the copy is a database that was opened and counted already.
 */
async function backupSqlite(s: OnServer, v: Values, reporter: Reporter): Promise<Kept> {
  const { t, store } = s;
  const place = await sqlitePlace(t, v, s.user);
  const tool = await sqliteVersion(t, place);
  await store.ensure();
  return keepVerified(store, v, 'sqlite', async (partial) => {
    reporter.info(`copying ${v.sqlitePath} with ${tool} to ${store.path(partial)}`);
    const tables = await sqliteCopy(t, place, v.sqlitePath!, store.dir, partial);
    const size = (await store.size(partial)) ?? 0;
    const sha256 = await store.sha256(partial);
    const serverVersion = tool.split(' ')[1] ?? '';
    return { database: sqliteName(v), size, sha256, serverVersion, tool, tables, method: v.verify ?? 'toc' };
  });
}

/** The file's table of contents (`pg_restore --list`) must list the data of every table that had rows. */
function checkToc(toc: NonNullable<DumpRun['toc']>, tables: readonly TableCount[]): void {
  if (!toc.ok) {
    throw new BelayError(`pg_restore --list cannot read the new dump: ${lastLine(toc.output)}. Nothing was kept.`);
  }
  const listed = tablesWithData(toc.output);
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
async function prune(
  store: BackupStore,
  fresh: Manifest,
  listing: Listing,
  v: Values,
  reporter: Reporter,
): Promise<void> {
  const { pruned, listed } = await store.prune(fresh, retentionRules(v), listing);
  if (!listed) reporter.warn(`backup ${fresh.id} is not listed in ${store.dir}, so no older backup was pruned`);
  for (const old of pruned) reporter.info(`pruned backup ${old.id} (${old.createdAt}, ${formatSize(old.size)})`);
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
