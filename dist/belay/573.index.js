import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 573;
export const ids = [573];
export const modules = {

/***/ 5262:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   G8: () => (/* binding */ compareCounts),
/* harmony export */   Qn: () => (/* binding */ stdinFor),
/* harmony export */   XZ: () => (/* binding */ pgCommand),
/* harmony export */   fM: () => (/* binding */ lastLine),
/* harmony export */   mO: () => (/* binding */ tablesWithData),
/* harmony export */   oV: () => (/* binding */ checkPgDumpVersion),
/* harmony export */   r3: () => (/* binding */ openSnapshot),
/* harmony export */   zF: () => (/* binding */ countTables)
/* harmony export */ });
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2561);
/* harmony import */ var _database_connect_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5984);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(713);



/**
 * Reads the password (first stdin line) into PGPASSWORD, takes stdin from $2 and stdout to $1 when they are set,
 * then runs the rest of the arguments.
 */
const WITH_PASSWORD = 'out=$1; in=$2; shift 2; IFS= read -r PGPASSWORD || :; export PGPASSWORD; umask 077; ' +
    'if [ -n "$in" ]; then exec < "$in"; else exec < /dev/null; fi; ' +
    'if [ -n "$out" ]; then exec "$@" > "$out"; else exec "$@"; fi';
/**
 * A PostgreSQL client program run at `place` with the login's user and password, optionally reading a file on
 * stdin (pg_restore, so the same command works inside a container) and writing stdout to a file (pg_dump).
 * Run it with `stdin: stdinFor(login)`.
 */
function pgCommand(place, login, io, program, ...args) {
    const connection = place.kind === 'host' ? ['-h', place.host, '-p', String(place.port)] : [];
    const argv = [program, ...connection, '-U', login.user, ...args];
    const inner = place.kind === 'container' ? ['docker', 'exec', '-i', '-e', 'PGPASSWORD', place.container.id, ...argv] : argv;
    return (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', WITH_PASSWORD, 'belay', io.stdoutTo ?? '', io.stdinFrom ?? '', ...inner);
}
const stdinFor = (login) => `${login.password ?? ''}\n`;
/** The major version of the pg_dump that will run, and refuse one older than the server (it cannot dump it). */
async function checkPgDumpVersion(t, place, serverVersion) {
    // Asked while the snapshot is being opened: both are round trips to the server.
    const [r, serverVersionNum] = await Promise.all([
        t.exec(place.kind === 'container'
            ? (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'exec', place.container.id, 'pg_dump', '--version')
            : (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('pg_dump', '--version')),
        serverVersion,
    ]);
    const where = place.kind === 'container' ? `in container ${place.container.name}` : `on ${t.label}`;
    if (r.code !== 0) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(place.kind === 'container'
            ? `pg_dump does not run in container ${place.container.name}: ${lastLine(r.stderr)}. Is it a PostgreSQL image?`
            : `pg_dump is not installed on ${t.label}. Install the PostgreSQL client of the server's version (e.g. postgresql-client-${Math.floor(serverVersionNum / 10000)}), or set db-service so pg_dump runs inside the database container.`);
    }
    const version = /(\d+)(?:\.(\d+))?/.exec(r.stdout)?.[0] ?? '?';
    const major = Number(version.split('.')[0]);
    const serverMajor = Math.floor(serverVersionNum / 10000);
    if (Number.isFinite(major) && major < serverMajor) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(`pg_dump ${where} is version ${major}, older than the server's ${serverMajor}: it cannot dump it. Install postgresql-client-${serverMajor} on the server, or set db-service so pg_dump runs inside the database container.`);
    }
    return `pg_dump ${version} ${where}`;
}
/**
 * A repeatable-read transaction whose snapshot pg_dump will use; `release` ends it (after pg_dump has started,
 * PostgreSQL keeps the snapshot alive for pg_dump itself).
 */
