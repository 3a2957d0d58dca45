import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 57;
export const ids = [57,978,597,740,359,20];
export const modules = {

/***/ 8726:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Hr: () => (/* binding */ BACKUP_ID),
/* harmony export */   R8: () => (/* binding */ filesOf),
/* harmony export */   W7: () => (/* binding */ fileOf),
/* harmony export */   Ye: () => (/* binding */ parseManifests),
/* harmony export */   _H: () => (/* binding */ newBackupId),
/* harmony export */   aH: () => (/* binding */ provenance)
/* harmony export */ });
/* unused harmony export manifestSchema */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var zod__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8816);
/**
 * The manifest written next to each backup file on the server (`<id>.json`). It exists only for a backup that was
 * written completely and verified, so "has a manifest" is what makes a file one of belay's good backups.
 */


const table = zod__WEBPACK_IMPORTED_MODULE_1__/* .object */ .Ikc({ name: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(), rows: zod__WEBPACK_IMPORTED_MODULE_1__/* .number */ .aig().int().nonnegative() });
const manifestSchema = zod__WEBPACK_IMPORTED_MODULE_1__/* .object */ .Ikc({
    belay: zod__WEBPACK_IMPORTED_MODULE_1__/* .literal */ .euz(1),
    id: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(),
    app: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(),
    engine: zod__WEBPACK_IMPORTED_MODULE_1__/* ["enum"] */ .k5n(['postgres', 'sqlite']),
    database: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(),
    label: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP().optional(),
    /** File name, in the same directory as the manifest. */
    file: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(),
    size: zod__WEBPACK_IMPORTED_MODULE_1__/* .number */ .aig().int().nonnegative(),
    sha256: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP().regex(/^[0-9a-f]{64}$/),
    createdAt: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(),
    durationMs: zod__WEBPACK_IMPORTED_MODULE_1__/* .number */ .aig().nonnegative(),
    serverVersion: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(),
    /** What made the dump: `pg_dump 15.18 in container shop-db-1`, `sqlite3 3.40.1 on the host`. */
    tool: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(),
    git: zod__WEBPACK_IMPORTED_MODULE_1__/* .object */ .Ikc({ sha: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP().optional(), ref: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP().optional() }).optional(),
    run: zod__WEBPACK_IMPORTED_MODULE_1__/* .object */ .Ikc({ id: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP().optional(), url: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP().optional(), actor: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP().optional() }).optional(),
    tables: zod__WEBPACK_IMPORTED_MODULE_1__/* .array */ .YOg(table),
    verified: zod__WEBPACK_IMPORTED_MODULE_1__/* .object */ .Ikc({ method: zod__WEBPACK_IMPORTED_MODULE_1__/* ["enum"] */ .k5n(['checksum', 'toc', 'restore']), at: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP() }),
    /**
     * Only on copies that left the server encrypted (download, copy-to): the file that holds the dump there, with its
     * own size and sha256. `file`, `size` and `sha256` stay those of the dump, which `age -d` gives back.
     */
    encrypted: zod__WEBPACK_IMPORTED_MODULE_1__/* .object */ .Ikc({
        format: zod__WEBPACK_IMPORTED_MODULE_1__/* .literal */ .euz('age'),
        file: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(),
        size: zod__WEBPACK_IMPORTED_MODULE_1__/* .number */ .aig().int().nonnegative(),
        sha256: zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP(),
        recipients: zod__WEBPACK_IMPORTED_MODULE_1__/* .array */ .YOg(zod__WEBPACK_IMPORTED_MODULE_1__/* .string */ .YjP()),
    })
        .optional(),
});
/** `20261123T170102Z-1a2b`: sorts by time, unique enough for one app's backups. */
function newBackupId(now) {
    const stamp = now
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
    return `${stamp}-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(2).toString('hex')}`;
}
const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;
const fileOf = (id, engine) => `${id}.${engine === 'postgres' ? 'dump' : 'sqlite'}`;
/**
 * The files of a backup, its manifest last: the names belay itself gives them. A manifest whose id or file names
 * are anything else (written by hand, or by something other than belay) gives undefined, and is never pruned: a
 * manifest's content must not be able to point a removal at any other file.
 */
