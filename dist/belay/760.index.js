import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 760;
export const ids = [760];
export const modules = {

/***/ 2451:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   G8: () => (/* binding */ compareCounts),
/* harmony export */   Qn: () => (/* binding */ stdinFor),
/* harmony export */   Tb: () => (/* binding */ pgDumpToolOfToc),
/* harmony export */   XZ: () => (/* binding */ pgCommand),
/* harmony export */   Y3: () => (/* binding */ dumpCommand),
/* harmony export */   ZA: () => (/* binding */ DUMP_STARTED),
/* harmony export */   a4: () => (/* binding */ readDumpRun),
/* harmony export */   fM: () => (/* binding */ lastLine),
/* harmony export */   mO: () => (/* binding */ tablesWithData),
/* harmony export */   oV: () => (/* binding */ checkPgDumpVersion),
/* harmony export */   r3: () => (/* binding */ openSnapshot),
/* harmony export */   zF: () => (/* binding */ countTables)
/* harmony export */ });
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6102);
/* harmony import */ var _database_connect_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1119);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4296);
/* harmony import */ var _store_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(8291);




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
/**
 * The dump and its checks in one command, so that no step after pg_dump waits for a round trip or a `docker exec`
 * to start. Arguments: the partial file, `toc` or not, the database container's id ('' on the host), then
 * pg_dump's argv. The password is the first stdin line, as for pgCommand.
 *
 * pg_dump writes straight to the partial, a seekable file, so it can go back and record where each table's data
 * starts (what `pg_restore -j` and selective restores need); a pipe would lose that, which is why the sha256 is
 * read from the finished file rather than from the stream. What belay needs from the run comes on stderr as
 * `belay-<name>=<value>` lines, pg_dump's own messages around them:
 * - `belay-dump-writing` (DUMP_STARTED), alone: pg_dump has written its first bytes (it has its snapshot and
 *   locks, and is past its own start);
 * - `belay-dump-exit`: pg_dump's exit status; nothing else is done unless it is 0;
 * - `belay-size`, `belay-sha256`: of the file as it is on disk once pg_dump has exited;
 * - `belay-toc-exit`: with `toc`, the status of `pg_restore --list` reading the same file; its listing (and its
 *   messages) are the command's stdout. It is started once pg_dump writes (a line `go` on its stdin lets it
 *   start) and then waits on its stdin for the file, so its own start (a `docker exec`) is paid neither at
 *   pg_dump's start nor after the dump.
 */
const DUMP_AND_CHECK = 'partial=$1; toc=$2; container=$3; shift 3; ' +
    'IFS= read -r PGPASSWORD || :; export PGPASSWORD; umask 077; exec < /dev/null; ' +
    _store_js__WEBPACK_IMPORTED_MODULE_3__/* .SHA256_FUNCTION */ .V +
    'belay_sums() { printf \'belay-size=%s\\nbelay-sha256=%s\\n\' "$(wc -c < "$partial")" "$(belay_sha256 "$partial")" >&2; }; ' +
    'belay_list() { if [ -n "$container" ]; then docker exec -i "$container" pg_restore --list; else pg_restore --list; fi; }; ' +
    'belay_dump() { "$@" > "$partial" & pid=$!; ' +
    'while [ ! -s "$partial" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05 2>/dev/null || sleep 1; done; ' +
    '[ -s "$partial" ] && { echo belay-dump-writing >&2; [ "$toc" = toc ] && echo go; }; ' +
    'wait "$pid"; rc=$?; echo "belay-dump-exit=$rc" >&2; [ "$rc" -eq 0 ] || return 0; ' +
    'if [ "$toc" = toc ]; then belay_sums & cat -- "$partial"; wait; else belay_sums; fi; }; ' +
    'if [ "$toc" = toc ]; then ' +
    'belay_dump "$@" | { IFS= read -r go && { belay_list 2>&1; echo "belay-toc-exit=$?" >&2; }; }; ' +
    'else belay_dump "$@"; fi; exit 0';
