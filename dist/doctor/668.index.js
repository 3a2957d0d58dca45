import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 668;
export const ids = [668];
export const modules = {

/***/ 2668:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runBackup: () => (/* binding */ runBackup)
});

// EXTERNAL MODULE: ./src/config/connection.ts
var connection = __webpack_require__(9420);
// EXTERNAL MODULE: ./src/config/load.ts
var load = __webpack_require__(1036);
// EXTERNAL MODULE: ./src/core/duration.ts
var duration = __webpack_require__(8571);
// EXTERNAL MODULE: ./src/core/errors.ts
var errors = __webpack_require__(4296);
// EXTERNAL MODULE: ./src/database/connect.ts
var connect = __webpack_require__(1119);
// EXTERNAL MODULE: ./src/database/reach.ts
var reach = __webpack_require__(5570);
// EXTERNAL MODULE: ./src/report/reporter.ts
var report_reporter = __webpack_require__(4969);
// EXTERNAL MODULE: ./src/transport/pool.ts + 3 modules
var transport_pool = __webpack_require__(2548);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: ./node_modules/zod/v4/classic/schemas.js + 15 modules
var schemas = __webpack_require__(9691);
;// CONCATENATED MODULE: ./src/backup/manifest.ts
/**
 * The manifest written next to each backup file on the server (`<id>.json`). It exists only for a backup that was
 * written completely and verified, so "has a manifest" is what makes a file one of belay's good backups.
 */


const table = schemas/* object */.Ikc({ name: schemas/* string */.YjP(), rows: schemas/* number */.aig().int().nonnegative() });
const manifestSchema = schemas/* object */.Ikc({
    belay: schemas/* literal */.euz(1),
    id: schemas/* string */.YjP(),
    app: schemas/* string */.YjP(),
    engine: schemas/* enum */.k5n(['postgres', 'sqlite']),
    database: schemas/* string */.YjP(),
    label: schemas/* string */.YjP().optional(),
    /** File name, in the same directory as the manifest. */
    file: schemas/* string */.YjP(),
    size: schemas/* number */.aig().int().nonnegative(),
    sha256: schemas/* string */.YjP().regex(/^[0-9a-f]{64}$/),
    createdAt: schemas/* string */.YjP(),
    durationMs: schemas/* number */.aig().nonnegative(),
    serverVersion: schemas/* string */.YjP(),
    /** What made the dump: `pg_dump 15.18 in container shop-db-1`, `sqlite3 3.40.1 on the host`. */
    tool: schemas/* string */.YjP(),
    git: schemas/* object */.Ikc({ sha: schemas/* string */.YjP().optional(), ref: schemas/* string */.YjP().optional() }).optional(),
    run: schemas/* object */.Ikc({ id: schemas/* string */.YjP().optional(), url: schemas/* string */.YjP().optional(), actor: schemas/* string */.YjP().optional() }).optional(),
    tables: schemas/* array */.YOg(table),
    verified: schemas/* object */.Ikc({ method: schemas/* enum */.k5n(['checksum', 'toc', 'restore']), at: schemas/* string */.YjP() }),
});
/** `20261123T170102Z-1a2b`: sorts by time, unique enough for one app's backups. */
function newBackupId(now) {
    const stamp = now
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
    return `${stamp}-${(0,external_node_crypto_.randomBytes)(2).toString('hex')}`;
}
const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;
const fileOf = (id, engine) => `${id}.${engine === 'postgres' ? 'dump' : 'sqlite'}`;
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