function filesOf(m) {
    if (!BACKUP_ID.test(m.id) || m.file !== fileOf(m.id, m.engine))
        return undefined;
    if (m.encrypted && m.encrypted.file !== `${m.file}.age`)
        return undefined;
    return [m.file, ...(m.encrypted ? [m.encrypted.file] : []), `${m.id}.json`];
}
/** Manifests as the server lists them, one JSON document per line; lines that are not belay manifests are skipped. */
function parseManifests(text) {
    const manifests = [];
    let unreadable = 0;
    for (const line of text.split('\n')) {
        if (!line.trim())
            continue;
        try {
            const parsed = manifestSchema.safeParse(JSON.parse(line));
            if (parsed.success)
                manifests.push(parsed.data);
            else
                unreadable++;
        }
        catch {
            unreadable++;
        }
    }
    return { manifests, unreadable };
}
/** Where this run comes from, for the manifest: the commit and the workflow run on GitHub. */
function provenance(env = process.env) {
    const run = env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY
        ? {
            id: env.GITHUB_RUN_ID,
            url: `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`,
            ...(env.GITHUB_ACTOR ? { actor: env.GITHUB_ACTOR } : {}),
        }
        : env.USER
            ? { actor: `${env.USER} (belay cli)` }
            : undefined;
    const git = env.GITHUB_SHA ? { sha: env.GITHUB_SHA, ...(env.GITHUB_REF ? { ref: env.GITHUB_REF } : {}) } : undefined;
    return { ...(git ? { git } : {}), ...(run ? { run } : {}) };
}


/***/ }),

/***/ 7020:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   runRestore: () => (/* binding */ runRestore)
/* harmony export */ });
/* harmony import */ var _core_duration_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8571);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4296);
/* harmony import */ var _database_connect_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(1119);
/* harmony import */ var _report_reporter_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(4969);
/* harmony import */ var _manifest_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(8726);
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(6102);
/* harmony import */ var _postgres_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(2451);
/* harmony import */ var _sqlite_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(7760);
/* harmony import */ var _session_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(9770);
/**
 * `belay restore` / the restore action. Nothing is touched until the backup is known good: its sha256 is checked
 * on the server, it is restored into a scratch database with exit-on-error, and the scratch copy's tables and row
 * counts must equal the manifest's. Only then is it swapped in by two renames (the replaced database kept as
 * `<db>_before_restore_<time>`), and if the second rename fails the first is undone. With target-database the
 * copy is simply given that name, beside the current database.
 */









/** PostgreSQL's limit on identifiers; belay's scratch and kept names are cut to it. */
const NAME_MAX = 63;
async function runRestore({ reporter, face, loaded }) {
    const v = loaded.values;
    if (v.engine === 'sqlite')
        return restoreSqlite({ reporter, face, loaded });
    if (!v.database)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz('database', 'it is required', 'Name the database the backup was taken of.');
    if (!v.dbUser)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz('db-user', 'it is required', 'Give the database user to restore as.');
    const target = v.targetDatabase ?? v.database;
    const wanted = checkRequest(v, target, v.targetDatabase ? 'creates' : 'replaces');
    return (0,_session_js__WEBPACK_IMPORTED_MODULE_7__/* .onServer */ .z)(v, face, reporter, async (s) => {
        const manifest = await pick(s, v, wanted);
        await checkUnchanged(s, manifest, reporter);
        // Connected to the maintenance database, so the database being replaced can be renamed.
        const session = await openMaintenanceSession(s, v, reporter);
        try {
            const keptAs = await restoreInto(s, session, manifest, target, !v.targetDatabase, reporter);
            reporter.setOutput('backup-id', manifest.id);
            reporter.setOutput('database', target);
            reporter.setOutput('kept-as', keptAs ?? '');
            reporter.summary(`### belay restore ${manifest.id}\n\n` +
                (0,_report_reporter_js__WEBPACK_IMPORTED_MODULE_8__/* .markdownTable */ .Qj)(['Backup', 'Taken', 'Restored as', 'Previous database kept as', 'Tables', 'Rows'], [
                    [
                        manifest.id,
                        manifest.createdAt,
                        target,
                        keptAs ?? '',
                        String(manifest.tables.length),
                        String(manifest.tables.reduce((n, t) => n + t.rows, 0)),
                    ],
                ]));
            reporter.info(`✓ restored ${manifest.id} as ${target}${keptAs ? `; the database it replaced is kept as ${keptAs}` : ''}`);
            return true;
        }
        finally {
            await session.close();
        }
    });
}
/**
 * Checked before anything connects: a restore without the right confirmation does nothing at all. Returns the
 * backup id asked for.
 */