async function openSnapshot(client) {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query("SELECT pg_export_snapshot() AS snapshot, current_setting('server_version') AS version, current_setting('server_version_num') AS num");
    return { snapshot: rows[0].snapshot, serverVersion: rows[0].version, versionNum: Number(rows[0].num) };
}
/** Every ordinary table outside the system schemas with its exact row count, in name order. */
async function countTables(client) {
    const { rows } = await client.query(`SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1, 2`);
    const counts = [];
    for (const { schema, name } of rows) {
        const q = `SELECT count(*)::bigint AS n FROM ${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteIdent */ .v4)(schema)}.${(0,_database_connect_js__WEBPACK_IMPORTED_MODULE_1__/* .quoteIdent */ .v4)(name)}`;
        const n = (await client.query(q)).rows[0].n;
        counts.push({ name: `${schema}.${name}`, rows: Number(n) });
    }
    return counts;
}
/** Tables whose data the dump's table of contents lists (`TABLE DATA schema name owner`). */
function tablesWithData(toc) {
    const names = new Set();
    for (const line of toc.split('\n')) {
        const m = /^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) /.exec(line);
        if (m)
            names.add(`${m[1]}.${m[2]}`);
    }
    return names;
}
/** Differences between what the manifest says and what a restore holds; empty when they match. */
function compareCounts(expected, actual) {
    const got = new Map(actual.map((t) => [t.name, t.rows]));
    const problems = [];
    for (const t of expected) {
        const n = got.get(t.name);
        if (n === undefined)
            problems.push(`${t.name} is missing`);
        else if (n !== t.rows)
            problems.push(`${t.name} has ${n} rows, expected ${t.rows}`);
        got.delete(t.name);
    }
    for (const name of got.keys())
        problems.push(`${name} was not in the backup`);
    return problems;
}
const lastLine = (text) => text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop() ?? '';


/***/ }),

/***/ 573:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   BY: () => (/* binding */ checkSqliteFile),
/* harmony export */   dZ: () => (/* binding */ sqliteVersion),
/* harmony export */   iA: () => (/* binding */ sqlitePlace),
/* harmony export */   ov: () => (/* binding */ sqliteCopy),
/* harmony export */   sqliteName: () => (/* binding */ sqliteName)
/* harmony export */ });
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2561);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(713);
/* harmony import */ var _database_reach_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(5001);
/* harmony import */ var _server_docker_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7654);
/* harmony import */ var _postgres_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(5262);
/**
 * SQLite backups on the server: an online copy made by SQLite itself (`.backup`, which copies a consistent
 * snapshot page by page while the app keeps writing), never a plain `cp` of a live file. The copy is checked with
 * `PRAGMA integrity_check` and its tables counted; those counts are the manifest's, exact by construction.
 *
 * The sqlite3 shell takes file names inside its dot-commands, where shell quoting does not apply, so belay only
 * ever names files there that it named itself (`<id>.sqlite.partial`, in a directory it `cd`s into through a
 * quoted argument). The database path the user gave is an ordinary argv word.
 */





const SAFE_NAME = /^[A-Za-z0-9._-]+$/;
/** In the container of db-service / db-container when one is named, else on the host. */
async function sqlitePlace(t, v, user) {
    const spec = (0,_database_reach_js__WEBPACK_IMPORTED_MODULE_2__/* .containerSpec */ .$M)(v);
    return spec ? { kind: 'container', container: await (0,_server_docker_js__WEBPACK_IMPORTED_MODULE_3__/* .findContainer */ .FA)(t, spec, user) } : { kind: 'host' };
}
/** A SQLite database's name in manifests and for confirm: `database` when given, else the file's name. */
const sqliteName = (v) => v.database ?? (v.sqlitePath ?? '').split('/').pop() ?? '';
/** sqlite3's own version, refusing a server (or container) without the shell. */
async function sqliteVersion(t, place) {
    const r = await t.exec(inPlace(place, ['sqlite3', '--version']));
    const where = place.kind === 'container' ? `in container ${place.container.name}` : `on ${t.label}`;
    if (r.code !== 0) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(place.kind === 'container'
            ? `sqlite3 does not run in container ${place.container.name}. Give sqlite-path as the database's path on the host (its volume) and leave db-service unset, or add the sqlite3 shell to the image.`
            : `sqlite3 is not installed on ${t.label}. Install it (e.g. sudo apt-get install sqlite3).`);
    }
    return `sqlite3 ${r.stdout.trim().split(' ')[0]} ${where}`;
}
/**
 * Copy the live database at `dbPath` to `dir/name` with SQLite's online backup, check the copy where it was made
 * and return its tables with their row counts. In a container the copy is made and checked in its /tmp, then
 * moved out with `docker cp`.
 */