/** The line DUMP_AND_CHECK writes on stderr once pg_dump has written its first bytes. */
const DUMP_STARTED = 'belay-dump-writing';
/** pg_dump of `database` at `place` into `partial` (a path on the server), with the checks of DUMP_AND_CHECK. */
function dumpCommand(place, login, partial, toc, ...args) {
    const connection = place.kind === 'host' ? ['-h', place.host, '-p', String(place.port)] : [];
    const argv = ['pg_dump', ...connection, '-U', login.user, ...args];
    const container = place.kind === 'container' ? place.container.id : '';
    const inner = place.kind === 'container' ? ['docker', 'exec', '-i', '-e', 'PGPASSWORD', container, ...argv] : argv;
    return (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', DUMP_AND_CHECK, 'belay', partial, toc ? 'toc' : '', container, ...inner);
}
function readDumpRun(r) {
    const values = new Map();
    const messages = [];
    for (const line of r.stderr.split('\n')) {
        if (line === DUMP_STARTED)
            continue;
        const m = /^belay-(dump-exit|size|sha256|toc-exit)=(.*)$/.exec(line);
        if (m)
            values.set(m[1], m[2]);
        else
            messages.push(line);
    }
    const stderr = messages.join('\n');
    const exit = values.get('dump-exit');
    if (exit !== '0')
        return { ok: false, exit: exit ?? r.signal ?? String(r.code), stderr };
    const size = Number(values.get('size') ?? 'x');
    const sha256 = /^([0-9a-f]{64})\b/.exec(values.get('sha256') ?? '')?.[1];
    const tocExit = values.get('toc-exit');
    return {
        ok: true,
        exit,
        stderr,
        ...(Number.isSafeInteger(size) ? { size } : {}),
        ...(sha256 ? { sha256 } : {}),
        ...(tocExit !== undefined ? { toc: { ok: tocExit === '0', output: r.stdout } } : {}),
    };
}
/**
 * The pg_dump that runs, asked with `pg_dump --version` (one more `docker exec` in a container): for a dump whose
 * table of contents is not read (verify: checksum), and to say why a dump failed. It refuses a pg_dump older than
 * the server, which cannot dump it (and stops by itself at once when it tries).
 */
async function checkPgDumpVersion(t, place, serverVersionNum) {
    const r = await t.exec(place.kind === 'container'
        ? (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'exec', place.container.id, 'pg_dump', '--version')
        : (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('pg_dump', '--version'));
    if (r.code !== 0) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(place.kind === 'container'
            ? `pg_dump does not run in container ${place.container.name}: ${lastLine(r.stderr)}. Is it a PostgreSQL image?`
            : `pg_dump is not installed on ${t.label}. Install the PostgreSQL client of the server's version (e.g. postgresql-client-${Math.floor(serverVersionNum / 10000)}), or set db-service so pg_dump runs inside the database container.`);
    }
    return pgDumpTool(r.stdout, t, place, serverVersionNum);
}
/**
 * The pg_dump that made a dump, from its table of contents (`Dumped by pg_dump version: 15.18 …`), as the dump
 * itself records it; undefined when the listing does not say.
 */
function pgDumpToolOfToc(toc, t, place, serverVersionNum) {
    const line = /^;\s*Dumped by pg_dump version:\s*(\S.*)$/m.exec(toc)?.[1];
    return line === undefined ? undefined : pgDumpTool(line, t, place, serverVersionNum);
}
/** `pg_dump 15.18 in container shop-db-1` from a version text; refused when older than the server. */
function pgDumpTool(text, t, place, serverVersionNum) {
    const where = place.kind === 'container' ? `in container ${place.container.name}` : `on ${t.label}`;
    const version = /(\d+)(?:\.(\d+))?/.exec(text)?.[0] ?? '?';
    const major = Number(version.split('.')[0]);
    const serverMajor = Math.floor(serverVersionNum / 10000);
    if (Number.isFinite(major) && major < serverMajor) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(`pg_dump ${where} is version ${major}, older than the server's ${serverMajor}: it cannot dump it. Install postgresql-client-${serverMajor} on the server, or set db-service so pg_dump runs inside the database container.`);
    }
    return `pg_dump ${version} ${where}`;
}
/**
 * A repeatable-read transaction whose snapshot pg_dump will use, opened in one round trip; COMMIT ends it (once
 * pg_dump has imported the snapshot it holds it itself). The row counts taken in it run beside pg_dump, so they
 * are kept to one process (no parallel workers), not JIT-compiled (a count(*) is costly enough to trigger JIT,
 * whose compiling is pure overhead for it) and made by reading the table, not an index: pg_dump reads every table
 * from start to end, and a count reading the same table at the same time joins that scan (synchronized scans), so
 * the table comes from disk once; walking a primary key instead costs about twice the CPU of a plain read when the
 * table is cached (7 million pgbench rows: 0.8-1.1 s against 0.55 s), and the planner cannot know the dump is
 * reading the table anyway. They then take a little longer but leave more of the server's CPU to the dump, which
 * is what the backup waits for.
 */