function checkRequest(v, target, verb) {
    if (v.confirm !== target) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz('confirm', v.confirm ? `"${v.confirm}" is not the database this restore ${verb}` : 'it is required', `Set confirm: ${target} to ${verb === 'creates' ? 'create' : 'replace'} that database.`);
    }
    const wanted = v.backupId;
    if (wanted !== 'latest' && !_manifest_js__WEBPACK_IMPORTED_MODULE_3__/* .BACKUP_ID */ .Hr.test(wanted)) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz('backup-id', `"${wanted}" is not a backup id`, 'Use an id from `belay backup list`, or latest.');
    }
    return wanted;
}
/** The file must still be what was verified when it was taken. */
async function checkUnchanged(s, manifest, reporter) {
    reporter?.info(`backup ${manifest.id} of ${manifest.database} (${manifest.createdAt}, ${(0,_core_duration_js__WEBPACK_IMPORTED_MODULE_0__/* .formatSize */ .Xq)(manifest.size)}, ${manifest.tables.length} table(s))`);
    const actual = await s.store.sha256(manifest.file);
    if (actual !== manifest.sha256) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`${s.store.path(manifest.file)} changed since it was verified (sha256 ${actual.slice(0, 12)}…, the manifest says ${manifest.sha256.slice(0, 12)}…): refusing to restore it. Nothing was touched; pick another backup.`);
    }
}
/** Moves $1 (and its -wal / -shm) aside to $3 and $2 into its place; exit 2 when it had to undo that. */
const SQLITE_SWAP = 'db=$1; staged=$2; kept=$3; ' +
    'if [ -e "$db" ]; then mv -- "$db" "$kept" || exit 1; ' +
    'for x in -wal -shm; do if [ -e "$db$x" ]; then mv -- "$db$x" "$kept$x"; fi; done; fi; ' +
    'if mv -- "$staged" "$db"; then exit 0; fi; ' +
    'if [ -e "$kept" ]; then mv -- "$kept" "$db"; ' +
    'for x in -wal -shm; do if [ -e "$kept$x" ]; then mv -- "$kept$x" "$db$x"; fi; done; fi; exit 2';
/**
 * SQLite: the backup is copied next to the live file (same filesystem, so the swap is a rename), checked there,
 * then swapped in; the replaced file and its -wal / -shm are kept as `<file>.before_restore_<time>`. Stop the app
 * first: a process holding the old file open keeps writing to it.
 */