async function sqliteCopy(t, place, dbPath, dir, name) {
    if (!SAFE_NAME.test(name))
        throw new Error(`unsafe copy name ${name}`);
    if (place.kind === 'host') {
        // The file must exist: sqlite3 would create an empty database for a typo.
        const script = 'cd -- "$1" && { [ -f "$2" ] || { echo "no such file: $2" >&2; exit 3; }; } && exec sqlite3 -bail "$2" "$3"';
        const r = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', script, 'belay', dir, dbPath, `.backup '${name}'`));
        if (r.code !== 0)
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`sqlite3 .backup of ${dbPath} failed: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_4__/* .lastLine */ .fM)(r.stderr) || `exit ${r.code}`}.`);
        return checkSqliteFile(t, place, `${dir}/${name}`);
    }
    const inside = `/tmp/belay-${name}`;
    const id = place.container.id;
    const exists = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'exec', id, 'test', '-f', dbPath));
    if (exists.code !== 0)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`sqlite-path ${dbPath} does not exist in container ${place.container.name}.`);
    try {
        const r = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'exec', id, 'sqlite3', '-bail', dbPath, `.backup '${inside}'`));
        if (r.code !== 0)
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`sqlite3 .backup of ${dbPath} failed: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_4__/* .lastLine */ .fM)(r.stderr) || `exit ${r.code}`}.`);
        const tables = await checkSqliteFile(t, place, inside);
        const cp = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'cp', `${id}:${inside}`, `${dir}/${name}`));
        if (cp.code !== 0)
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`docker cp of the SQLite copy failed: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_4__/* .lastLine */ .fM)(cp.stderr)}.`);
        return tables;
    }
    finally {
        await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'exec', id, 'rm', '-f', inside)).catch(() => undefined);
    }
}
/** `PRAGMA integrity_check` must say ok; then every table is counted (on belay's own copy, never the live file). */
async function checkSqliteFile(t, place, path) {
    const sqlite = (...args) => t.exec(inPlace(place, ['sqlite3', '-bail', ...args]));
    const integrity = await sqlite(path, 'PRAGMA integrity_check;');
    if (integrity.code !== 0 || integrity.stdout.trim() !== 'ok') {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`The SQLite copy fails its integrity check: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_4__/* .lastLine */ .fM)(integrity.stdout) || (0,_postgres_js__WEBPACK_IMPORTED_MODULE_4__/* .lastLine */ .fM)(integrity.stderr)}.`);
    }
    const list = await sqlite(path, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name;");
    if (list.code !== 0)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot list the tables of the SQLite copy: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_4__/* .lastLine */ .fM)(list.stderr)}.`);
    const names = list.stdout.split('\n').filter(Boolean);
    if (names.length === 0)
        return [];
    const query = names.map((n) => `SELECT '${n.replace(/'/g, "''")}', count(*) FROM "${n.replace(/"/g, '""')}"`);
    const counted = await sqlite('-separator', '\t', path, `${query.join(' UNION ALL ')};`);
    if (counted.code !== 0)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot count the rows of the SQLite copy: ${(0,_postgres_js__WEBPACK_IMPORTED_MODULE_4__/* .lastLine */ .fM)(counted.stderr)}.`);
    return counted.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
        const tab = line.lastIndexOf('\t');
        return { name: line.slice(0, tab), rows: Number(line.slice(tab + 1)) };
    })
        .sort((a, b) => a.name.localeCompare(b.name));
}
function inPlace(place, argv) {
    return place.kind === 'container'
        ? (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'exec', place.container.id, ...argv)
        : (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)(argv[0], ...argv.slice(1));
}


/***/ }),

/***/ 5984:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Mq: () => (/* binding */ connectPostgres),
/* harmony export */   v4: () => (/* binding */ quoteIdent)
/* harmony export */ });
/* unused harmony export describeServer */
/* harmony import */ var pg__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(4225);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(713);
/** Connecting to PostgreSQL from this machine, and quoting names for its SQL. */


/** A PostgreSQL identifier, quoted: schema, table and database names come from inputs, so they are never pasted raw. */
const quoteIdent = (name) => `"${name.replace(/"/g, '""')}"`;
/** Connect with a one-line error that names the server but never the password. */
async function connectPostgres(url, applicationName = 'belay', limits = {}) {
    const client = new pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].Client */ .Ay.Client({
        connectionString: url,
        application_name: applicationName,
        // Sent in the startup message, so they hold from the first statement on.
        ...(limits.statementTimeoutMs ? { statement_timeout: limits.statementTimeoutMs } : {}),
        ...(limits.lockTimeoutMs ? { lock_timeout: limits.lockTimeoutMs } : {}),
    });
    // A connection that drops later must not crash the process; the next query reports it.
    client.on('error', () => undefined);
    try {
        await client.connect();
    }
    catch (err) {
        const where = describeServer(url);
        await client.end().catch(() => undefined);
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Could not connect to PostgreSQL at ${where}: ${err.message}. Check ${limits.hint ?? 'database-url'}.`);
    }
    return client;
}
/** `user@host:port/db`, without the password. */
function describeServer(url) {
    try {
        const u = new URL(url);
        return `${decodeURIComponent(u.username)}@${u.hostname}:${u.port || 5432}${u.pathname}`;
    }
    catch {
        return 'the configured server';
    }
}


/***/ }),

/***/ 5001:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $M: () => (/* binding */ containerSpec),
/* harmony export */   Kg: () => (/* binding */ databaseAddress),
/* harmony export */   Rl: () => (/* binding */ checkDatabaseInputs),
/* harmony export */   dM: () => (/* binding */ databaseInputs),
/* harmony export */   vx: () => (/* binding */ reachDatabase),
/* harmony export */   wf: () => (/* binding */ forwardedUrl)
/* harmony export */ });
/* harmony import */ var _config_connection_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9921);
/* harmony import */ var _config_load_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1413);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(713);
/* harmony import */ var _report_reporter_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(9712);
/* harmony import */ var _server_docker_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7654);
/* harmony import */ var _transport_pool_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(9964);
/**
 * How a command reaches the app's PostgreSQL: `database-url` directly (a managed database), or through the SSH
 * connection to the first host, at `db-host:db-port` as the server sees it, or at the address of the container of
 * `db-service` / `db-container`. The database needs no public port, and the password travels only inside the
 * connection, never in an argv.
 */






/** The database container named by db-service (in project `app`) or db-container, if any. */
function containerSpec(v) {
    if (v.dbService && v.dbContainer) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .InputError */ .dz('db-container', 'it cannot be combined with db-service', 'Give one of the two.');
    }
    if (v.dbService)
        return { service: v.dbService, ...(v.app ? { project: v.app } : {}) };
    if (v.dbContainer)
        return { container: v.dbContainer };
    return undefined;
}
/** Either database-url, or host + database + db-user (through SSH): refused before anything connects. */
function checkDatabaseInputs(v, face) {
    if (v.databaseUrl) {
        if (!/^postgres(ql)?:\/\//.test(v.databaseUrl)) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .InputError */ .dz('database-url', 'only PostgreSQL is supported here', 'Give a postgres:// URL.');
        }
        return;
    }
    if (!v.host)
        throw (0,_config_load_js__WEBPACK_IMPORTED_MODULE_1__/* .missing */ .L)('databaseUrl', face, 'it is required (or host, database and db-user, to go through SSH)');
    if (!v.database)
        throw (0,_config_load_js__WEBPACK_IMPORTED_MODULE_1__/* .missing */ .L)('database', face, 'it is required to reach the database through SSH');
    if (!v.dbUser)
        throw (0,_config_load_js__WEBPACK_IMPORTED_MODULE_1__/* .missing */ .L)('dbUser', face, 'it is required to reach the database through SSH');
    containerSpec(v);
}
/** Where the database is as the server sees it: db-host:db-port, or the address of its container. */
async function databaseAddress(server, v, user) {
    const port = v.dbPort ?? 5432;
    const spec = containerSpec(v);
    if (!spec)
        return { host: v.dbHost ?? '127.0.0.1', port };
    const container = await (0,_server_docker_js__WEBPACK_IMPORTED_MODULE_3__/* .findContainer */ .FA)(server, spec, user);
    return { host: (0,_server_docker_js__WEBPACK_IMPORTED_MODULE_3__/* .containerAddress */ .SA)(container), port, container };
}
/** The URL for a forward's local end; its secrets are registered with the reporter before anything prints it. */
function forwardedUrl(v, localHost, localPort, reporter) {
    const auth = `${encodeURIComponent(v.dbUser)}${v.dbPassword ? `:${encodeURIComponent(v.dbPassword)}` : ''}`;
    const url = `postgres://${auth}@${localHost}:${localPort}/${encodeURIComponent(v.database)}`;
    for (const secret of (0,_report_reporter_js__WEBPACK_IMPORTED_MODULE_5__/* .secretsOfUrl */ .mE)(url))
        reporter.secret(secret);
    return url;
}
/** The inputs to check when connecting fails. */
function databaseInputs(v) {
    if (v.databaseUrl)
        return 'database-url';
    if (v.dbService)
        return 'database, db-user, db-password and db-service';
    if (v.dbContainer)
        return 'database, db-user, db-password and db-container';
    return 'db-host, db-port, database, db-user and db-password';
}
async function reachDatabase(v, face, reporter) {
    if (v.databaseUrl)
        return { url: v.databaseUrl, inputs: 'database-url', close: async () => undefined };
    const { targets, options } = (0,_config_connection_js__WEBPACK_IMPORTED_MODULE_0__/* .resolveConnection */ .X)(v, face);
    let seenAs = '';
    const forward = await (0,_transport_pool_js__WEBPACK_IMPORTED_MODULE_4__/* .forwardThroughFirst */ .C)(targets, options, reporter, async (server) => {
        const address = await databaseAddress(server, v, targets[0].user);
        if (address.container)
            seenAs = ` (container ${address.container.name})`;
        return address;
    });
    const url = forwardedUrl(v, forward.localHost, forward.localPort, reporter);
    reporter.info(`database ${v.database} at ${forward.remoteHost}:${forward.remotePort}${seenAs} as seen from ${forward.server.host}, through SSH`);
    return { url, inputs: databaseInputs(v), close: () => forward.close() };
}