async function openSnapshot(client) {
    const results = (await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL max_parallel_workers_per_gather = 0; ' +
        'SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; SET LOCAL enable_bitmapscan = off; ' +
        "SELECT set_config('jit', 'off', true) WHERE current_setting('server_version_num')::int >= 110000; " +
        "SELECT pg_export_snapshot() AS snapshot, current_setting('server_version') AS version, current_setting('server_version_num') AS num"));
    const row = results[results.length - 1].rows[0];
    return { snapshot: row.snapshot, serverVersion: row.version, versionNum: Number(row.num) };
}
/**
 * Every ordinary table outside the system schemas with its exact row count, in name order. `stopped`, asked before
 * each table, ends the counting early (with an error) once the counts are of no use.
 */
async function countTables(client, stopped = () => false) {
    const { rows } = await client.query(`SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1, 2`);
    const counts = [];
    for (const { schema, name } of rows) {
        if (stopped())
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT('The row counts were stopped.');
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

/***/ 5668:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   _4: () => (/* binding */ retentionRules),
/* harmony export */   dX: () => (/* binding */ applyRetention)
/* harmony export */ });
/* unused harmony export isoWeek */
/* harmony import */ var _core_order_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2831);
/**
 * Which backups to keep. A backup is kept when any rule keeps it (the union, as restic and borg do), and the
 * newest backup is always kept whatever the rules say. Pure: the caller lists belay's own backups of one app and
 * database and deletes what this returns, only after a new backup succeeded.
 */

/** The rules from the keep-* inputs, with their defaults. */
function retentionRules(v) {
    return {
        keepLast: v.keepLast ?? 10,
        keepDaily: v.keepDaily ?? 7,
        keepWeekly: v.keepWeekly ?? 4,
        keepMonthly: v.keepMonthly ?? 0,
        keepDays: v.keepDays ?? 0,
    };
}
function applyRetention(backups, rules, now) {
    const newestFirst = [...backups].sort((a, b) => time(b) - time(a) || (0,_core_order_js__WEBPACK_IMPORTED_MODULE_0__/* .byCodeUnits */ .C)(b.id, a.id));
    const reasons = new Map();
    const keep = (b, reason) => reasons.set(b, [...(reasons.get(b) ?? []), reason]);
    if (newestFirst[0])
        keep(newestFirst[0], 'newest');
    newestFirst.slice(0, rules.keepLast).forEach((b) => keep(b, 'last'));
    const buckets = [
        [rules.keepDaily, 'daily', (d) => d.toISOString().slice(0, 10)],
        [rules.keepWeekly, 'weekly', isoWeek],
        [rules.keepMonthly, 'monthly', (d) => d.toISOString().slice(0, 7)],
    ];
    for (const [count, reason, bucketOf] of buckets) {
        const seen = new Set();
        for (const b of newestFirst) {
            if (seen.size >= count)
                break;
            const bucket = bucketOf(new Date(time(b)));
            if (seen.has(bucket))
                continue;
            seen.add(bucket);
            keep(b, reason);
        }
    }
    if (rules.keepDays > 0) {
        const since = now.getTime() - rules.keepDays * 86_400_000;
        for (const b of newestFirst)
            if (time(b) >= since)
                keep(b, 'days');
    }
    return {
        keep: newestFirst.filter((b) => reasons.has(b)).map((b) => ({ backup: b, reasons: reasons.get(b) })),
        prune: newestFirst.filter((b) => !reasons.has(b)),
    };
}
const time = (b) => Date.parse(b.createdAt);
/** `2026-W48`: ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday). */
function isoWeek(d) {
    const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    const weekday = day.getUTCDay() || 7;
    day.setUTCDate(day.getUTCDate() + 4 - weekday);
    const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
    const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
    return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}


/***/ }),