async function restoreSqlite({ reporter, face, loaded }) {
    const v = loaded.values;
    if (!v.sqlitePath)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz('sqlite-path', 'it is required', 'Give the path of the SQLite file to restore.');
    if (v.targetDatabase) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz('target-database', 'SQLite restores replace sqlite-path', 'Leave target-database unset.');
    }
    const name = (0,_sqlite_js__WEBPACK_IMPORTED_MODULE_6__.sqliteName)(v);
    const wanted = checkRequest(v, name, 'replaces');
    return (0,_session_js__WEBPACK_IMPORTED_MODULE_7__/* .onServer */ .z)(v, face, reporter, async (s) => {
        const manifest = await pick(s, v, wanted, 'sqlite', name);
        await checkUnchanged(s, manifest, reporter);
        const place = await (0,_sqlite_js__WEBPACK_IMPORTED_MODULE_6__/* .sqlitePlace */ .iA)(s.t, v, s.user);
        const stamp = new Date()
            .toISOString()
            .replace(/[-:]/g, '')
            .replace(/\.\d+Z$/, '')
            .replace('T', '_');
        const staged = `${v.sqlitePath}.belay-restore-${stamp}`;
        const keptAs = `${v.sqlitePath}.before_restore_${stamp}`;
        const inPlace = (...argv) => place.kind === 'container' ? (0,_core_command_js__WEBPACK_IMPORTED_MODULE_4__/* .cmd */ .HW)('docker', 'exec', place.container.id, ...argv) : (0,_core_command_js__WEBPACK_IMPORTED_MODULE_4__/* .cmd */ .HW)(argv[0], ...argv.slice(1));
        const source = s.store.path(manifest.file);
        const copied = await s.t.exec(place.kind === 'container'
            ? (0,_core_command_js__WEBPACK_IMPORTED_MODULE_4__/* .cmd */ .HW)('docker', 'cp', source, `${place.container.id}:${staged}`)
            : (0,_core_command_js__WEBPACK_IMPORTED_MODULE_4__/* .cmd */ .HW)('cp', '--', source, staged));
        if (copied.code !== 0)
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot copy the backup next to ${v.sqlitePath}: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_5__/* .lastLine */ .fM)(copied.stderr)}.`);
        let swapped = false;
        try {
            const problems = (0,_postgres_js__WEBPACK_IMPORTED_MODULE_5__/* .compareCounts */ .G8)(manifest.tables, await (0,_sqlite_js__WEBPACK_IMPORTED_MODULE_6__/* .checkSqliteFile */ .BY)(s.t, place, staged));
            if (problems.length) {
                throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`The restored copy does not match the backup's manifest: ${problems.slice(0, 5).join('; ')}. ${v.sqlitePath} was not touched.`);
            }
            const r = await s.t.exec(inPlace('sh', '-c', SQLITE_SWAP, 'belay', v.sqlitePath, staged, keptAs));
            if (r.code === 2)
                throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot move the restored copy into place: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_5__/* .lastLine */ .fM)(r.stderr)}. The swap was undone: ${v.sqlitePath} is as it was.`);
            if (r.code !== 0)
                throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot move ${v.sqlitePath} aside: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_5__/* .lastLine */ .fM)(r.stderr)}. It was not touched.`);
            swapped = true;
        }
        finally {
            if (!swapped)
                await s.t.exec(inPlace('rm', '-f', '--', staged)).catch(() => undefined);
        }
        reporter.setOutput('backup-id', manifest.id);
        reporter.setOutput('database', name);
        reporter.setOutput('kept-as', keptAs);
        reporter.info(`✓ restored ${manifest.id} into ${v.sqlitePath}; the file it replaced is kept as ${keptAs}`);
        return true;
    });
}
/** The backup by id, or the newest of this app and database. */
async function pick(s, v, wanted, engine = 'postgres', database = v.database) {
    const { manifests } = await s.store.list();
    const mine = manifests.filter((m) => m.engine === engine && m.database === database);
    const found = wanted === 'latest' ? mine.at(-1) : manifests.find((m) => m.id === wanted);
    if (!found) {
        const known = mine.slice(-5).map((m) => m.id);
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz('backup-id', wanted === 'latest'
            ? `there is no backup of ${database} in ${s.store.dir}`
            : `no backup ${wanted} in ${s.store.dir}`, known.length ? `The newest are: ${known.join(', ')}.` : 'Take one with belay backup first.');
    }
    if (found.engine !== engine || found.database !== database) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz('backup-id', `${wanted} is a backup of ${found.database} (${found.engine}), not of ${database}`, 'Pick a backup of this database.');
    }
    return found;
}
async function openMaintenanceSession(s, v, reporter) {
    try {
        return await (0,_session_js__WEBPACK_IMPORTED_MODULE_7__/* .openPgSession */ .A)(s, v, reporter, 'belay restore', 'postgres');
    }
    catch {
        return (0,_session_js__WEBPACK_IMPORTED_MODULE_7__/* .openPgSession */ .A)(s, v, reporter, 'belay restore');
    }
}
async function restoreInto(s, session, manifest, target, replace, reporter) {
    const { client } = session;
    const exists = async (name) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    if (!replace && (await exists(target))) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz('target-database', `${target} exists already`, 'Give a new name, or leave target-database unset to replace database.');
    }
    const stamp = new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, '')
        .replace('T', '_');
    const scratch = `${target.slice(0, NAME_MAX - 24)}_belay_restore_${stamp.slice(-6)}${Math.random().toString(36).slice(2, 4)}`;
    try {
        await client.query(`CREATE DATABASE ${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteIdent */ .v4)(scratch)}`);
    }
    catch (err) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot create the scratch database ${scratch}: ${err.message}. The restore needs a db-user that may create databases (CREATEDB). Nothing was touched.`);
    }
    let swapped = false;
    try {
        reporter.info(`restoring into ${scratch}`);
        const r = await s.t.exec((0,_postgres_js__WEBPACK_IMPORTED_MODULE_5__/* .pgCommand */ .XZ)(session.place, session.login, { stdinFrom: s.store.path(manifest.file) }, 'pg_restore', '--exit-on-error', '--no-owner', '-d', scratch), { stdin: (0,_postgres_js__WEBPACK_IMPORTED_MODULE_5__/* .stdinFor */ .Qn)(session.login) });
        if (r.code !== 0) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`pg_restore failed: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_5__/* .lastLine */ .fM)(r.stderr)}. ${target} was not touched.`);
        }
        const copy = await session.connectTo(scratch, 'belay restore check');
        let problems;
        try {
            problems = (0,_postgres_js__WEBPACK_IMPORTED_MODULE_5__/* .compareCounts */ .G8)(manifest.tables, await (0,_postgres_js__WEBPACK_IMPORTED_MODULE_5__/* .countTables */ .zF)(copy));
        }
        finally {
            await copy.end().catch(() => undefined);
        }
        if (problems.length) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`The restored copy does not match the backup's manifest: ${problems.slice(0, 5).join('; ')}. ${target} was not touched.`);
        }
        if (!replace || !(await exists(target))) {
            await client.query(`ALTER DATABASE ${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteIdent */ .v4)(scratch)} RENAME TO ${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteIdent */ .v4)(target)}`);
            swapped = true;
            return undefined;
        }
        const keptAs = `${target.slice(0, NAME_MAX - 30)}_before_restore_${stamp}`;
        await swap(client, target, scratch, keptAs, reporter);
        swapped = true;
        return keptAs;
    }
    finally {
        if (!swapped)
            await client.query(`DROP DATABASE IF EXISTS ${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteIdent */ .v4)(scratch)} WITH (FORCE)`).catch(() => undefined);
    }
}
/**
 * target → keptAs, then scratch → target. Connections to target are ended first (new ones refused meanwhile when
 * the user may); if the second rename fails, the first is undone so target is exactly as it was.
 */