/***/ }),

/***/ 7654:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   FA: () => (/* binding */ findContainer),
/* harmony export */   SA: () => (/* binding */ containerAddress),
/* harmony export */   _8: () => (/* binding */ dockerProblem)
/* harmony export */ });
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2561);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(713);
/**
 * Docker on the server, as the SSH user sees it: why a docker command failed (in words a user can act on), and
 * where the container of a compose service is, so a database inside compose can be reached, dumped or restored.
 */


const firstLine = (text) => text.trim().split('\n')[0]?.trim() ?? '';
function dockerProblem(r, user) {
    const why = `${r.stderr}\n${r.stdout}`;
    if (r.code === 127 || /command not found|docker: not found/i.test(why)) {
        return {
            detail: 'docker is not installed',
            fix: 'Install Docker Engine on the server (e.g. `sudo apt-get install docker.io`).',
        };
    }
    if (/permission denied/i.test(why)) {
        return {
            detail: `${user} may not use the Docker socket`,
            fix: `Run \`sudo usermod -aG docker ${user}\` on the server, then reconnect.`,
        };
    }
    if (/cannot connect|is the docker daemon running/i.test(why)) {
        return { detail: 'the Docker daemon is not running', fix: 'Start it: `sudo systemctl enable --now docker`.' };
    }
    return {
        detail: `docker failed: ${firstLine(why)}`,
        fix: 'Run `docker version` on the server as the deploy user and fix what it says.',
    };
}
const SERVICE_LABEL = 'com.docker.compose.service';
const PROJECT_LABEL = 'com.docker.compose.project';
/**
 * The running container of `spec` on the server. A compose service running in several projects needs `app` to
 * say which; a stopped or unknown one is an error that lists what does run.
 */