/***/ 7760:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   BY: () => (/* binding */ checkSqliteFile),
/* harmony export */   dZ: () => (/* binding */ sqliteVersion),
/* harmony export */   iA: () => (/* binding */ sqlitePlace),
/* harmony export */   ov: () => (/* binding */ sqliteCopy),
/* harmony export */   sqliteName: () => (/* binding */ sqliteName)
/* harmony export */ });
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6102);
/* harmony import */ var _core_order_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(2831);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4296);
/* harmony import */ var _database_reach_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(5570);
/* harmony import */ var _server_docker_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3312);
/* harmony import */ var _postgres_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(2451);
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
        .sort((a, b) => (0,_core_order_js__WEBPACK_IMPORTED_MODULE_5__/* .byCodeUnits */ .C)(a.name, b.name));
}
function inPlace(place, argv) {
    return place.kind === 'container'
        ? (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'exec', place.container.id, ...argv)
        : (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)(argv[0], ...argv.slice(1));
}


/***/ }),

/***/ 8291:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   V: () => (/* binding */ SHA256_FUNCTION),
/* harmony export */   y: () => (/* binding */ BackupStore)
/* harmony export */ });
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6102);
/* harmony import */ var _core_order_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(2831);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4296);
/* harmony import */ var _manifest_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8726);
/* harmony import */ var _retention_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(5668);
/**
 * The backup directory on the server: one folder per app, `<id>.<dump|sqlite>` files with `<id>.json` manifests,
 * and `<id>.*.partial` files only while a backup is being written. Every path reaches the shell as a quoted
 * positional argument of a constant script.
 */





/**
 * Renames the verified partial ($1) to its final name ($2), never over another file, then writes the manifest read
 * from stdin to $3 (through a temporary name, so a listed manifest is always whole) and runs the script $4 on the
 * folder $5 (LIST). Exit 3: $2 exists already; 4: the rename failed (the partial is still there); 5: the manifest
 * could not be written, and the renamed file was removed again, so no backup without a manifest is left.
 */
const KEEP = '[ ! -e "$2" ] || { echo "$2 exists already" >&2; exit 3; }; mv -- "$1" "$2" || exit 4; umask 077; ' +
    'if cat > "$3.tmp" && mv -f -- "$3.tmp" "$3"; then exec sh -c "$4" belay "$5"; fi; ' +
    'rm -f -- "$2" "$3.tmp"; exit 5';
/**
 * Shell functions: `belay_sha256 FILE` prints the file's sha256 (first word of its output). OpenSSL's is used when
 * the server has it: it uses the CPU's SHA instructions and reads a large dump several times faster than
 * coreutils' sha256sum, which is the fallback. Either way it is the sha256 of the file as it is on disk.
 */
const SHA256_FUNCTION = 'belay_sha256() { h=$(openssl dgst -sha256 -r < "$1" 2>/dev/null) && [ -n "$h" ] || h=$(sha256sum < "$1") || return; ' +
    'printf \'%s\\n\' "$h"; }; ';
