import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 20;
export const ids = [20];
export const modules = {

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


/***/ })

};