async function findContainer(t, spec, user) {
    const input = spec.service !== undefined ? 'db-service' : 'db-container';
    let ids;
    if (spec.service !== undefined) {
        const filters = ['--filter', `label=${SERVICE_LABEL}=${spec.service}`];
        if (spec.project)
            filters.push('--filter', `label=${PROJECT_LABEL}=${spec.project}`);
        const listed = await docker(t, user, 'ps', ...filters, '--format', `{{.ID}} {{.Label "${PROJECT_LABEL}"}}`);
        const rows = listed
            .split('\n')
            .filter(Boolean)
            .map((line) => line.split(' '));
        const projects = [...new Set(rows.map((r) => r[1] ?? ''))];
        if (rows.length === 0) {
            const where = spec.project ? ` of compose project ${spec.project}` : '';
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz(input, `no running container of service "${spec.service}"${where} on ${t.label}`, `Start it (docker compose up -d), or name a running service: ${await runningServices(t, user)}.`);
        }
        if (projects.length > 1) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz(input, `service "${spec.service}" runs in several compose projects (${projects.join(', ')}) on ${t.label}`, 'Set app to the compose project to use.');
        }
        ids = rows.map((r) => r[0]);
    }
    else {
        ids = [spec.container];
    }
    const r = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'inspect', '--type', 'container', ids[0]));
    if (r.code !== 0) {
        if (/no such (object|container)/i.test(r.stderr)) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz(input, `no container "${ids[0]}" on ${t.label}`, `Give the name \`docker ps\` shows; running: ${await runningServices(t, user, 'names')}.`);
        }
        const p = dockerProblem(r, user);
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot inspect the database container on ${t.label}: ${p.detail}. ${p.fix}`);
    }
    const info = JSON.parse(r.stdout)[0];
    const name = info.Name.replace(/^\//, '');
    if (!info.State?.Running) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz(input, `container ${name} on ${t.label} is ${info.State?.Status ?? 'not running'}`, 'Start it (docker compose up -d, or docker start).');
    }
    const labels = info.Config?.Labels ?? {};
    const networks = Object.values(info.NetworkSettings?.Networks ?? {});
    return {
        id: info.Id,
        name,
        ...(labels[PROJECT_LABEL] ? { project: labels[PROJECT_LABEL] } : {}),
        ...(labels[SERVICE_LABEL] ? { service: labels[SERVICE_LABEL] } : {}),
        addresses: networks.map((n) => n.IPAddress ?? '').filter(Boolean),
        hostNetwork: info.HostConfig?.NetworkMode === 'host',
    };
}
/** Where the server reaches a port of the container: its first network address, or loopback for host networking. */
function containerAddress(c) {
    if (c.hostNetwork)
        return '127.0.0.1';
    const address = c.addresses[0];
    if (!address) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Container ${c.name} has no network address (network_mode none?): attach it to a network, or use db-host with a published port.`);
    }
    return address;
}
async function runningServices(t, user, what = 'services') {
    const format = what === 'services' ? `{{.Label "${PROJECT_LABEL}"}}/{{.Label "${SERVICE_LABEL}"}}` : '{{.Names}}';
    const listed = await docker(t, user, 'ps', '--format', format);
    const items = [...new Set(listed.split('\n').filter((l) => l && l !== '/'))].sort();
    return items.length ? items.slice(0, 10).join(', ') : 'none is running';
}
async function docker(t, user, ...args) {
    const r = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', ...args));
    if (r.code !== 0) {
        const p = dockerProblem(r, user);
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`docker on ${t.label}: ${p.detail}. ${p.fix}`);
    }
    return r.stdout;
}


/***/ })

};