/** Every manifest in the folder $1, one per line. */
const LIST = 'for f in "$1"/*.json; do [ -f "$f" ] && { tr -d "\\n" < "$f"; echo; }; done; exit 0';
function listing(text) {
    const { manifests, unreadable } = (0,_manifest_js__WEBPACK_IMPORTED_MODULE_2__/* .parseManifests */ .Ye)(text);
    manifests.sort((a, b) => (0,_core_order_js__WEBPACK_IMPORTED_MODULE_3__/* .byCodeUnits */ .C)(a.createdAt, b.createdAt) || (0,_core_order_js__WEBPACK_IMPORTED_MODULE_3__/* .byCodeUnits */ .C)(a.id, b.id));
    return { manifests, unreadable };
}
class BackupStore {
    t;
    dir;
    made;
    constructor(t, 
    /** `<backup-dir>/<app>`, relative to the SSH user's home unless absolute. */
    dir) {
        this.t = t;
        this.dir = dir;
    }
    path(file) {
        return `${this.dir}/${file}`;
    }
    /**
     * Create the folder, readable by the SSH user only: dumps hold every row of the database. Once per store, so it
     * can be started early, beside other work, and asked for again where it must be done.
     */
    ensure() {
        this.made ??= this.run('create the backup directory', (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', 'umask 077 && mkdir -p -- "$1"', 'belay', this.dir)).then(() => undefined, (err) => {
            this.made = undefined;
            throw err;
        });
        return this.made;
    }
    async list() {
        const r = await this.t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', LIST, 'belay', this.dir));
        return listing(r.stdout);
    }
    async size(file) {
        const r = await this.t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('stat', '-c', '%s', '--', this.path(file)));
        return r.code === 0 ? Number(r.stdout.trim()) : undefined;
    }
    async sha256(file) {
        const script = `${SHA256_FUNCTION}belay_sha256 "$1"`;
        const out = await this.run(`checksum ${file}`, (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', script, 'belay', this.path(file)));
        const hex = /^([0-9a-f]{64})\b/.exec(out.trim())?.[1];
        if (!hex)
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`sha256 on ${this.t.label} gave no checksum for ${this.path(file)}.`);
        return hex;
    }
    /**
     * Promote a verified partial and write its manifest, in one command (see KEEP), which then lists the folder as
     * it is now, for retention. When it fails, no file of this backup is left under its final name; the caller
     * removes the partial.
     */
    async keep(partial, final, manifest) {
        const r = await this.t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', KEEP, 'belay', this.path(partial), this.path(final), this.path(`${manifest.id}.json`), LIST, this.dir), { stdin: `${JSON.stringify(manifest)}\n` });
        if (r.code === 0)
            return listing(r.stdout);
        const why = r.stderr.trim().split('\n').pop() || `exit ${r.code}`;
        const what = r.code === 3 || r.code === 4 ? `rename ${partial} to ${final}` : `write the manifest ${manifest.id}.json`;
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Could not ${what} on ${this.t.label}: ${why}.`);
    }
    /**
     * Retention over the backups of `fresh`'s app, database and engine in this folder, once `fresh` is in place
     * (listed here, with its manifest): never `fresh`, never the newest, never a file whose manifest does not name
     * it the way belay does (see filesOf). When `fresh` is not listed, nothing is pruned. One command removes
     * every pruned backup, manifests first. `listing` is the folder as keep() listed it, else it is listed here.
     * Returns what was pruned, how many manifests could not be read, and whether `fresh` was listed.
     */
    async prune(fresh, rules, listing, now = new Date()) {
        const { manifests, unreadable } = listing ?? (await this.list());
        const mine = manifests.filter((m) => m.app === fresh.app && m.database === fresh.database && m.engine === fresh.engine && (0,_manifest_js__WEBPACK_IMPORTED_MODULE_2__/* .filesOf */ .R8)(m) !== undefined);
        if (!mine.some((m) => m.id === fresh.id))
            return { pruned: [], unreadable, listed: false };
        const pruned = (0,_retention_js__WEBPACK_IMPORTED_MODULE_4__/* .applyRetention */ .dX)(mine, rules, now).prune.filter((m) => m.id !== fresh.id);
        if (pruned.length) {
            const files = pruned.map((m) => (0,_manifest_js__WEBPACK_IMPORTED_MODULE_2__/* .filesOf */ .R8)(m));
            await this.remove(...files.map((f) => f[f.length - 1]), ...files.flatMap((f) => f.slice(0, -1)));
        }
        return { pruned, unreadable, listed: true };
    }
    /** Remove files; the manifest first, so a half-removed backup is never listed as good. */
    async remove(...files) {
        await this.run('remove', (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('rm', '-f', '--', ...files.map((f) => this.path(f))));
    }
    async run(what, command) {
        const r = await this.t.exec(command);
        if (r.code !== 0) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Could not ${what} on ${this.t.label}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}.`);
        }
        return r.stdout;
    }
}


/***/ }),

/***/ 1119:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Mq: () => (/* binding */ connectPostgres),
/* harmony export */   v4: () => (/* binding */ quoteIdent)
/* harmony export */ });
/* unused harmony export describeServer */
/* harmony import */ var pg__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6230);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4296);
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

/***/ 5570:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $M: () => (/* binding */ containerSpec),
/* harmony export */   Kg: () => (/* binding */ databaseAddress),
/* harmony export */   Rl: () => (/* binding */ checkDatabaseInputs),
/* harmony export */   dM: () => (/* binding */ databaseInputs),
/* harmony export */   vx: () => (/* binding */ reachDatabase),
/* harmony export */   wf: () => (/* binding */ forwardedUrl)
/* harmony export */ });
/* harmony import */ var _config_connection_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9420);
/* harmony import */ var _config_layers_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9597);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4296);
/* harmony import */ var _report_reporter_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(4969);
/* harmony import */ var _server_docker_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3312);
/* harmony import */ var _transport_pool_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(2548);
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
        throw (0,_config_layers_js__WEBPACK_IMPORTED_MODULE_1__/* .missing */ .LO)('databaseUrl', face, 'it is required (or host, database and db-user, to go through SSH)');
    if (!v.database)
        throw (0,_config_layers_js__WEBPACK_IMPORTED_MODULE_1__/* .missing */ .LO)('database', face, 'it is required to reach the database through SSH');
    if (!v.dbUser)
        throw (0,_config_layers_js__WEBPACK_IMPORTED_MODULE_1__/* .missing */ .LO)('dbUser', face, 'it is required to reach the database through SSH');
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