async function swap(client, target, scratch, keptAs, reporter) {
    const t = (0,_database_connect_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteIdent */ .v4)(target);
    const blocked = await client
        .query(`ALTER DATABASE ${t} WITH ALLOW_CONNECTIONS false`)
        .then(() => true)
        .catch(() => false);
    try {
        let renamed = false;
        for (let attempt = 1; !renamed; attempt++) {
            const ended = await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [target]);
            if (attempt === 1 && ended.rowCount)
                reporter.info(`ended ${ended.rowCount} connection(s) to ${target}`);
            try {
                await client.query(`ALTER DATABASE ${t} RENAME TO ${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteIdent */ .v4)(keptAs)}`);
                renamed = true;
            }
            catch (err) {
                if (attempt >= 5) {
                    throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot rename ${target} to swap the restore in: ${err.message}. ${target} was not touched; stop the app and retry.`);
                }
                await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
            }
        }
        try {
            await client.query(`ALTER DATABASE ${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteIdent */ .v4)(scratch)} RENAME TO ${t}`);
        }
        catch (err) {
            await client.query(`ALTER DATABASE ${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteIdent */ .v4)(keptAs)} RENAME TO ${t}`);
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot rename the restored copy to ${target}: ${err.message}. The swap was undone: ${target} is as it was.`);
        }
    }
    finally {
        if (blocked) {
            // Whichever name the old database has now, it accepts connections again.
            for (const name of [keptAs, target]) {
                await client.query(`ALTER DATABASE ${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_2__/* .quoteIdent */ .v4)(name)} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
            }
        }
    }
}


/***/ }),

/***/ 9770:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   A: () => (/* binding */ openPgSession),
/* harmony export */   z: () => (/* binding */ onServer)
/* harmony export */ });
/* harmony import */ var _config_connection_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9420);
/* harmony import */ var _database_connect_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1119);
/* harmony import */ var _database_reach_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(5570);
/* harmony import */ var _transport_pool_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(2548);
/* harmony import */ var _store_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(8291);
/**
 * What backup, list and restore share: one SSH connection to the first host with the app's backup folder on it,
 * and a PostgreSQL session through that connection (plus where pg_dump / pg_restore run for that database).
 */





/** Run `work` with a connection to the first host and `<backup-dir>/<app>` there; the connection closes after. */
async function onServer(v, face, reporter, work) {
    const { targets, options } = (0,_config_connection_js__WEBPACK_IMPORTED_MODULE_0__/* .resolveConnection */ .X)(v, face);
    const target = targets[0];
    if (targets.length > 1)
        reporter.info(`using the database and backups on the first host, ${target.host}`);
    const pool = new _transport_pool_js__WEBPACK_IMPORTED_MODULE_3__/* .ConnectionPool */ .j(options, reporter);
    try {
        const t = await pool.get(target);
        return await work({
            t,
            store: new _store_js__WEBPACK_IMPORTED_MODULE_4__/* .BackupStore */ .y(t, `${v.backupDir ?? 'belay/backups'}/${v.app}`),
            user: target.user,
        });
    }
    finally {
        await pool.closeAll();
    }
}
/** A session on `database` (default: the database input) through a forward on the server's connection. */
async function openPgSession(s, v, reporter, purpose, database = v.database) {
    const address = await (0,_database_reach_js__WEBPACK_IMPORTED_MODULE_2__/* .databaseAddress */ .Kg)(s.t, v, s.user);
    const place = address.container
        ? { kind: 'container', container: address.container }
        : { kind: 'host', host: address.host, port: address.port };
    const login = { user: v.dbUser, ...(v.dbPassword ? { password: v.dbPassword } : {}) };
    const forward = await s.t.forward(address.host, address.port);
    const url = (0,_database_reach_js__WEBPACK_IMPORTED_MODULE_2__/* .forwardedUrl */ .wf)({ ...v, database }, forward.localHost, forward.localPort, reporter);
    const hint = { hint: (0,_database_reach_js__WEBPACK_IMPORTED_MODULE_2__/* .databaseInputs */ .dM)(v) };
    const connectTo = (name, why) => {
        const other = new URL(url);
        other.pathname = `/${encodeURIComponent(name)}`;
        return (0,_database_connect_js__WEBPACK_IMPORTED_MODULE_1__/* .connectPostgres */ .Mq)(other.toString(), why, hint);
    };
    let client;
    try {
        client = await (0,_database_connect_js__WEBPACK_IMPORTED_MODULE_1__/* .connectPostgres */ .Mq)(url, purpose, hint);
    }
    catch (err) {
        await forward.close().catch(() => undefined);
        throw err;
    }
    return {
        place,
        login,
        url,
        database,
        client,
        connectTo,
        close: async () => {
            await client.end().catch(() => undefined);
            await forward.close().catch(() => undefined);
        },
    };
}


/***/ }),

/***/ 9597:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   LO: () => (/* binding */ missing),
/* harmony export */   configFileExists: () => (/* binding */ configFileExists),
/* harmony export */   loadLayers: () => (/* binding */ loadLayers)
/* harmony export */ });
/* unused harmony exports inputType, configFilePath */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_os__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var zod__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(8816);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(4296);
/* harmony import */ var _report_reporter_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(4969);
/* harmony import */ var _inputs_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(4442);
/**
 * Layering: input or flag > BELAY_* variable > belay.yml `environments.<env>` > belay.yml top level > default.
 * Every value is parsed once by its input's zod type; the first bad one stops everything with a one-line error.
 *
 * The belay.yml itself is read by load.ts, the module that imports the YAML parser: a run without a belay.yml
 * (the engine asks `configFileExists` first) never loads it. `loadConfig` in load.ts is the whole of it.
 */







const types = new Map();
/** The zod type of an input, `z.string().transform(parse)`: made the first time the input is read, then kept. */
function inputType(key) {
    let type = types.get(key);
    if (!type) {
        type = zod__WEBPACK_IMPORTED_MODULE_5__/* .string */ .YjP().transform(_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .INPUTS */ .mc[key].parse);
        types.set(key, type);
    }
    return type;
}
const nonEmpty = (v) => (v === undefined || v === '' ? undefined : v);
/** The value a flag or a BELAY_* variable gives an input, before any belay.yml. */
function picked(sources, key) {
    return nonEmpty(sources.given[(0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .inputName */ .yu)(key)]) ?? nonEmpty(sources.env[(0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .envName */ .pD)(key)]);
}
/** The belay.yml a run reads: the config input, else belay.yml in the workspace; `explicit` when it was named. */
function configFilePath(sources) {
    const named = picked(sources, 'config');
    return { path: (0,node_path__WEBPACK_IMPORTED_MODULE_2__.resolve)(sources.cwd, expandHome(named ?? 'belay.yml')), explicit: named !== undefined };
}
/** Whether a run with these sources reads a belay.yml (a named one that is missing is an error of the layering). */
const configFileExists = (sources) => (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.existsSync)(configFilePath(sources).path);
/**
 * The layers, resolved and parsed for one command. `readFile` reads the belay.yml when there is one; without it
 * an existing belay.yml is an error of the caller (the engine passes it whenever `configFileExists`).
 */
function loadLayers(command, sources, readFile) {
    const { path, explicit } = configFilePath(sources);
    let file;
    if ((0,node_fs__WEBPACK_IMPORTED_MODULE_0__.existsSync)(path)) {
        if (!readFile)
            throw new Error(`${path} exists but no reader of belay.yml was given`);
        file = readFile(path);
    }
    else if (explicit) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz('config', `${path} does not exist`, 'Give the path of your belay.yml, or drop the config input.');
    }
    const environment = picked(sources, 'environment');
    let section;
    if (environment !== undefined) {
        section = file?.environments.get(environment);
        if (!section) {
            const known = [...(file?.environments.keys() ?? [])];
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz('environment', file
                ? `"${environment}" is not a section of environments in ${file.path}`
                : `"${environment}" was asked for but there is no belay.yml`, known.length
                ? `Use one of: ${known.join(', ')}.`
                : 'Add it under environments: in belay.yml, or drop the environment input.');
        }
    }
    const values = {};
    const origin = {};
    const secrets = [];
    for (const key of command.inputs) {
        const spec = _inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .INPUTS */ .mc[key];
        const name = (0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .inputName */ .yu)(key);
        const inFile = (layer) => layer?.get(name);
        // [origin, raw value, where to say it came from when it is bad (the input itself needs no pointer)]
        const layers = [
            ['input', nonEmpty(sources.given[name]), undefined],
            ['env', nonEmpty(sources.env[(0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .envName */ .pD)(key)]), (0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .envName */ .pD)(key)],
            ['environment', inFile(section)?.raw, `${file?.path}:${inFile(section)?.line}`],
            ['file', inFile(file?.top)?.raw, `${file?.path}:${inFile(file?.top)?.line}`],
            ['default', spec.default, undefined],
        ];
        const found = layers.find(([, raw]) => raw !== undefined);
        if (!found)
            continue;
        const [from, raw, where] = found;
        if ('secret' in spec && spec.secret)
            secrets.push(...(key === 'databaseUrl' ? (0,_report_reporter_js__WEBPACK_IMPORTED_MODULE_6__/* .secretsOfUrl */ .mE)(raw) : [raw]));
        const parsed = inputType(key).safeParse(raw);
        if (!parsed.success) {
            const [problem, fix] = (parsed.error.issues[0]?.message ?? 'invalid value|Check the value.').split('|');
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz(name, problem, fix ?? '', where);
        }
        values[key] = parsed.data;
        origin[key] = from;
    }
    readCompanionFiles(values, sources, secrets);
    for (const key of command.required) {
        if (values[key] === undefined || values[key] === '')
            throw missing(key, sources.face);
    }
    return { values: values, origin, secrets, ...(file ? { configFile: file.path } : {}) };
}
/** The error for a required input nobody set, telling each face how to set it. */
function missing(key, face, what = 'it is required') {
    const name = (0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .inputName */ .yu)(key);
    const how = face === 'action' ? `Add \`${name}:\` under \`with:\` in the workflow step` : `Pass --${name}`;
    return new _core_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz(name, `${what} but was not given`, `${how}, set ${(0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .envName */ .pD)(key)}, or put ${name} in belay.yml.`);
}
function expandHome(path) {
    return path === '~' || path.startsWith('~/') ? (0,node_os__WEBPACK_IMPORTED_MODULE_1__.homedir)() + path.slice(1) : path;
}
/** --ssh-key-file and --known-hosts-file: read the file into ssh-key / known-hosts when those are not set. */
function readCompanionFiles(values, sources, secrets) {
    const pairs = [
        ['sshKeyFile', 'sshKey', true],
        ['knownHostsFile', 'knownHosts', false],
    ];
    for (const [fileKey, valueKey, secret] of pairs) {
        const path = values[fileKey];
        if (path === undefined || path === '')
            continue;
        if (values[valueKey] !== undefined) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz((0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .inputName */ .yu)(fileKey), `both ${(0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .inputName */ .yu)(valueKey)} and ${(0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .inputName */ .yu)(fileKey)} are set`, 'Give only one of them.');
        }
        const full = (0,node_path__WEBPACK_IMPORTED_MODULE_2__.isAbsolute)(expandHome(path)) ? expandHome(path) : (0,node_path__WEBPACK_IMPORTED_MODULE_2__.resolve)(sources.cwd, path);
        let content;
        try {
            content = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(full, 'utf8');
        }
        catch (err) {
            const why = err.code === 'ENOENT' ? 'does not exist' : 'cannot be read';
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz((0,_inputs_js__WEBPACK_IMPORTED_MODULE_4__/* .inputName */ .yu)(fileKey), `${full} ${why}`, 'Give the path of an existing, readable file.');
        }
        if (secret)
            secrets.push(content);
        values[valueKey] = content;
    }
}


/***/ }),

/***/ 2831:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   C: () => (/* binding */ byCodeUnits)
/* harmony export */ });
/**
 * Plain code-unit order for strings: the same on every machine and locale, and free to call. `localeCompare`
 * differs by locale, and its first call builds an ICU collator (about 8 ms of a CLI run's start).
 */
const byCodeUnits = (a, b) => (a < b ? -1 : a > b ? 1 : 0);


/***/ })

};