// EXTERNAL MODULE: ./src/core/command.ts
var command = __webpack_require__(6102);
;// CONCATENATED MODULE: ./src/backup/postgres.ts



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
    return (0,command/* cmd */.HW)('sh', '-c', WITH_PASSWORD, 'belay', io.stdoutTo ?? '', io.stdinFrom ?? '', ...inner);
}
const stdinFor = (login) => `${login.password ?? ''}\n`;
/** The major version of the pg_dump that will run, and refuse one older than the server (it cannot dump it). */
async function checkPgDumpVersion(t, place, serverVersionNum) {
    const r = await t.exec(place.kind === 'container'
        ? (0,command/* cmd */.HW)('docker', 'exec', place.container.id, 'pg_dump', '--version')
        : (0,command/* cmd */.HW)('pg_dump', '--version'));
    const where = place.kind === 'container' ? `in container ${place.container.name}` : `on ${t.label}`;
    if (r.code !== 0) {
        throw new errors/* BelayError */.oT(place.kind === 'container'
            ? `pg_dump does not run in container ${place.container.name}: ${lastLine(r.stderr)}. Is it a PostgreSQL image?`
            : `pg_dump is not installed on ${t.label}. Install the PostgreSQL client of the server's version (e.g. postgresql-client-${Math.floor(serverVersionNum / 10000)}), or set db-service so pg_dump runs inside the database container.`);
    }
    const version = /(\d+)(?:\.(\d+))?/.exec(r.stdout)?.[0] ?? '?';
    const major = Number(version.split('.')[0]);
    const serverMajor = Math.floor(serverVersionNum / 10000);
    if (Number.isFinite(major) && major < serverMajor) {
        throw new errors/* BelayError */.oT(`pg_dump ${where} is version ${major}, older than the server's ${serverMajor}: it cannot dump it. Install postgresql-client-${serverMajor} on the server, or set db-service so pg_dump runs inside the database container.`);
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
        const q = `SELECT count(*)::bigint AS n FROM ${(0,connect/* quoteIdent */.v4)(schema)}.${(0,connect/* quoteIdent */.v4)(name)}`;
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

;// CONCATENATED MODULE: ./src/backup/retention.ts
/**
 * Which backups to keep. A backup is kept when any rule keeps it (the union, as restic and borg do), and the
 * newest backup is always kept whatever the rules say. Pure: the caller lists belay's own backups of one app and
 * database and deletes what this returns, only after a new backup succeeded.
 */
function applyRetention(backups, rules, now) {
    const newestFirst = [...backups].sort((a, b) => time(b) - time(a) || b.id.localeCompare(a.id));
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

;// CONCATENATED MODULE: ./src/backup/store.ts
/**
 * The backup directory on the server: one folder per app, `<id>.<dump|sqlite>` files with `<id>.json` manifests,
 * and `<id>.*.partial` files only while a backup is being written. Every path reaches the shell as a quoted
 * positional argument of a constant script.
 */



class BackupStore {
    t;
    dir;
    constructor(t, 
    /** `<backup-dir>/<app>`, relative to the SSH user's home unless absolute. */
    dir) {
        this.t = t;
        this.dir = dir;
    }
    path(file) {
        return `${this.dir}/${file}`;
    }
    /** Create the folder, readable by the SSH user only: dumps hold every row of the database. */
    async ensure() {
        await this.run('create the backup directory', (0,command/* cmd */.HW)('sh', '-c', 'umask 077 && mkdir -p -- "$1"', 'belay', this.dir));
    }
    async list() {
        const script = 'for f in "$1"/*.json; do [ -f "$f" ] && { tr -d "\\n" < "$f"; echo; }; done; exit 0';
        const r = await this.t.exec((0,command/* cmd */.HW)('sh', '-c', script, 'belay', this.dir));
        const { manifests, unreadable } = parseManifests(r.stdout);
        manifests.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
        return { manifests, unreadable };
    }
    async size(file) {
        const r = await this.t.exec((0,command/* cmd */.HW)('stat', '-c', '%s', '--', this.path(file)));
        return r.code === 0 ? Number(r.stdout.trim()) : undefined;
    }
    async sha256(file) {
        const out = await this.run(`checksum ${file}`, (0,command/* cmd */.HW)('sha256sum', '--', this.path(file)));
        const hex = /^([0-9a-f]{64})\b/.exec(out.trim())?.[1];
        if (!hex)
            throw new errors/* BelayError */.oT(`sha256sum on ${this.t.label} gave no checksum for ${this.path(file)}.`);
        return hex;
    }
    /** Rename without replacing: a finished backup never overwrites another file. */
    async promote(partial, final) {
        const script = '[ ! -e "$2" ] && mv -- "$1" "$2"';
        await this.run(`rename ${partial}`, (0,command/* cmd */.HW)('sh', '-c', script, 'belay', this.path(partial), this.path(final)));
    }
    async writeManifest(manifest) {
        await this.t.upload(`${JSON.stringify(manifest)}\n`, this.path(`${manifest.id}.json`), 0o600);
    }
    /** Remove files; the manifest first, so a half-removed backup is never listed as good. */
    async remove(...files) {
        await this.run('remove', (0,command/* cmd */.HW)('rm', '-f', '--', ...files.map((f) => this.path(f))));
    }
    async run(what, command) {
        const r = await this.t.exec(command);
        if (r.code !== 0) {
            throw new errors/* BelayError */.oT(`Could not ${what} on ${this.t.label}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}.`);
        }
        return r.stdout;
    }
}

;// CONCATENATED MODULE: ./src/backup/run.ts
/**
 * `belay backup` / the backup action: dump on the server into a partial file, verify it, promote it with its
 * manifest, then prune by retention. On any failure the partial is removed and nothing is pruned, so older
 * backups are exactly as they were. `belay backup list` shows what is there.
 */













const LABEL = /^[A-Za-z0-9._-]{1,100}$/;
/** How often a long dump reports its progress. */
const PROGRESS_MS = 5_000;
async function runBackup({ reporter, face, loaded }) {
    const v = loaded.values;
    if (v.list)
        return listBackups({ reporter, face, loaded });
    const engine = v.engine ?? 'postgres';
    if (engine !== 'postgres') {
        throw new errors/* InputError */.dz('engine', 'sqlite backups are not available yet', 'Use engine: postgres.');
    }
    if (v.label && !LABEL.test(v.label)) {
        throw new errors/* InputError */.dz('label', `"${v.label}" has characters other than letters, digits, ".", "_" and "-"`, 'Use a label like pre-deploy-1a2b3c4.');
    }
    if (!v.database)
        throw (0,load/* missing */.L)('database', face, 'it is required to back up a PostgreSQL database');
    if (!v.dbUser)
        throw (0,load/* missing */.L)('dbUser', face, 'it is required to back up a PostgreSQL database');
    const { targets, options } = (0,connection/* resolveConnection */.X)(v, face);
    const target = targets[0];
    if (targets.length > 1)
        reporter.info(`backing up the database on the first host, ${target.host}`);
    const pool = new transport_pool/* ConnectionPool */.j(options, reporter);
    try {
        const t = await pool.get(target);
        const store = new BackupStore(t, `${v.backupDir ?? 'belay/backups'}/${v.app}`);
        const manifest = await backupPostgres(t, store, v, target.user, reporter);
        await prune(store, manifest, v, reporter);
        reporter.setOutput('backup-id', manifest.id);
        reporter.setOutput('path', store.path(manifest.file));
        reporter.setOutput('sha256', manifest.sha256);
        reporter.setOutput('size', String(manifest.size));
        reporter.summary(`### belay backup ${manifest.id}\n\n` +
            (0,report_reporter/* markdownTable */.Qj)(['Database', 'Label', 'Size', 'sha256', 'Tables', 'Rows', 'Verified', 'Took'], [
                [
                    manifest.database,
                    manifest.label ?? '',
                    (0,duration/* formatSize */.Xq)(manifest.size),
                    manifest.sha256.slice(0, 12),
                    String(manifest.tables.length),
                    String(manifest.tables.reduce((n, x) => n + x.rows, 0)),
                    manifest.verified.method,
                    (0,duration/* formatDuration */.a3)(manifest.durationMs),
                ],
            ]));
        reporter.info(`✓ backup ${manifest.id}: ${(0,duration/* formatSize */.Xq)(manifest.size)}, ${manifest.tables.length} table(s), verified (${manifest.verified.method}), at ${store.path(manifest.file)}`);
        return true;
    }
    finally {
        await pool.closeAll();
    }
}
async function backupPostgres(t, store, v, user, reporter) {
    const started = Date.now();
    const address = await (0,reach/* databaseAddress */.Kg)(t, v, user);
    const place = address.container
        ? { kind: 'container', container: address.container }
        : { kind: 'host', host: address.host, port: address.port };
    const login = { user: v.dbUser, ...(v.dbPassword ? { password: v.dbPassword } : {}) };
    const forward = await t.forward(address.host, address.port);
    const url = (0,reach/* forwardedUrl */.wf)(v, forward.localHost, forward.localPort, reporter);
    const client = await (0,connect/* connectPostgres */.Mq)(url, 'belay backup', { hint: (0,reach/* databaseInputs */.dM)(v) });
    await store.ensure();
    const id = newBackupId(new Date(started));
    const file = fileOf(id, 'postgres');
    const partial = `${file}.partial`;
    let promoted = false;
    try {
        const { snapshot, serverVersion, versionNum } = await openSnapshot(client);
        const tool = await checkPgDumpVersion(t, place, versionNum);
        reporter.info(`dumping ${v.database} (PostgreSQL ${serverVersion}) with ${tool} to ${store.path(partial)}`);
        const dump = t.exec(pgCommand(place, login, { stdoutTo: store.path(partial) }, 'pg_dump', '-Fc', '-d', v.database, `--snapshot=${snapshot}`), { stdin: stdinFor(login) });
        const progress = reportProgress(store, partial, reporter);
        let tables;
        try {
            // Counted in the exported snapshot while pg_dump reads the same one.
            tables = await countTables(client);
            const r = await dump;
            if (r.code !== 0) {
                const full = /no space left on device/i.test(r.stderr)
                    ? ` The filesystem of ${store.dir} is full: free space there, or set backup-dir to a larger one.`
                    : '';
                throw new errors/* BelayError */.oT(`pg_dump failed (exit ${r.signal ?? r.code}): ${lastLine(r.stderr) || 'no message'}.${full} Nothing was kept and no backup was pruned.`);
            }
        }
        finally {
            progress.stop();
            await client.query('COMMIT').catch(() => undefined);
        }
        const size = (await store.size(partial)) ?? 0;
        if (size === 0)
            throw new errors/* BelayError */.oT('pg_dump wrote an empty file. Nothing was kept and no backup was pruned.');
        const sha256 = await store.sha256(partial);
        const method = v.verify ?? 'toc';
        if (method !== 'checksum')
            await verifyToc(t, store, place, login, partial, tables);
        if (method === 'restore')
            await verifyByRestore(t, store, place, login, partial, tables, client, url, v, reporter);
        const manifest = {
            belay: 1,
            id,
            app: v.app,
            engine: 'postgres',
            database: v.database,
            ...(v.label ? { label: v.label } : {}),
            file,
            size,
            sha256,
            createdAt: new Date(started).toISOString(),
            durationMs: Date.now() - started,
            serverVersion,
            tool,
            ...provenance(),
            tables,
            verified: { method, at: new Date().toISOString() },
        };
        await store.promote(partial, file);
        promoted = true;
        await store.writeManifest(manifest);
        return manifest;
    }
    catch (err) {
        // Whatever went wrong, no half-written or unverified file stays behind to be mistaken for a backup.
        await store.remove(promoted ? file : partial, `${id}.json`).catch(() => undefined);
        throw err;
    }
    finally {
        await client.end().catch(() => undefined);
        await forward.close().catch(() => undefined);
    }
}
/** The file's table of contents must list the data of every table that had rows. */
async function verifyToc(t, store, place, login, partial, tables) {
    const r = await t.exec(pgCommand(place, login, { stdinFrom: store.path(partial) }, 'pg_restore', '--list'), {
        stdin: stdinFor(login),
    });
    if (r.code !== 0) {
        throw new errors/* BelayError */.oT(`pg_restore --list cannot read the new dump: ${lastLine(r.stderr)}. Nothing was kept.`);
    }
    const listed = tablesWithData(r.stdout);
    const absent = tables.filter((x) => x.rows > 0 && !listed.has(x.name)).map((x) => x.name);
    if (absent.length) {
        throw new errors/* BelayError */.oT(`The new dump has no data for ${absent.join(', ')}. Nothing was kept.`);
    }
}
/**
 * Restore into a scratch database on the same server, with exit-on-error, and compare every table's row count
 * with the snapshot's; the scratch database is dropped whatever happens.
 */
async function verifyByRestore(t, store, place, login, partial, expected, client, url, v, reporter) {
    const scratch = `${v.database}_belay_verify_${Date.now().toString(36)}`.slice(0, 63);
    try {
        await client.query(`CREATE DATABASE ${(0,connect/* quoteIdent */.v4)(scratch)}`);
    }
    catch (err) {
        throw new errors/* BelayError */.oT(`verify: restore needs a scratch database, and ${v.dbUser} could not create one: ${err.message}. Grant it CREATEDB, or use verify: toc.`);
    }
    try {
        reporter.info(`verifying by restoring into ${scratch}`);
        const r = await t.exec(pgCommand(place, login, { stdinFrom: store.path(partial) }, 'pg_restore', '--exit-on-error', '--no-owner', '-d', scratch), { stdin: stdinFor(login) });
        if (r.code !== 0)
            throw new errors/* BelayError */.oT(`The new dump does not restore: ${lastLine(r.stderr)}. Nothing was kept.`);
        const scratchUrl = new URL(url);
        scratchUrl.pathname = `/${encodeURIComponent(scratch)}`;
        const restored = await (0,connect/* connectPostgres */.Mq)(scratchUrl.toString(), 'belay backup verify');
        let actual;
        try {
            actual = await countTables(restored);
        }
        finally {
            await restored.end().catch(() => undefined);
        }
        const problems = compareCounts(expected, actual);
        if (problems.length) {
            throw new errors/* BelayError */.oT(`The restored copy differs from the database: ${problems.slice(0, 5).join('; ')}. Nothing was kept.`);
        }
    }
    finally {
        await client.query(`DROP DATABASE IF EXISTS ${(0,connect/* quoteIdent */.v4)(scratch)} WITH (FORCE)`).catch(() => undefined);
    }
}
/** Every few seconds: how much of the dump is written, and how fast. */
function reportProgress(store, file, reporter) {
    let last = { at: Date.now(), size: 0 };
    const timer = setInterval(() => {
        void store.size(file).then((size) => {
            if (size === undefined)
                return;
            const now = Date.now();
            const rate = ((size - last.size) / Math.max(1, now - last.at)) * 1000;
            last = { at: now, size };
            reporter.info(`  ${(0,duration/* formatSize */.Xq)(size)} written (${(0,duration/* formatSize */.Xq)(Math.max(0, rate))}/s)`);
        });
    }, PROGRESS_MS);
    timer.unref();
    return { stop: () => clearInterval(timer) };
}
/** Retention over belay's own backups of this app and database, after the new one is safely in place. */
async function prune(store, fresh, v, reporter) {
    const { manifests } = await store.list();
    const mine = manifests.filter((m) => m.app === fresh.app && m.database === fresh.database && m.engine === fresh.engine);
    const decision = applyRetention(mine, {
        keepLast: v.keepLast ?? 10,
        keepDaily: v.keepDaily ?? 7,
        keepWeekly: v.keepWeekly ?? 4,
        keepMonthly: v.keepMonthly ?? 0,
        keepDays: v.keepDays ?? 0,
    }, new Date());
    for (const old of decision.prune) {
        if (old.id === fresh.id)
            continue;
        await store.remove(`${old.id}.json`, old.file);
        reporter.info(`pruned backup ${old.id} (${old.createdAt}, ${(0,duration/* formatSize */.Xq)(old.size)})`);
    }
}
/** `belay backup list`: every backup of the app, oldest first, with what was verified. */
async function listBackups({ reporter, face, loaded }) {
    const v = loaded.values;
    const { targets, options } = (0,connection/* resolveConnection */.X)(v, face);
    const pool = new transport_pool/* ConnectionPool */.j(options, reporter);
    try {
        const store = new BackupStore(await pool.get(targets[0]), `${v.backupDir ?? 'belay/backups'}/${v.app}`);
        const { manifests, unreadable } = await store.list();
        const rows = manifests.map((m) => [
            m.id,
            m.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
            m.database,
            m.label ?? '',
            (0,duration/* formatSize */.Xq)(m.size),
            m.verified.method,
        ]);
        const table = (0,report_reporter/* markdownTable */.Qj)(['Backup', 'Taken', 'Database', 'Label', 'Size', 'Verified'], rows);
        reporter.info(manifests.length ? table : `no backups of ${v.app} in ${store.dir}`);
        if (unreadable)
            reporter.warn(`${unreadable} manifest(s) in ${store.dir} could not be read and were left out`);
        reporter.summary(`### belay backups of ${v.app}\n\n${table}`);
        reporter.setOutput('backups', JSON.stringify(manifests.map((m) => ({
            id: m.id,
            createdAt: m.createdAt,
            database: m.database,
            ...(m.label ? { label: m.label } : {}),
            size: m.size,
            sha256: m.sha256,
            verified: m.verified.method,
        }))));
        return true;
    }
    finally {
        await pool.closeAll();
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
/* harmony export */   Kg: () => (/* binding */ databaseAddress),
/* harmony export */   Rl: () => (/* binding */ checkDatabaseInputs),
/* harmony export */   dM: () => (/* binding */ databaseInputs),
/* harmony export */   vx: () => (/* binding */ reachDatabase),
/* harmony export */   wf: () => (/* binding */ forwardedUrl)
/* harmony export */ });
/* unused harmony export containerSpec */
/* harmony import */ var _config_connection_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9420);
/* harmony import */ var _config_load_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1036);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4296);
/* harmony import */ var _report_reporter_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(4969);
/* harmony import */ var _server_docker_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(931);
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

/***/ 931:
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