/***/ 3312:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   FA: () => (/* binding */ findContainer),
/* harmony export */   SA: () => (/* binding */ containerAddress),
/* harmony export */   _8: () => (/* binding */ dockerProblem)
/* harmony export */ });
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6102);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4296);
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
 * Lists the running containers matching the filters given as arguments and inspects them, in one round trip:
 * nothing when none matches; `docker ps`'s own exit status and message when it fails. The ids are docker's hex ids,
 * split as words on purpose.
 */
const PS_THEN_INSPECT = 'ids=$(docker ps -q "$@") || exit $?; [ -z "$ids" ] || exec docker inspect --type container $ids';
/**
 * $1 the name Compose v2 gives the service's first container (`<project>-<service>-1`), then the filters of
 * PS_THEN_INSPECT: that container inspected by name (one docker command), else PS_THEN_INSPECT. Whether the
 * container found by name is the right one (its labels, running) is judged by the caller.
 */
const BY_NAME_ELSE_PS = `c=$1; shift
if out=$(docker inspect --type container -- "$c" 2>/dev/null); then printf '%s\n' "$out"; exit 0; fi
${PS_THEN_INSPECT}`;
/**
 * The running container of `spec` on the server. A compose service running in several projects needs `app` to
 * say which; a stopped or unknown one is an error that lists what does run. One command on the server, two when
 * the container named like the service's is not it.
 */
async function findContainer(t, spec, user) {
    const input = spec.service !== undefined ? 'db-service' : 'db-container';
    let info;
    if (spec.service !== undefined) {
        const filters = ['--filter', `label=${SERVICE_LABEL}=${spec.service}`];
        if (spec.project)
            filters.push('--filter', `label=${PROJECT_LABEL}=${spec.project}`);
        const look = async (script, ...args) => {
            const r = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', script, 'belay', ...args));
            if (r.code !== 0) {
                const p = dockerProblem(r, user);
                throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`docker on ${t.label}: ${p.detail}. ${p.fix}`);
            }
            // In `docker ps` order, newest first, as the id list was given.
            return r.stdout.trim() ? JSON.parse(r.stdout) : [];
        };
        // With the project known, the container Compose v2 names `<project>-<service>-1` is asked for by name first
        // (one docker command instead of two); kept only when its labels say it is that service and it runs.
        const ofSpec = (c) => c.Config?.Labels?.[SERVICE_LABEL] === spec.service &&
            c.Config?.Labels?.[PROJECT_LABEL] === spec.project &&
            c.State?.Running === true;
        let found = spec.project
            ? await look(BY_NAME_ELSE_PS, `${spec.project}-${spec.service}-1`, ...filters)
            : await look(PS_THEN_INSPECT, ...filters);
        if (spec.project && found.length === 1 && !ofSpec(found[0]))
            found = await look(PS_THEN_INSPECT, ...filters);
        const projects = [...new Set(found.map((c) => c.Config?.Labels?.[PROJECT_LABEL] ?? ''))];
        if (found.length === 0) {
            const where = spec.project ? ` of compose project ${spec.project}` : '';
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz(input, `no running container of service "${spec.service}"${where} on ${t.label}`, `Start it (docker compose up -d), or name a running service: ${await runningServices(t, user)}.`);
        }
        if (projects.length > 1) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz(input, `service "${spec.service}" runs in several compose projects (${projects.join(', ')}) on ${t.label}`, 'Set app to the compose project to use.');
        }
        info = found[0];
    }
    else {
        const r = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'inspect', '--type', 'container', spec.container));
        if (r.code !== 0) {
            if (/no such (object|container)/i.test(r.stderr)) {
                throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz(input, `no container "${spec.container}" on ${t.label}`, `Give the name \`docker ps\` shows; running: ${await runningServices(t, user, 'names')}.`);
            }
            const p = dockerProblem(r, user);
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Cannot inspect the database container on ${t.label}: ${p.detail}. ${p.fix}`);
        }
        info = JSON.parse(r.stdout)[0];
    }
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
