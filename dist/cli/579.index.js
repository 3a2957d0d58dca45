import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 579;
export const ids = [579];
export const modules = {

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
/* harmony import */ var _config_layers_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1978);
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

/***/ 1579:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runMigrate: () => (/* binding */ runMigrate)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/core/duration.ts
var duration = __webpack_require__(8571);
// EXTERNAL MODULE: ./src/core/errors.ts
var errors = __webpack_require__(4296);
// EXTERNAL MODULE: ./src/report/reporter.ts
var report_reporter = __webpack_require__(4969);
// EXTERNAL MODULE: ./src/database/reach.ts
var reach = __webpack_require__(5570);
// EXTERNAL MODULE: ./src/database/connect.ts
var connect = __webpack_require__(1119);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ./src/migrate/postgres.ts
/**
 * belay's side of PostgreSQL: its ledger table, the advisory lock that keeps two deploys from migrating at once,
 * and applying one migration, in a transaction or (when PostgreSQL refuses that) with a "started" row first.
 */




/** `"schema"."table"` for belay's ledger, drizzle's table or any other schema-qualified table. */
const qualified = (t) => `${(0,connect/* quoteIdent */.v4)(t.schema)}.${(0,connect/* quoteIdent */.v4)(t.table)}`;
async function ensureLedger(client, ledger) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${(0,connect/* quoteIdent */.v4)(ledger.schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${qualified(ledger)} (
       name text PRIMARY KEY,
       checksum text NOT NULL,
       state text NOT NULL CHECK (state IN ('applied', 'started')),
       applied_at timestamptz NOT NULL DEFAULT now(),
       execution_ms integer,
       applied_by text,
       note text
     )`);
}
async function readLedger(client, ledger) {
    const result = await client.query(`SELECT name, checksum, state, applied_at FROM ${qualified(ledger)} ORDER BY applied_at, name`);
    return result.rows.map((r) => ({ name: r.name, checksum: r.checksum, state: r.state, appliedAt: r.applied_at }));
}
/**
 * The advisory lock key: the same database and ledger table always give the same 64-bit key, so every belay run
 * migrating that ledger takes the same lock, and runs against other ledgers do not wait on each other.
 */
function lockKey(database, ledger) {
    const digest = (0,external_node_crypto_.createHash)('sha256').update(`belay:${database}:${ledger.schema}.${ledger.table}`).digest();
    return digest.readBigInt64BE(0);
}
/**
 * Take the session-level advisory lock on `client` (a connection used for nothing else), waiting up to
 * `timeoutMs`. Returns the function that releases it.
 */
async function acquireLock(client, key, options) {
    const started = Date.now();
    const poll = options.pollMs ?? 1000;
    let lastProgress = started;
    for (;;) {
        const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [
            key.toString(),
        ]);
        if (rows[0]?.locked) {
            return async () => {
                await client.query('SELECT pg_advisory_unlock($1)', [key.toString()]);
            };
        }
        const waited = Date.now() - started;
        if (waited >= options.timeoutMs) {
            throw new errors/* BelayError */.oT(`Another migration holds the lock on this database (waited ${(0,duration/* formatDuration */.a3)(waited)}, lock-timeout). ` +
                "Wait for the other deploy to finish, or find it with: SELECT pid, backend_start FROM pg_locks JOIN pg_stat_activity USING (pid) WHERE locktype = 'advisory';");
        }
        if (Date.now() - lastProgress >= 5000) {
            options.progress?.(waited);
            lastProgress = Date.now();
        }
        await new Promise((r) => setTimeout(r, Math.min(poll, options.timeoutMs - waited)));
    }
}
/** A migration that failed: which file, which statement (line), and PostgreSQL's own message. */
class MigrationFailed extends errors/* BelayError */.oT {
    migration;
    line;
    constructor(migration, line, pgMessage, rolledBack) {
        super(`${migration.file}:${line}: ${pgMessage}. ` +
            (rolledBack
                ? 'The migration was rolled back; nothing of it is applied.'
                : `It ran outside a transaction, so statements before line ${line} stay applied and its ledger row says "started".`));
        this.migration = migration;
        this.line = line;
        this.name = 'MigrationFailed';
    }
}
/** Apply one migration and record it; returns the time it took in milliseconds. */
async function applyMigration(client, migration, ctx) {
    const started = Date.now();
    // A plain INSERT: a second apply of the same migration must fail on the primary key, never rewrite the row.
    const record = (ms) => client.query(`INSERT INTO ${qualified(ctx.ledger)} (name, checksum, state, execution_ms, applied_by) VALUES ($1, $2, 'applied', $3, $4)`, [migration.name, migration.checksum, ms, ctx.appliedBy]);
    // Outside a transaction the `started` row exists already; only that row may become `applied`.
    const finish = async (ms) => {
        const result = await client.query(`UPDATE ${qualified(ctx.ledger)} SET state = 'applied', execution_ms = $2, applied_at = now() WHERE name = $1 AND state = 'started'`, [migration.name, ms]);
        if (result.rowCount !== 1)
            throw new errors/* BelayError */.oT(`The ledger row of ${migration.file} changed while it ran; check it by hand.`);
    };
    if (migration.noTransaction) {
        await client.query(`INSERT INTO ${qualified(ctx.ledger)} (name, checksum, state, applied_by) VALUES ($1, $2, 'started', $3)`, [migration.name, migration.checksum, ctx.appliedBy]);
        await runStatements(client, migration, false);
        const ms = Date.now() - started;
        await inTransaction(client, async () => {
            await finish(ms);
            await ctx.alsoRecord?.(client);
        });
        return ms;
    }
    return inTransaction(client, async () => {
        await runStatements(client, migration, true);
        const ms = Date.now() - started;
        await record(ms);
        await ctx.alsoRecord?.(client);
        return ms;
    });
}
/**
 * Record the current file of an applied (or half-applied) migration as intended, with the reason in the note.
 * Returns false when the ledger has no such migration.
 */
async function acceptChecksum(client, ledger, migration, note) {
    const result = await client.query(`UPDATE ${qualified(ledger)} SET checksum = $2, state = 'applied', note = $3 WHERE name = $1`, [migration.name, migration.checksum, note]);
    return result.rowCount === 1;
}
/** Record migrations another tool already applied (drizzle's history), without running them, in one transaction. */
async function recordAdopted(client, ledger, adopted, appliedBy) {
    await inTransaction(client, async () => {
        for (const { migration, note } of adopted) {
            await client.query(`INSERT INTO ${qualified(ledger)} (name, checksum, state, applied_by, note) VALUES ($1, $2, 'applied', $3, $4)`, [migration.name, migration.checksum, appliedBy, note]);
        }
    });
}
async function inTransaction(client, work) {
    await client.query('BEGIN');
    try {
        const result = await work();
        await client.query('COMMIT');
        return result;
    }
    catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
    }
}
async function runStatements(client, migration, inTransaction) {
    for (const statement of migration.statements) {
        try {
            await client.query(statement.sql);
        }
        catch (err) {
            throw new MigrationFailed(migration, statement.line, explain(err), inTransaction);
        }
    }
}
/** PostgreSQL's message, and which of belay's inputs set the limit it hit. */
function explain(err) {
    if (err.code === '57014' && /statement timeout/.test(err.message))
        return `${err.message} (limit set by statement-timeout)`;
    if (err.code === '55P03' && /lock timeout/.test(err.message)) {
        return `${err.message} (limit set by db-lock-timeout: another session held a lock the statement needed)`;
    }
    return err.message;
}

;// CONCATENATED MODULE: ./src/migrate/drizzle.ts


/** drizzle-orm's defaults for PostgreSQL (MigrationConfig.migrationsSchema / migrationsTable). */
const DEFAULT_DRIZZLE_TABLE = { schema: 'drizzle', table: '__drizzle_migrations' };
/** Create the schema and table with drizzle's own DDL: same names, types and nullability, and no extra column. */
async function ensureDrizzleTable(client, t) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${(0,connect/* quoteIdent */.v4)(t.schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${qualified(t)} (
       id SERIAL PRIMARY KEY,
       hash text NOT NULL,
       created_at bigint
     )`);
}
/** Every row of drizzle's table in insertion order, or [] when the table does not exist (drizzle never ran). */
async function readDrizzleRows(client, t) {
    const exists = await client.query('SELECT to_regclass($1) AS found', [qualified(t)]);
    if (exists.rows[0]?.found == null)
        return [];
    // bigint arrives from pg as a string; journal `when` values are far below 2^53, so Number() is exact.
    const { rows } = await client.query(`SELECT id, hash, created_at FROM ${qualified(t)} ORDER BY id`);
    return rows.map((r) => ({ id: r.id, hash: r.hash, createdAt: r.created_at === null ? null : Number(r.created_at) }));
}
/**
 * Write the row drizzle's migrator would have written for `migration`. Call it on the connection that applies the
 * migration, inside the same transaction as belay's own ledger row, so both are committed or neither is.
 *
 * created_at must be the journal's `when`, not the current time: drizzle decides what is pending by comparing each
 * `when` with the newest created_at, so a wall-clock value would hide every migration generated before the deploy
 * but applied later, and a skewed clock could make drizzle run an applied migration again.
 */
async function recordDrizzleMigration(client, t, migration) {
    if (!migration.drizzle) {
        throw new Error(`${migration.file} is not from a drizzle folder; it has no drizzle hash or journal time`);
    }
    await client.query(`INSERT INTO ${qualified(t)} ("hash", "created_at") VALUES ($1, $2)`, [
        migration.drizzle.hash,
        migration.drizzle.when,
    ]);
}
/**
 * Tie the rows of drizzle's table to the folder's migrations, for a database drizzle already migrated: by hash
 * first (the file is exactly what drizzle applied), then by created_at = journal `when` (the file changed since,
 * e.g. its line endings). Each row and each migration is used at most once; a `when` shared by two unmatched
 * migrations is ambiguous and matches neither. Migrations already in belay's `ledger` are matched (so their rows
 * are not reported) but not adopted again: belay's own checksum stays the authority, so an edit made after belay
 * recorded a migration is still reported as `edited`, never laundered by adoption.
 *
 * A migration drizzle skipped (its `when` is older than the newest row, e.g. generated on a branch merged late)
 * has no row, so it is not adopted: belay, which goes by journal order, sees it as pending (or as out of order when
 * the journal lists it before an applied one) instead of skipping it silently.
 */
function adoptDrizzleHistory(migrations, rows, ledger = []) {
    // Indexed, so that verifying a history of thousands of migrations stays linear.
    const byHash = groupBy(migrations, (m) => m.drizzle?.hash);
    const byWhen = groupBy(migrations, (m) => m.drizzle?.when);
    const claimed = new Set();
    const matches = new Map();
    const claim = (row, migration, by) => {
        if (!migration)
            return;
        claimed.add(migration);
        matches.set(row, { migration, row, by, difference: differenceOf(migration, row) });
    };
    const free = (row) => !matches.has(row);
    const unclaimed = (list) => (list ?? []).filter((m) => !claimed.has(m));
    // Equal hash and equal `when` first, so that two files with the same text (so the same hash) get one row each.
    for (const row of rows.filter(free)) {
        claim(row, unclaimed(byHash.get(row.hash)).find((m) => m.drizzle.when === row.createdAt), 'hash');
    }
    for (const row of rows.filter(free))
        claim(row, unclaimed(byHash.get(row.hash))[0], 'hash');
    for (const row of rows.filter(free)) {
        const sameWhen = row.createdAt === null ? [] : unclaimed(byWhen.get(row.createdAt));
        if (sameWhen.length === 1)
            claim(row, sameWhen[0], 'created_at');
    }
    const inLedger = new Set(ledger.map((r) => r.name));
    const adopted = [...matches.values()]
        .filter((m) => !inLedger.has(m.migration.name))
        .sort((a, b) => a.migration.index - b.migration.index);
    return { adopted, unmatched: rows.filter(free) };
}
function groupBy(migrations, key) {
    const groups = new Map();
    for (const m of migrations) {
        const k = key(m);
        if (k === undefined)
            continue;
        const group = groups.get(k);
        if (group)
            group.push(m);
        else
            groups.set(k, [m]);
    }
    return groups;
}
function differenceOf(migration, row) {
    if (migration.drizzle.hash === row.hash)
        return 'none';
    // drizzle hashes the UTF-8 text, which for a valid UTF-8 file is the sha256 of its bytes: the same kind of
    // checksum as the file's CRLF/LF variants.
    return migration.equivalentChecksums.includes(row.hash) ? 'line-endings' : 'content';
}
/** The ledger rows adoption stands for: what `plan`/`verify` modes should verify against without writing them. */
function adoptedLedgerRows(adoption) {
    return adoption.adopted.map((m) => ({ name: m.migration.name, checksum: m.migration.checksum, state: 'applied' }));
}
/**
 * The migrations drizzle-orm's migrator would run against a table holding `rows`: those whose `when` is greater
 * than the created_at of the row `ORDER BY created_at DESC LIMIT 1` picks. PostgreSQL sorts NULL first in DESC
 * order, and drizzle reads it as Number(null) = 0, so a single NULL created_at makes drizzle run everything.
 * After belay applies a drizzle folder this must be empty, or the app's migrator would run migrations again.
 */
function drizzleWouldRun(migrations, rows) {
    const withDrizzle = migrations.filter((m) => m.drizzle);
    if (rows.length === 0)
        return withDrizzle;
    // A loop, not Math.max(...spread): tables of tens of thousands of rows must not hit the argument limit.
    let last = -Infinity;
    for (const r of rows) {
        if (r.createdAt === null) {
            last = 0;
            break;
        }
        last = Math.max(last, r.createdAt);
    }
    return withDrizzle.filter((m) => last < m.drizzle.when);
}
/** One line for a row that matches no migration: what it is and the way out. */
function unmatchedRowMessage(row, t) {
    const when = row.createdAt === null ? 'no created_at' : `created_at ${row.createdAt} (${isoOrRaw(row.createdAt)})`;
    return (`${qualified(t)} row ${row.id} (hash ${row.hash.slice(0, 12)}…, ${when}) matches no migration in the folder by ` +
        'hash or by journal time: drizzle applied a migration this folder no longer has. Restore its .sql file and ' +
        'journal entry from git, or point "dir" at the folder this database was migrated from.');
}
function isoOrRaw(ms) {
    const date = new Date(ms);
    return Number.isNaN(date.getTime()) ? 'not a time' : date.toISOString();
}

;// CONCATENATED MODULE: ./src/migrate/plan.ts
function planMigrations(migrations, ledger, options = {}) {
    const rows = new Map(ledger.map((r) => [r.name, r]));
    const inFolder = new Set(migrations.map((m) => m.name));
    // A loop, not Math.max(...spread): ledgers of tens of thousands of rows must not hit the argument limit.
    let lastApplied = -1;
    for (const m of migrations)
        if (rows.has(m.name) && m.index > lastApplied)
            lastApplied = m.index;
    const newestName = migrations.find((m) => m.index === lastApplied)?.name;
    const entries = [];
    const problems = [];
    const pending = [];
    for (const migration of migrations) {
        const row = rows.get(migration.name);
        const status = statusOf(migration, row, lastApplied, options);
        entries.push({ name: migration.name, migration, ...(row ? { row } : {}), status });
        if (status === 'pending')
            pending.push(migration);
        else if (status !== 'applied')
            problems.push(problemOf(status, migration, row, newestName));
    }
    for (const row of ledger) {
        if (inFolder.has(row.name))
            continue;
        entries.push({ name: row.name, row, status: 'missing' });
        problems.push({
            name: row.name,
            status: 'missing',
            message: `${row.name} is recorded as applied but is not in the migrations folder. Restore the file; applied migrations are never deleted or renamed.`,
        });
    }
    return { entries, pending, problems };
}
function statusOf(migration, row, lastApplied, options) {
    if (!row)
        return migration.index < lastApplied && !options.allowOutOfOrder ? 'out-of-order' : 'pending';
    if (row.state === 'started')
        return 'half-applied';
    return migration.equivalentChecksums.includes(row.checksum) ? 'applied' : 'edited';
}
function problemOf(status, migration, row, newestApplied) {
    const base = { name: migration.name, status, file: migration.file };
    switch (status) {
        case 'edited':
            return {
                ...base,
                message: `${migration.file} was edited after it was applied: expected sha256 ${row.checksum}, found ${migration.checksum}. ` +
                    `Restore the applied version and put the change in a new migration, or accept it with \`belay migrate accept ${migration.name} --reason "…"\`.`,
            };
        case 'half-applied':
            return {
                ...base,
                message: `${migration.file} started outside a transaction and never finished, so part of it may be applied. ` +
                    `Check the database by hand, then record the outcome with \`belay migrate accept ${migration.name} --reason "…"\`.`,
            };
        case 'out-of-order':
            return {
                ...base,
                message: `${migration.file} is pending but sorts before ${newestApplied}, which is already applied. ` +
                    'Rename it to sort after the newest applied migration, or set allow-out-of-order: true if it is independent.',
            };
    }
}

;// CONCATENATED MODULE: ./src/migrate/engine.ts






async function migrateDatabase(options) {
    return withDatabase(options, options.mode === 'apply', async (work) => {
        if (options.mode === 'apply')
            await ensureLedger(work, options.ledger);
        // Read after the lock: a run that waited sees what the other one applied.
        let ledger = (await ledgerExists(work, options.ledger)) ? await readLedger(work, options.ledger) : [];
        if (options.drizzle)
            ledger = await adoptFromDrizzle(work, ledger, options.drizzle, options);
        const plan = planMigrations(options.migrations, ledger, { allowOutOfOrder: options.allowOutOfOrder ?? false });
        const applied = [];
        if (options.mode === 'apply' && plan.problems.length === 0) {
            const drizzle = options.drizzle;
            if (drizzle)
                await ensureDrizzleTable(work, drizzle);
            for (const migration of plan.pending) {
                const ms = await applyMigration(work, migration, {
                    ledger: options.ledger,
                    appliedBy: options.appliedBy,
                    ...(drizzle ? { alsoRecord: (c) => recordDrizzleMigration(c, drizzle, migration) } : {}),
                });
                applied.push({ name: migration.name, ms });
                options.reporter.info(`applied ${migration.file} in ${(0,duration/* formatDuration */.a3)(ms)}`);
            }
            if (drizzle)
                await checkDrizzleInStep(work, drizzle, options);
        }
        return { plan, applied };
    });
}
/**
 * A working connection for `work`, and, when `locked`, the advisory lock held on a second connection for the
 * whole of it. Both connections are closed and the lock released however `work` ends.
 */
async function withDatabase(options, locked, work) {
    const client = await (0,connect/* connectPostgres */.Mq)(options.url, 'belay migrate', options.session);
    let lock;
    let release;
    try {
        if (locked) {
            lock = await (0,connect/* connectPostgres */.Mq)(options.url, 'belay migrate lock', {
                ...(options.session?.hint ? { hint: options.session.hint } : {}),
            });
            const database = (await client.query('SELECT current_database() AS db')).rows[0].db;
            release = await acquireLock(lock, lockKey(database, options.ledger), {
                timeoutMs: options.lockTimeoutMs,
                ...(options.lockPollMs ? { pollMs: options.lockPollMs } : {}),
                progress: (waited) => options.reporter.info(`waiting for another migration to finish (${(0,duration/* formatDuration */.a3)(waited)} so far)`),
            });
        }
        return await work(client);
    }
    finally {
        await release?.().catch(() => undefined);
        await lock?.end().catch(() => undefined);
        await client.end().catch(() => undefined);
    }
}
/**
 * `belay migrate accept <name> --reason "…"`: the one way an edited (or half-applied) migration becomes verified
 * again. Under the same lock as apply, one migration at a time, and the reason is kept in the ledger.
 */
async function acceptMigration(options) {
    const migration = options.migrations.find((m) => m.name === options.name || m.file === options.name);
    if (!migration) {
        throw new errors/* InputError */.dz('accept', `"${options.name}" is not a migration of the folder`, 'Give its name as the summary table shows it.');
    }
    return withDatabase(options, true, async (work) => {
        const ledger = (await ledgerExists(work, options.ledger)) ? await readLedger(work, options.ledger) : [];
        const row = ledger.find((r) => r.name === migration.name);
        if (!row) {
            throw new errors/* InputError */.dz('accept', `${migration.name} has not been applied`, 'Only an applied migration can be accepted; a pending one is simply applied.');
        }
        if (row.state === 'applied' && migration.equivalentChecksums.includes(row.checksum))
            return 'unchanged';
        const note = `accepted ${new Date().toISOString()} by ${options.appliedBy}: ${options.reason}`;
        await acceptChecksum(work, options.ledger, migration, note);
        options.reporter.info(`accepted ${migration.file}: sha256 ${row.checksum.slice(0, 12)}… → ${migration.checksum.slice(0, 12)}…`);
        return 'accepted';
    });
}
/**
 * A database drizzle-orm already migrated: tie its rows to the folder (by hash, then by journal time) and record
 * them in belay's ledger without running anything. A drizzle row that matches no file, or a file whose content
 * changed since drizzle applied it, stops the run: belay never adopts what it cannot verify. In plan and verify
 * modes nothing is written; the adopted rows are only used to verify.
 */
async function adoptFromDrizzle(client, ledger, table, options) {
    const adoption = adoptDrizzleHistory(options.migrations, await readDrizzleRows(client, table), ledger);
    if (adoption.unmatched.length > 0) {
        const more = adoption.unmatched.length > 1 ? ` (and ${adoption.unmatched.length - 1} more such rows)` : '';
        throw new errors/* BelayError */.oT(unmatchedRowMessage(adoption.unmatched[0], table) + more);
    }
    const changed = adoption.adopted.find((m) => m.difference === 'content');
    if (changed) {
        throw new errors/* BelayError */.oT(`${changed.migration.file} was edited after drizzle applied it: drizzle recorded sha256 ${changed.row.hash}, ` +
            `the file now has ${changed.migration.drizzle.hash}. Restore the applied version from git and put the change in a new migration.`);
    }
    if (adoption.adopted.length === 0)
        return ledger;
    for (const m of adoption.adopted) {
        if (m.by === 'created_at') {
            options.reporter.warn(`${m.migration.file}: matched drizzle's row by its journal time; the file differs only in line endings.`);
        }
    }
    if (options.mode !== 'apply')
        return [...ledger, ...adoptedLedgerRows(adoption)];
    await ensureLedger(client, options.ledger);
    await recordAdopted(client, options.ledger, adoption.adopted.map((m) => ({ migration: m.migration, note: `adopted from drizzle (matched by ${m.by})` })), options.appliedBy);
    options.reporter.info(`adopted ${adoption.adopted.length} migration(s) drizzle had applied, without running them`);
    return readLedger(client, options.ledger);
}
/** After applying: drizzle-orm's migrator, run by the app on start, must find nothing to run. */
async function checkDrizzleInStep(client, table, options) {
    const wouldRun = drizzleWouldRun(options.migrations, await readDrizzleRows(client, table));
    if (wouldRun.length > 0) {
        throw new errors/* BelayError */.oT(`drizzle-orm's migrator would run ${wouldRun.map((m) => m.file).join(', ')} again: its table ` +
            `${table.schema}.${table.table} is not in step with belay's ledger. Check its rows (created_at must be the journal's "when").`);
    }
}
async function ledgerExists(client, ledger) {
    const { rows } = await client.query('SELECT to_regclass($1) AS found', [qualified(ledger)]);
    return rows[0]?.found !== null && rows[0]?.found !== undefined;
}

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: ./src/core/order.ts
var order = __webpack_require__(2831);
;// CONCATENATED MODULE: ./src/migrate/sql.ts
/** drizzle-kit's separator between statements; drizzle-orm splits on it as plain text. */
const DRIZZLE_BREAKPOINT = '--> statement-breakpoint';
/**
 * Split a plain or Flyway file on top-level `;`. Each statement keeps its text as written, from just after the
 * previous `;` through its own `;` (so a comment above a statement stays with it). Pieces with nothing but
 * whitespace and comments are dropped; the last statement needs no `;`.
 */
function splitStatements(sql) {
    const statements = [];
    const lines = new LineCounter(sql);
    const body = new RoutineBodyTracker();
    let pieceStart = 0;
    let first;
    let parens = 0;
    for (const token of tokenize(sql)) {
        if (token.kind === 'comment')
            continue;
        first ??= token;
        if (token.kind === 'open')
            parens++;
        else if (token.kind === 'close')
            parens = Math.max(0, parens - 1);
        else if (token.kind === 'word')
            body.see(sql.slice(token.start, token.end), parens);
        // Like psql: a `;` inside parentheses or inside a BEGIN ATOMIC … END body does not end the statement.
        if (token.kind !== 'semicolon' || parens > 0 || body.depth > 0)
            continue;
        if (first !== token)
            statements.push({ sql: sql.slice(pieceStart, token.end), line: lines.lineAt(first.start) });
        pieceStart = token.end;
        first = undefined;
        body.reset();
    }
    if (first)
        statements.push({ sql: sql.slice(pieceStart), line: lines.lineAt(first.start) });
    return statements;
}
/**
 * Split a drizzle migration exactly as drizzle-orm's migrator does: on the text `--> statement-breakpoint`,
 * wherever it appears, keeping every piece (even a blank one) so belay runs what drizzle would run. The line of a
 * piece is that of its first character that is neither whitespace nor comment.
 */
function splitOnBreakpoints(sql) {
    const statements = [];
    const lines = new LineCounter(sql);
    let offset = 0;
    for (const piece of sql.split(DRIZZLE_BREAKPOINT)) {
        const first = tokenize(piece).find((token) => token.kind !== 'comment');
        statements.push({ sql: piece, line: lines.lineAt(offset + (first?.start ?? 0)) });
        offset += piece.length + DRIZZLE_BREAKPOINT.length;
    }
    return statements;
}
/**
 * Whether a migration must run outside a transaction: the file says so with a line `-- belay:no-transaction`, or
 * one of its statements is one PostgreSQL refuses inside a transaction block (see `refusedInTransaction`). The
 * directive wins, as the author's explicit word; otherwise the first such statement is named.
 */
function needsNoTransaction(statements, text) {
    const directive = findDirective(text);
    if (directive !== undefined) {
        return { reason: 'the file has the directive "-- belay:no-transaction"', line: directive };
    }
    for (const statement of statements) {
        // A drizzle piece can hold several statements when its author left out the breakpoints: look at each.
        const inner = splitStatements(statement.sql);
        for (const part of inner) {
            const refused = refusedInTransaction(part.sql);
            if (refused === undefined)
                continue;
            // `part.line` counts from the start of `statement.sql`, whose first statement is on `statement.line`.
            const line = statement.line + part.line - inner[0].line;
            return { reason: `${refused} cannot run inside a transaction block`, line };
        }
    }
    return undefined;
}
/** 1-based line of the first `-- belay:no-transaction` comment that stands on its own line. */
function findDirective(text) {
    // Cheap test first: nearly every file has no directive, and this runs once per migration.
    if (!/belay:no-transaction/i.test(text))
        return undefined;
    const lines = new LineCounter(text);
    for (const token of tokenize(text)) {
        if (token.kind !== 'comment' || !/^--\s*belay:no-transaction\s*$/i.test(text.slice(token.start, token.end))) {
            continue;
        }
        const lineStart = text.lastIndexOf('\n', token.start - 1) + 1;
        if (text.slice(lineStart, token.start).trim() === '')
            return lines.lineAt(token.start);
    }
    return undefined;
}
/**
 * The statements PostgreSQL 15 refuses inside a transaction block ("… cannot run inside a transaction block"),
 * each checked with BEGIN; <statement>; ROLLBACK; against a real server. Returns the name of the command, or
 * undefined when the statement may run in a transaction.
 *
 * Deliberately not here, because PostgreSQL accepts them in a transaction:
 * - `ALTER TYPE … ADD VALUE`: refused only before PostgreSQL 12; since then allowed, though the new value cannot
 *   be used until the transaction commits (so use it in the next migration).
 * - `REFRESH MATERIALIZED VIEW CONCURRENTLY`, `ANALYZE`, `CLUSTER <table>`, `REINDEX TABLE|INDEX` without
 *   CONCURRENTLY, and `ALTER TABLE … DETACH PARTITION … FINALIZE`.
 * - `CREATE/ALTER/DROP SUBSCRIPTION`: refused or not depending on their options and on the server's replication
 *   slots, which a file cannot tell; PostgreSQL's own error names the problem and the migration rolls back whole.
 */
function refusedInTransaction(statement) {
    const words = significantWords(statement);
    const [first, second] = words;
    switch (first) {
        case 'VACUUM':
            return 'VACUUM';
        case 'CLUSTER':
            return clusterWithoutTable(words) ? 'CLUSTER without a table' : undefined;
        case 'DISCARD':
            return second === 'ALL' ? 'DISCARD ALL' : undefined;
        case 'REINDEX':
            return reindexRefused(words);
        case 'CREATE': {
            if (second === 'DATABASE' || second === 'TABLESPACE')
                return `CREATE ${second}`;
            const index = second === 'UNIQUE' ? 2 : 1;
            return words[index] === 'INDEX' && words[index + 1] === 'CONCURRENTLY' ? 'CREATE INDEX CONCURRENTLY' : undefined;
        }
        case 'DROP':
            if (second === 'DATABASE' || second === 'TABLESPACE')
                return `DROP ${second}`;
            return second === 'INDEX' && words[2] === 'CONCURRENTLY' ? 'DROP INDEX CONCURRENTLY' : undefined;
        case 'ALTER':
            if (second === 'SYSTEM')
                return 'ALTER SYSTEM';
            if (second === 'DATABASE' && words[3] === 'SET' && words[4] === 'TABLESPACE') {
                return 'ALTER DATABASE … SET TABLESPACE';
            }
            return second === 'TABLE' && detachesConcurrently(words)
                ? 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY'
                : undefined;
        default:
            return undefined;
    }
}
/**
 * The statement's tokens outside comments, as the classifier needs them: keywords upper-cased, every other token
 * (a string, a quoted identifier, punctuation) as written, so that nothing inside a string reads as a keyword.
 */
function significantWords(statement) {
    const words = [];
    for (const token of tokenize(statement)) {
        if (token.kind === 'comment' || token.kind === 'semicolon')
            continue;
        const text = statement.slice(token.start, token.end);
        words.push(token.kind === 'word' ? text.toUpperCase() : text);
    }
    return words;
}
/** `CLUSTER` and `CLUSTER VERBOSE` re-cluster every table and are refused; `CLUSTER <table>` is not. */
function clusterWithoutTable(words) {
    return words.slice(1).every((word) => word === 'VERBOSE');
}
/**
 * `REINDEX [(options)] {INDEX|TABLE|SCHEMA|DATABASE|SYSTEM} [CONCURRENTLY] name`: refused when concurrent (the
 * keyword, or the option `CONCURRENTLY` not set to false), and for SCHEMA, DATABASE and SYSTEM in any case.
 */
function reindexRefused(words) {
    let i = 1;
    let concurrentOption = false;
    if (words[i] === '(') {
        const close = words.indexOf(')', i);
        const options = words.slice(i + 1, close === -1 ? words.length : close);
        concurrentOption = options.some((word, at) => word === 'CONCURRENTLY' && !isFalse(options[at + 1]));
        i = close === -1 ? words.length : close + 1;
    }
    const kind = words[i];
    if (concurrentOption || words[i + 1] === 'CONCURRENTLY')
        return 'REINDEX CONCURRENTLY';
    if (kind === 'SCHEMA' || kind === 'DATABASE' || kind === 'SYSTEM')
        return `REINDEX ${kind}`;
    return undefined;
}
function isFalse(value) {
    const bare = value?.replace(/^'|'$/g, '').toUpperCase();
    return bare === 'FALSE' || bare === 'OFF' || bare === '0';
}
/** `ALTER TABLE … DETACH PARTITION <name> CONCURRENTLY` (FINALIZE, which completes one, is allowed). */
function detachesConcurrently(words) {
    for (let i = 2; i < words.length - 1; i++) {
        if (words[i] !== 'DETACH' || words[i + 1] !== 'PARTITION')
            continue;
        return words[skipQualifiedName(words, i + 2)] === 'CONCURRENTLY';
    }
    return false;
}
/** Index just past `name` or `schema.name` (each part a word or a "quoted" identifier). */
function skipQualifiedName(words, at) {
    let i = at + 1;
    while (words[i] === '.' && i + 1 < words.length)
        i += 2;
    return i;
}
/**
 * psql's rule for SQL-standard routine bodies (`CREATE FUNCTION … BEGIN ATOMIC …; …; END`): in a statement that
 * starts with CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN opens a block, CASE inside a block opens one too (it
 * also closes with END), and END closes one. Semicolons inside a block belong to the body.
 */
class RoutineBodyTracker {
    depth = 0;
    head = [];
    see(word, parens) {
        const upper = word.toUpperCase();
        if (this.head.length < 4)
            this.head.push(upper);
        if (parens > 0 || !this.isRoutine())
            return;
        if (upper === 'BEGIN' || (upper === 'CASE' && this.depth > 0))
            this.depth++;
        else if (upper === 'END' && this.depth > 0)
            this.depth--;
    }
    reset() {
        this.depth = 0;
        this.head = [];
    }
    isRoutine() {
        const [create, kind, replace, orKind] = this.head;
        const routine = (word) => word === 'FUNCTION' || word === 'PROCEDURE';
        return create === 'CREATE' && (routine(kind) || (kind === 'OR' && replace === 'REPLACE' && routine(orKind)));
    }
}
/** Turns offsets into 1-based line numbers; offsets must be asked in increasing order, which keeps it linear. */
class LineCounter {
    text;
    offset = 0;
    line = 1;
    constructor(text) {
        this.text = text;
    }
    lineAt(offset) {
        for (let i = this.text.indexOf('\n', this.offset); i !== -1 && i < offset; i = this.text.indexOf('\n', i + 1)) {
            this.line++;
        }
        this.offset = Math.max(this.offset, offset);
        return this.line;
    }
}
var Char;
(function (Char) {
    Char[Char["Tab"] = 9] = "Tab";
    Char[Char["LineFeed"] = 10] = "LineFeed";
    Char[Char["VerticalTab"] = 11] = "VerticalTab";
    Char[Char["FormFeed"] = 12] = "FormFeed";
    Char[Char["CarriageReturn"] = 13] = "CarriageReturn";
    Char[Char["Space"] = 32] = "Space";
    Char[Char["DoubleQuote"] = 34] = "DoubleQuote";
    Char[Char["Dollar"] = 36] = "Dollar";
    Char[Char["Quote"] = 39] = "Quote";
    Char[Char["OpenParen"] = 40] = "OpenParen";
    Char[Char["CloseParen"] = 41] = "CloseParen";
    Char[Char["Star"] = 42] = "Star";
    Char[Char["Minus"] = 45] = "Minus";
    Char[Char["Slash"] = 47] = "Slash";
    Char[Char["Digit0"] = 48] = "Digit0";
    Char[Char["Digit9"] = 57] = "Digit9";
    Char[Char["Semicolon"] = 59] = "Semicolon";
    Char[Char["UpperA"] = 65] = "UpperA";
    Char[Char["UpperE"] = 69] = "UpperE";
    Char[Char["UpperZ"] = 90] = "UpperZ";
    Char[Char["Backslash"] = 92] = "Backslash";
    Char[Char["Underscore"] = 95] = "Underscore";
    Char[Char["LowerA"] = 97] = "LowerA";
    Char[Char["LowerE"] = 101] = "LowerE";
    Char[Char["LowerZ"] = 122] = "LowerZ";
    Char[Char["ByteOrderMark"] = 65279] = "ByteOrderMark";
})(Char || (Char = {}));
function isSpace(c) {
    return (c === Char.Space || (c >= Char.Tab && c <= Char.CarriageReturn) || c === Char.ByteOrderMark // an editor's BOM is not SQL
    );
}
/** PostgreSQL identifiers start with a letter, `_` or any non-ASCII character. */
function isIdentStart(c) {
    return ((c >= Char.LowerA && c <= Char.LowerZ) ||
        (c >= Char.UpperA && c <= Char.UpperZ) ||
        c === Char.Underscore ||
        c >= 0x80);
}
/** …and go on with those, digits and `$` (so `a$b$` is one identifier, not a dollar quote). */
function isIdentPart(c) {
    return isIdentStart(c) || (c >= Char.Digit0 && c <= Char.Digit9) || c === Char.Dollar;
}
/** Dollar-quote tags are identifiers without `$`. */
function isTagPart(c) {
    return isIdentStart(c) || (c >= Char.Digit0 && c <= Char.Digit9);
}
/** Tokens of `sql`, whitespace left out. An unterminated string, identifier or comment runs to the end. */
function tokenize(sql) {
    const tokens = [];
    const n = sql.length;
    let i = 0;
    while (i < n) {
        const c = sql.charCodeAt(i);
        if (isSpace(c)) {
            i++;
            continue;
        }
        const start = i;
        let kind;
        if (c === Char.Minus && sql.charCodeAt(i + 1) === Char.Minus) {
            const eol = sql.indexOf('\n', i);
            i = eol === -1 ? n : eol;
            kind = 'comment';
        }
        else if (c === Char.Slash && sql.charCodeAt(i + 1) === Char.Star) {
            i = endOfBlockComment(sql, i);
            kind = 'comment';
        }
        else if (c === Char.Quote) {
            i = endOfQuoted(sql, i + 1, Char.Quote, false);
            kind = 'string';
        }
        else if (c === Char.DoubleQuote) {
            i = endOfQuoted(sql, i + 1, Char.DoubleQuote, false);
            kind = 'quoted';
        }
        else if (isIdentStart(c)) {
            do
                i++;
            while (i < n && isIdentPart(sql.charCodeAt(i)));
            // E'…' is a string with backslash escapes; the E must be a word of its own (`name'x'` is no such thing).
            if (i === start + 1 && (c === Char.UpperE || c === Char.LowerE) && sql.charCodeAt(i) === Char.Quote) {
                i = endOfQuoted(sql, i + 1, Char.Quote, true);
                kind = 'string';
            }
            else {
                kind = 'word';
            }
        }
        else if (c === Char.Dollar && dollarTagEnd(sql, i) !== -1) {
            // The body runs to the same tag: `$fn$ … $$ … $fn$` is one token.
            const tag = sql.slice(i, dollarTagEnd(sql, i));
            const close = sql.indexOf(tag, i + tag.length);
            i = close === -1 ? n : close + tag.length;
            kind = 'dollar';
        }
        else {
            i++;
            kind =
                c === Char.Semicolon ? 'semicolon' : c === Char.OpenParen ? 'open' : c === Char.CloseParen ? 'close' : 'other';
        }
        tokens.push({ kind, start, end: i });
    }
    return tokens;
}
/** `/* … *\/` with PostgreSQL's nesting; returns the index just past the closing `*\/`. */
function endOfBlockComment(sql, at) {
    let depth = 0;
    let i = at;
    while (i < sql.length) {
        if (sql.charCodeAt(i) === Char.Slash && sql.charCodeAt(i + 1) === Char.Star) {
            depth++;
            i += 2;
        }
        else if (sql.charCodeAt(i) === Char.Star && sql.charCodeAt(i + 1) === Char.Slash) {
            i += 2;
            if (--depth === 0)
                return i;
        }
        else {
            i++;
        }
    }
    return sql.length;
}
/** From just after an opening quote to just past the closing one; a doubled quote stands for itself. */
function endOfQuoted(sql, at, quote, backslashEscapes) {
    let i = at;
    while (i < sql.length) {
        const c = sql.charCodeAt(i);
        if (backslashEscapes && c === Char.Backslash) {
            i += 2;
        }
        else if (c === quote) {
            if (sql.charCodeAt(i + 1) !== quote)
                return i + 1;
            i += 2;
        }
        else {
            i++;
        }
    }
    return sql.length;
}
/** If a dollar-quote opener (`$$` or `$tag$`) starts at `at`, the index just past it; otherwise -1 (`$1`). */
function dollarTagEnd(sql, at) {
    let i = at + 1;
    if (isIdentStart(sql.charCodeAt(i))) {
        while (i < sql.length && isTagPart(sql.charCodeAt(i)))
            i++;
    }
    return sql.charCodeAt(i) === Char.Dollar ? i + 1 : -1;
}

;// CONCATENATED MODULE: ./src/migrate/folder.ts
/**
 * Reads a migrations folder into the list belay verifies and applies, without any database.
 *
 * Formats:
 * - drizzle: drizzle-kit's `meta/_journal.json` plus `<tag>.sql`, in journal order, split on
 *   `--> statement-breakpoint` exactly as drizzle-orm's migrator splits them.
 * - plain: every `*.sql` directly in the folder (`*.up.sql` included, `*.down.sql` ignored), ordered by file name,
 *   compared code unit by code unit: name files so they sort, like `0001_init.sql` or `20240501T1200_init.sql`.
 * - flyway: `V<version>__<description>.sql`, ordered by version, numerically part by part (1.9 < 1.10).
 *
 * `auto` picks drizzle when the journal exists. Otherwise it picks flyway when there is at least one
 * `V<version>__` file and every `.sql` file is named the Flyway way (versioned, undo `U…__` or repeatable `R__`);
 * a folder that mixes Flyway names with other names is read as plain, with a warning, because ordering half of it
 * by version and half by name would be a guess.
 */






const FORMATS = ['drizzle', 'plain', 'flyway'];
const JOURNAL = 'meta/_journal.json';
const FIX_DIR = 'Point "dir" at the folder that holds your migration .sql files (relative to the repository root)';
/** `V1__init.sql`, `V1.1__x.sql`, `V2_1__y.sql`: the version is digits separated by `.` or `_`. */
const FLYWAY_VERSIONED = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/;
/** Undo (`U1__…`, Flyway Teams) and repeatable (`R__…`) migrations, which belay does not run. */
const FLYWAY_UNDO = /^U\d+(?:[._]\d+)*__.+\.sql$/;
const FLYWAY_REPEATABLE = /^R__.+\.sql$/;
function readMigrationFolder(dir, format) {
    const requested = format === 'auto' ? format : checkFormat(format);
    const root = (0,external_node_path_.resolve)(dir);
    const sqlFiles = listSqlFiles(root);
    const chosen = requested === 'auto' ? detectFormat(root, sqlFiles) : requested;
    const listing = listFormat(root, chosen, sqlFiles, requested === 'auto');
    if (listing.entries.length === 0)
        throw noMigrations(root, chosen);
    const migrations = listing.entries.map((entry, index) => readMigration(root, entry, index, chosen));
    return { dir: root, format: chosen, migrations, warnings: listing.warnings };
}
function checkFormat(format) {
    if (FORMATS.includes(format))
        return format;
    throw new errors/* InputError */.dz('format', `"${format}" is not a migrations format`, 'Use auto, drizzle, plain or flyway');
}
/** Names of the regular `.sql` files directly in `root` (symlinks to files count), read with one readdir. */
function listSqlFiles(root) {
    let entries;
    try {
        entries = (0,external_node_fs_.readdirSync)(root, { withFileTypes: true });
    }
    catch (err) {
        const code = err.code;
        if (code === 'ENOENT')
            throw new errors/* InputError */.dz('dir', `${root} does not exist`, FIX_DIR);
        if (code === 'ENOTDIR')
            throw new errors/* InputError */.dz('dir', `${root} is not a directory`, FIX_DIR);
        throw new errors/* InputError */.dz('dir', `${root} cannot be read (${code ?? String(err)})`, 'Check its permissions');
    }
    return entries
        .filter((entry) => entry.name.endsWith('.sql') && (entry.isFile() || isFileLink(root, entry)))
        .map((entry) => entry.name);
}
function isFileLink(root, entry) {
    return entry.isSymbolicLink() && ((0,external_node_fs_.statSync)((0,external_node_path_.join)(root, entry.name), { throwIfNoEntry: false })?.isFile() ?? false);
}
function detectFormat(root, sqlFiles) {
    if ((0,external_node_fs_.statSync)((0,external_node_path_.join)(root, JOURNAL), { throwIfNoEntry: false })?.isFile())
        return 'drizzle';
    const versioned = sqlFiles.some((file) => FLYWAY_VERSIONED.test(file));
    return versioned && sqlFiles.every(isFlywayNamed) ? 'flyway' : 'plain';
}
function isFlywayNamed(file) {
    return FLYWAY_VERSIONED.test(file) || FLYWAY_UNDO.test(file) || FLYWAY_REPEATABLE.test(file);
}
function listFormat(root, format, sqlFiles, detected) {
    switch (format) {
        case 'drizzle':
            return listDrizzle(root, sqlFiles);
        case 'flyway':
            return listFlyway(sqlFiles);
        case 'plain':
            return listPlain(sqlFiles, detected);
    }
}
function noMigrations(root, format) {
    const what = {
        drizzle: `its ${JOURNAL} lists no migrations`,
        flyway: 'it has no V<version>__<description>.sql file',
        plain: 'it has no .sql file (other than *.down.sql)',
    }[format];
    // An empty folder is nearly always a wrong path, not a project without migrations.
    return new errors/* InputError */.dz('dir', `no migrations in ${root}: ${what}`, FIX_DIR);
}
function listDrizzle(root, sqlFiles) {
    const journalPath = (0,external_node_path_.join)(root, JOURNAL);
    if (!(0,external_node_fs_.statSync)(journalPath, { throwIfNoEntry: false })?.isFile()) {
        throw new errors/* InputError */.dz('dir', `${root} has no ${JOURNAL}, which format "drizzle" needs`, 'Point "dir" at drizzle-kit\'s out folder (the one that holds meta/), or set "format" to auto, plain or flyway');
    }
    const journal = readJournal(journalPath);
    const present = new Set(sqlFiles);
    const entries = journal.map((entry) => {
        const file = `${entry.tag}.sql`;
        if (!present.has(file)) {
            throw new errors/* BelayError */.oT(`The drizzle journal ${journalPath} lists "${entry.tag}" but ${(0,external_node_path_.join)(root, file)} does not exist. ` +
                'Restore the file from git, or regenerate the migrations with drizzle-kit.');
        }
        return { file, name: entry.tag, drizzle: { when: entry.when, breakpoints: entry.breakpoints } };
    });
    const listed = new Set(entries.map((entry) => entry.file));
    const warnings = sortByName(sqlFiles.filter((file) => !listed.has(file))).map((file) => ({
        file,
        message: `${file} is not listed in ${JOURNAL}, so neither drizzle nor belay runs it; add it with drizzle-kit generate (--custom) or delete it`,
    }));
    return { entries, warnings };
}
/** The journal's entries, checked: drizzle-orm trusts it blindly, belay refuses one it cannot make sense of. */
function readJournal(journalPath) {
    const fail = (problem) => new errors/* BelayError */.oT(`The drizzle journal ${journalPath} ${problem}. Fix it, or regenerate it with drizzle-kit.`);
    let journal;
    try {
        journal = JSON.parse(readFile(journalPath).toString());
    }
    catch (err) {
        if (err instanceof errors/* BelayError */.oT)
            throw err;
        throw fail(`is not valid JSON (${err.message})`);
    }
    const entries = journal?.entries;
    if (typeof journal !== 'object' || !Array.isArray(entries))
        throw fail('has no "entries" list');
    const seen = new Set();
    let previousIdx = -Infinity;
    return entries.map((raw, position) => {
        const entry = raw;
        if (typeof entry?.idx !== 'number' ||
            typeof entry.when !== 'number' ||
            typeof entry.tag !== 'string' ||
            typeof entry.breakpoints !== 'boolean') {
            throw fail(`has an entry at position ${position} without a numeric idx and when, a tag and breakpoints`);
        }
        // drizzle-orm applies entries in array order; an idx out of step means a hand-edited or merged journal.
        if (entry.idx <= previousIdx)
            throw fail(`has entry "${entry.tag}" (idx ${entry.idx}) out of idx order`);
        // A tag names a file next to the journal's folder, never a path elsewhere.
        if (!/^[^/\\]+$/.test(entry.tag) || entry.tag === '.' || entry.tag === '..') {
            throw fail(`has an entry whose tag "${entry.tag}" is not a file name`);
        }
        if (seen.has(entry.tag))
            throw fail(`lists "${entry.tag}" twice`);
        seen.add(entry.tag);
        previousIdx = entry.idx;
        return { idx: entry.idx, when: entry.when, tag: entry.tag, breakpoints: entry.breakpoints };
    });
}
// ---------------------------------------------------------------------------------------------------- plain
function listPlain(sqlFiles, detected) {
    const files = sortByName(sqlFiles.filter((file) => !file.endsWith('.down.sql')));
    const entries = files.map((file) => ({ file, name: file }));
    return { entries, warnings: detected ? mixedNamingWarning(files) : [] };
}
/** Plain code-unit order, the same on every machine and locale. */
function sortByName(files) {
    return [...files].sort(order/* byCodeUnits */.C);
}
/** When auto-detection read a folder with Flyway-named files as plain, say that their versions are not what orders them. */
function mixedNamingWarning(files) {
    if (!files.some((file) => FLYWAY_VERSIONED.test(file)))
        return [];
    const other = files.find((file) => !isFlywayNamed(file));
    if (other === undefined)
        return [];
    return [
        {
            file: other,
            message: `${other} is not named V<version>__<description>.sql, so this folder is read as plain and ordered by file name, not by Flyway version; rename it, or set format: flyway to ignore it`,
        },
    ];
}
// ---------------------------------------------------------------------------------------------------- flyway
function listFlyway(sqlFiles) {
    const warnings = [];
    const versioned = [];
    for (const file of sortByName(sqlFiles)) {
        const match = FLYWAY_VERSIONED.exec(file);
        if (match)
            versioned.push({ file, parts: match[1].split(/[._]/).map(BigInt) });
        else
            warnings.push({ file, message: flywayIgnored(file) });
    }
    versioned.sort((a, b) => compareVersions(a.parts, b.parts));
    versioned.forEach((current, i) => {
        const previous = versioned[i - 1];
        if (previous && compareVersions(previous.parts, current.parts) === 0) {
            throw new errors/* BelayError */.oT(`Two Flyway migrations have version ${current.parts.join('.')}: ${previous.file} and ${current.file}. ` +
                'Give one of them the next free version.');
        }
    });
    const entries = versioned.map(({ file, parts }) => ({ file, name: file, version: parts.join('.') }));
    return { entries, warnings };
}
function flywayIgnored(file) {
    if (FLYWAY_REPEATABLE.test(file))
        return `${file} is a repeatable migration; belay does not run repeatable migrations`;
    if (FLYWAY_UNDO.test(file))
        return `${file} is an undo migration; belay does not run undo migrations`;
    return `${file} is not named V<version>__<description>.sql, so belay does not run it`;
}
/** Part by part as numbers, a missing part counting as 0, as Flyway does: 1.9 < 1.10, and 1 = 1.0. */
function compareVersions(a, b) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const x = a[i] ?? 0n;
        const y = b[i] ?? 0n;
        if (x !== y)
            return x < y ? -1 : 1;
    }
    return 0;
}
// ---------------------------------------------------------------------------------------------------- files
function readMigration(root, entry, index, format) {
    const bytes = readFile((0,external_node_path_.join)(root, entry.file));
    // Buffer#toString() is what drizzle-orm decodes with: UTF-8, BOM kept, invalid bytes replaced.
    const text = bytes.toString();
    const statements = format === 'drizzle' ? splitOnBreakpoints(text) : splitStatements(text);
    const checksum = sha256(bytes);
    const noTransaction = needsNoTransaction(statements, text);
    return {
        name: entry.name,
        file: entry.file,
        index,
        ...(entry.version !== undefined ? { version: entry.version } : {}),
        checksum,
        equivalentChecksums: equivalentChecksums(bytes, checksum),
        text,
        statements,
        ...(noTransaction ? { noTransaction } : {}),
        ...(entry.drizzle
            ? {
                drizzle: {
                    when: entry.drizzle.when,
                    // drizzle-orm (0.45) hashes the decoded text without touching line endings; match it to the byte.
                    // (Its main branch has started to turn CRLF into LF first: adopting a ledger may meet either hash.)
                    hash: sha256(text),
                    breakpoints: entry.drizzle.breakpoints,
                },
            }
            : {}),
    };
}
function readFile(path) {
    try {
        return (0,external_node_fs_.readFileSync)(path);
    }
    catch (err) {
        const code = err.code ?? String(err);
        throw new errors/* BelayError */.oT(`Cannot read ${path} (${code}). Check that the file exists and is readable.`);
    }
}
function sha256(data) {
    return (0,external_node_crypto_.createHash)('sha256').update(data).digest('hex');
}
const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');
/**
 * The file as it was, with CRLF turned into LF, and with that LF-only form's line ends turned into CRLF: what git's
 * `core.autocrlf` does to a checkout. Nothing else is normalized, so any other edit still changes every checksum.
 */
function equivalentChecksums(bytes, checksum) {
    if (!bytes.includes(LF))
        return [checksum]; // no line ends: every form is the file itself
    const lf = bytes.includes(CR) ? crlfToLf(bytes) : bytes;
    const crlf = lfToCrlf(lf);
    const sums = new Set([checksum, lf === bytes ? checksum : sha256(lf), sha256(crlf)]);
    return [...sums];
}
/** Every CR directly followed by LF dropped, in one pass (`\r\r\n` becomes `\r\n`, as git does). */
function crlfToLf(bytes) {
    const out = Buffer.allocUnsafe(bytes.length);
    let length = 0;
    for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === CR && bytes[i + 1] === LF)
            continue;
        out[length++] = bytes[i];
    }
    return out.subarray(0, length);
}
function lfToCrlf(bytes) {
    const parts = [];
    let from = 0;
    for (let at = bytes.indexOf(LF); at !== -1; at = bytes.indexOf(LF, at + 1)) {
        parts.push(bytes.subarray(from, at), CRLF);
        from = at + 1;
    }
    parts.push(bytes.subarray(from));
    return Buffer.concat(parts);
}

;// CONCATENATED MODULE: ./src/migrate/against-ref.ts
/**
 * `against-ref`: the review-time check. It compares the migrations folder of a branch with the same folder at a git
 * base (`origin/main`), with no database at all.
 *
 * Why this exists next to the database check: the ledger check runs at deploy time, when a merged edit of an
 * applied migration is already on main and the only way out is a revert or `belay migrate accept`. At review time
 * the same facts are visible from git alone: every migration on the base has been (or will be) applied somewhere,
 * so editing, removing or renaming one, or adding one that sorts before the newest one, is a problem the database
 * check would find later on every environment. Reporting it on the pull request, as annotations on the files,
 * costs a reviewer nothing and stops it before merge (Atlas's atlas.sum does the same with a hash file; belay needs
 * no extra file because git already has the base).
 *
 * The rules are the database check's rules (src/migrate/plan.ts), so that what passes here passes at deploy: the
 * same names, the same "equivalent checksums" (CRLF and LF variants of a file are equal, nothing else is), the same
 * order.
 */






const against_ref_JOURNAL = 'meta/_journal.json';
const FIX_FETCH = 'Fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin main).';
/**
 * The migrations folder as it is at git `ref`, read from git's objects without touching the work tree (which holds
 * the branch under review, possibly with uncommitted changes). Returns undefined when the folder does not exist at
 * the ref, or holds no `.sql` file there: the branch adds the first migrations, and there is no history to protect.
 *
 * - `repoDir`: a directory inside the repository (the checkout).
 * - `dir`: the migrations folder, absolute or relative to `repoDir`: the same folder the branch's side is read from.
 * - `format`: pass the format the branch's folder was read with, so that both sides are named and ordered by the
 *   same rule (`auto` could pick differently on each side).
 *
 * The returned folder's `dir` is `<ref>:<path in the repository>` (e.g. `origin/main:db/migrations`): the files were
 * read from a temporary directory that no longer exists.
 */
async function readFolderAtRef(repoDir, ref, dir, format) {
    if (ref === '' || ref.startsWith('-') || /[\0\n\r]/.test(ref)) {
        // A leading "-" would be read by git as an option; a newline would break cat-file's line protocol.
        throw new errors/* InputError */.dz('against-ref', `"${ref}" is not a git revision`, 'Use a branch, tag or commit, such as origin/main.');
    }
    const top = await toplevel(repoDir);
    const path = pathInRepository(top, (0,external_node_path_.resolve)(repoDir, dir));
    // The commit's id, resolved once: every later read names this id, so a ref moved by a concurrent fetch cannot
    // make the listing and the contents come from two different commits.
    const commit = (await git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], '', [0, 1])).stdout
        .toString()
        .trim();
    if (commit === '')
        throw new errors/* InputError */.dz('against-ref', `"${ref}" is not a commit in this repository`, FIX_FETCH);
    const label = `${ref}:${path === '' ? '.' : path}`;
    const tree = await folderTree(top, commit, path);
    if (tree === undefined)
        return undefined;
    const sqlFiles = (await listTree(top, tree)).filter((e) => e.type === 'blob' && e.name.endsWith('.sql') && !e.name.includes('\n'));
    if (sqlFiles.length === 0)
        return undefined;
    // `<commit>:<path>` names each blob; --follow-symlinks makes a symlinked migration read as its target's content
    // at the same commit (what a checkout of that commit would read), not as whatever the work tree has there now.
    const prefix = path === '' ? '' : `${path}/`;
    const wanted = [...sqlFiles.map((e) => e.name), against_ref_JOURNAL];
    const blobs = await catBlobs(top, wanted.map((name) => `${commit}:${prefix}${name}`));
    const temp = (0,external_node_fs_.mkdtempSync)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'belay-against-ref-'));
    try {
        (0,external_node_fs_.mkdirSync)((0,external_node_path_.join)(temp, 'meta'));
        wanted.forEach((name, i) => {
            const blob = blobs[i];
            if (blob.kind === 'blob')
                (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(temp, name), blob.content);
            // A link that points outside the repository reads whatever that path holds on the machine, which git does
            // not know: fail rather than compare the branch with a guess. Dangling or looping links, and links to
            // folders, are skipped, as folder.ts skips them in a checkout.
            else if (blob.what === 'symlink') {
                throw new errors/* BelayError */.oT(`${label}/${name} is a symbolic link to a path outside the repository, so its content at ${ref} is unknown. ` +
                    'Make it a regular file, or a link to a file inside the repository.');
            }
        });
        const folder = readMigrationFolder(temp, format);
        return { ...folder, dir: label };
    }
    catch (err) {
        // folder.ts names the directory it read; say where the files really come from.
        if (err instanceof Error)
            err.message = err.message.split(temp).join(label);
        throw err;
    }
    finally {
        (0,external_node_fs_.rmSync)(temp, { recursive: true, force: true });
    }
}
/**
 * What the branch (`head`) does to the migrations that exist on the base, pure and without a database. `base`
 * undefined (no folder at the base) means there is nothing to compare with.
 *
 * - edited: a base migration whose file changed beyond line endings. Checked the way the deploy-time check
 *   checks a ledger row (the base's checksum among the branch file's equivalent checksums), so a change this lets
 *   through is not one the database check would refuse later.
 * - removed / renamed: a base migration whose name is gone. The ledger records migrations by name, so a database
 *   that applied it would find it missing, and a renamed copy would run a second time. A rename is recognised by a
 *   new migration with the same content, and reported once, on the new file.
 * - out-of-order: a new migration that sorts before the newest base migration (by the folder's order). Databases
 *   that already applied the base would have to run it out of order: belay refuses that, drizzle-orm skips it
 *   without a word. For drizzle folders, a new migration whose journal `when` is not later than every `when` on the
 *   base is out of order too even when the journal lists it last: drizzle-orm's migrator decides by `when`, so an
 *   app that runs it on start would skip that migration (a branch generated before main's newest migration and
 *   merged after it).
 */
function compareWithBase(base, head) {
    if (base === undefined)
        return [];
    const problems = [];
    const headByName = new Map(head.migrations.map((m) => [m.name, m]));
    const baseNames = new Set(base.migrations.map((m) => m.name));
    const added = head.migrations.filter((m) => !baseNames.has(m.name));
    const renamedTo = new Set();
    // The newest base migration still in the branch, by the branch's order: new migrations must come after it.
    let newest;
    const later = (m) => {
        if (newest === undefined || m.index > newest.index)
            newest = m;
    };
    for (const old of base.migrations) {
        const current = headByName.get(old.name);
        if (current !== undefined) {
            later(current);
            if (!current.equivalentChecksums.includes(old.checksum))
                problems.push(edited(old, current));
            continue;
        }
        const copy = added.find((m) => !renamedTo.has(m) && m.equivalentChecksums.includes(old.checksum));
        if (copy === undefined) {
            problems.push(removed(old));
            continue;
        }
        renamedTo.add(copy);
        later(copy);
        problems.push(renamed(old, copy));
    }
    const newestWhen = newestByWhen(base.migrations);
    for (const m of added) {
        if (renamedTo.has(m))
            continue;
        if (newest !== undefined && m.index < newest.index)
            problems.push(beforeNewest(m, newest, head.format));
        else if (newestWhen?.drizzle && m.drizzle && m.drizzle.when <= newestWhen.drizzle.when) {
            problems.push(notAfterWhen(m, newestWhen));
        }
    }
    return problems;
}
// ---------------------------------------------------------------------------------------------------- messages
function edited(old, current) {
    return {
        file: current.file,
        kind: 'edited',
        message: `${current.file} exists on the base and was edited: expected sha256 ${old.checksum}, actual ${current.checksum}. ` +
            'Databases that applied it would fail verification; restore it and put the change in a new migration.',
    };
}
function removed(old) {
    return {
        file: old.file,
        kind: 'removed',
        message: `${old.file} exists on the base but was removed, so databases that applied it would fail verification. ` +
            'Restore it; to undo what it did, add a new migration.',
    };
}
function renamed(old, copy) {
    return {
        file: copy.file,
        kind: 'renamed',
        message: `${old.file} exists on the base and was renamed to ${copy.file}: databases that applied ${old.name} would ` +
            `find it missing and run ${copy.name} again. Restore the name ${old.file}.`,
    };
}
function beforeNewest(m, newest, format) {
    const fix = format === 'drizzle'
        ? `Regenerate it with drizzle-kit (drop it, then generate) so that it comes after ${newest.name} in ${against_ref_JOURNAL}.`
        : `Rename it so that it sorts after ${newest.file}.`;
    return {
        file: m.file,
        kind: 'out-of-order',
        message: `${m.file} is new but sorts before ${newest.file}, the newest migration on the base: databases that already ` +
            `applied ${newest.name} would have to run it out of order. ${fix}`,
    };
}
function notAfterWhen(m, newest) {
    const when = (x) => `${x.drizzle.when} (${against_ref_isoOrRaw(x.drizzle.when)})`;
    return {
        file: m.file,
        kind: 'out-of-order',
        message: `${m.file} is new but its ${against_ref_JOURNAL} "when" ${when(m)} is not later than ${newest.name}'s ${when(newest)} ` +
            `on the base: drizzle-orm's migrator would skip it silently on every database that applied ${newest.name}. ` +
            'Regenerate it with drizzle-kit (drop it, then generate) so that it gets a later timestamp.',
    };
}
function newestByWhen(migrations) {
    let newest;
    for (const m of migrations) {
        if (m.drizzle && (newest?.drizzle === undefined || m.drizzle.when > newest.drizzle.when))
            newest = m;
    }
    return newest;
}
function against_ref_isoOrRaw(ms) {
    const date = new Date(ms);
    return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
/**
 * Variables that tell git which repository to use. Git sets them for hooks (a pre-push hook running belay), and an
 * inherited one would make git read some other repository than the one `repoDir` names.
 */
const REPOSITORY_VARIABLES = [
    'GIT_DIR',
    'GIT_WORK_TREE',
    'GIT_INDEX_FILE',
    'GIT_OBJECT_DIRECTORY',
    'GIT_ALTERNATE_OBJECT_DIRECTORIES',
    'GIT_COMMON_DIR',
    'GIT_NAMESPACE',
];
/** git exited with an unexpected code: a broken or unreadable repository, not a problem in the folder. */
class GitFailed extends errors/* BelayError */.oT {
    detail;
    constructor(args, cwd, detail) {
        super(`git ${args[0]} failed in ${cwd}: ${detail}. Check the checkout.`);
        this.detail = detail;
    }
}
/**
 * Run git with an argv array (never a shell), in `cwd`, with optional stdin. An exit code in `ok` is returned
 * (`rev-parse --verify --quiet` exits 1 for "no such revision"); any other is a GitFailed with git's first line.
 */
function git(cwd, args, input = '', ok = [0]) {
    const env = { ...process.env };
    for (const name of REPOSITORY_VARIABLES)
        delete env[name];
    return new Promise((resolvePromise, reject) => {
        const child = (0,external_node_child_process_.execFile)('git', args, { cwd, env, encoding: 'buffer', maxBuffer: Number.POSITIVE_INFINITY, windowsHide: true }, (err, stdout, stderr) => {
            const detail = stderr.toString().trim().split('\n')[0] || err?.message || '';
            if (err && err.code === 'ENOENT') {
                // spawn says ENOENT both for a missing program and for a missing working directory.
                reject((0,external_node_fs_.existsSync)(cwd)
                    ? new errors/* BelayError */.oT('against-ref needs git, and git is not installed or not on PATH. Install git.')
                    : new GitFailed(args, cwd, 'the directory does not exist'));
                return;
            }
            const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
            if (ok.includes(code))
                resolvePromise({ code, stdout, stderr: detail });
            else
                reject(new GitFailed(args, cwd, detail));
        });
        child.stdin?.on('error', () => { }); // git exiting early closes stdin; its exit code tells what happened
        child.stdin?.end(input);
    });
}
/** The work tree's root, as git spells it (symlinks resolved). */
async function toplevel(repoDir) {
    try {
        const top = (await git(repoDir, ['rev-parse', '--show-toplevel'])).stdout.toString().trim();
        if (top !== '')
            return top;
    }
    catch (err) {
        if (!(err instanceof GitFailed))
            throw err;
        throw new errors/* InputError */.dz('against-ref', `${repoDir} is not in a git work tree that git can read (${err.detail})`, 'Run belay from a git checkout (actions/checkout), or leave against-ref empty.');
    }
    // A bare repository has no toplevel and no folder on disk to compare with.
    throw new errors/* InputError */.dz('against-ref', `${repoDir} is not in a git work tree`, 'Run belay from a git checkout (actions/checkout), or leave against-ref empty.');
}
/** `dir`'s path inside the repository, with `/` separators; '' for the root itself. */
function pathInRepository(top, dir) {
    // git prints the toplevel with symlinks resolved (/tmp → /private/tmp on macOS), so resolve dir's the same way.
    // The folder need not exist on disk: the branch may have deleted it, and the base still has it.
    const rel = (0,external_node_path_.relative)((0,external_node_fs_.realpathSync)(top), realpathOfExisting(dir));
    if (rel === '..' || rel.startsWith(`..${external_node_path_.sep}`) || (0,external_node_path_.isAbsolute)(rel)) {
        throw new errors/* InputError */.dz('dir', `${dir} is not inside the git repository ${top}, so against-ref cannot compare it`, 'Point "dir" at the migrations folder inside the repository, or leave against-ref empty.');
    }
    return rel.split(external_node_path_.sep).join('/');
}
function realpathOfExisting(path) {
    try {
        return (0,external_node_fs_.realpathSync)(path);
    }
    catch (err) {
        const parent = (0,external_node_path_.dirname)(path);
        if (parent === path || err.code !== 'ENOENT')
            return path;
        return (0,external_node_path_.join)(realpathOfExisting(parent), (0,external_node_path_.basename)(path));
    }
}
/** The tree id of the folder at `commit`, or undefined when the path does not exist there or is not a folder. */
async function folderTree(top, commit, path) {
    // cat-file --batch-check takes `<commit>:<path>` literally (no pathspec globbing) and answers "missing" instead
    // of failing, so a missing folder is told apart from a broken repository.
    const spec = path === '' ? `${commit}^{tree}` : `${commit}:${path}`;
    const { stdout } = await git(top, ['cat-file', '--batch-check'], `${spec}\n`);
    const match = /^([0-9a-f]{40,64}) (\w+) \d+$/.exec(stdout.toString().trim());
    return match?.[2] === 'tree' ? match[1] : undefined;
}
/** The entries directly in a tree (no recursion: drizzle's snapshots under meta/ are never read). */
async function listTree(top, tree) {
    const { stdout } = await git(top, ['ls-tree', '-z', tree]);
    const entries = [];
    for (const record of stdout.toString().split('\0')) {
        // "<mode> SP <type> SP <object> TAB <name>"; -z leaves names unquoted.
        const tab = record.indexOf('\t');
        if (tab === -1)
            continue;
        entries.push({ type: record.slice(0, tab).split(' ')[1] ?? '', name: record.slice(tab + 1) });
    }
    return entries;
}
/**
 * The contents of many blobs from one `git cat-file --batch --follow-symlinks`, one result per spec, in order:
 * `blob` with the bytes exactly as committed (no eol or filter conversion), `missing`, or what git says about a
 * symlink it cannot follow inside the repository (`symlink` outside it, `dangling`, `loop`, `notdir`), or the type
 * of a non-blob object.
 */
async function catBlobs(top, specs) {
    const { stdout: out } = await git(top, ['cat-file', '--batch', '--follow-symlinks'], specs.map((s) => `${s}\n`).join(''));
    const results = [];
    let at = 0;
    for (let i = 0; i < specs.length; i++) {
        const end = out.indexOf(0x0a, at);
        if (end === -1)
            throw new errors/* BelayError */.oT(`git cat-file ended early while reading ${specs[i]}. Check the checkout.`);
        const header = out.subarray(at, end).toString();
        at = end + 1;
        const object = /^[0-9a-f]{40,64} (\w+) (\d+)$/.exec(header);
        const link = /^(symlink|dangling|loop|notdir) (\d+)$/.exec(header);
        if (object) {
            const size = Number(object[2]);
            results.push(object[1] === 'blob'
                ? { kind: 'blob', content: out.subarray(at, at + size) }
                : { kind: 'other', what: object[1] });
            at += size + 1;
        }
        else if (link) {
            results.push({ kind: 'other', what: link[1] });
            at += Number(link[2]) + 1;
        }
        else if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
            results.push({ kind: 'other', what: 'missing' });
        }
        else {
            throw new errors/* BelayError */.oT(`git cat-file answered "${header}" for ${specs[i]}. Check the checkout.`);
        }
    }
    return results;
}

;// CONCATENATED MODULE: ./src/migrate/run.ts
/** `belay migrate` / the migrate action: read the folder, verify against the ledger, apply, report. */









async function runMigrate({ reporter, face, loaded, cwd }) {
    const v = loaded.values;
    if (v.againstRef)
        return reviewAgainstRef({ reporter, face, loaded, cwd });
    (0,reach/* checkDatabaseInputs */.Rl)(v, face);
    const dir = (0,external_node_path_.resolve)(cwd, v.dir ?? 'migrations');
    const folder = readMigrationFolder(dir, v.format ?? 'auto');
    // Annotations point at files relative to the workspace, as the pull request shows them.
    const fileOf = (file) => (0,external_node_path_.relative)(cwd, (0,external_node_path_.join)(dir, file));
    for (const w of folder.warnings)
        reporter.warn(w.message, { file: fileOf(w.file), title: 'Migration folder' });
    reporter.info(`${folder.migrations.length} migration(s) in ${(0,external_node_path_.relative)(cwd, dir) || '.'} (${folder.format})`);
    const mode = v.mode ?? 'apply';
    if (v.accept && !v.reason?.trim()) {
        throw new errors/* InputError */.dz('reason', 'accepting a changed migration needs a reason', 'Add --reason "why it was changed" (it is kept in the ledger).');
    }
    const database = await (0,reach/* reachDatabase */.vx)(v, face, reporter);
    // What every database run shares: where the ledger is, how long to wait for the lock, who is applying.
    const shared = {
        url: database.url,
        migrations: folder.migrations,
        ledger: { schema: v.ledgerSchema ?? 'belay', table: v.ledgerTable ?? 'schema_migrations' },
        lockTimeoutMs: v.lockTimeout ?? 5 * 60_000,
        session: {
            statementTimeoutMs: v.statementTimeout ?? 0,
            lockTimeoutMs: v.dbLockTimeout ?? 0,
            hint: database.inputs,
        },
        appliedBy: actor(),
        reporter,
    };
    if (v.accept) {
        try {
            const outcome = await acceptMigration({ ...shared, name: v.accept, reason: v.reason.trim() });
            reporter.setOutput('status', outcome === 'accepted' ? 'accepted' : 'up-to-date');
            if (outcome === 'unchanged')
                reporter.info(`${v.accept} matches the ledger already: nothing to accept`);
            return true;
        }
        finally {
            await database.close();
        }
    }
    let result;
    try {
        result = await reporter.group(`migrate (${mode})`, () => migrateDatabase({
            ...shared,
            mode,
            allowOutOfOrder: v.allowOutOfOrder ?? false,
            ...(folder.format === 'drizzle'
                ? { drizzle: { schema: v.drizzleSchema ?? 'drizzle', table: v.drizzleTable ?? '__drizzle_migrations' } }
                : {}),
        }));
    }
    catch (err) {
        if (!(err instanceof MigrationFailed))
            throw err;
        reporter.error(err.message, { file: fileOf(err.migration.file), line: err.line, title: 'Migration failed' });
        reporter.setOutput('status', 'failed');
        return false;
    }
    finally {
        await database.close();
    }
    const { plan, applied } = result;
    const appliedNames = new Set(applied.map((a) => a.name));
    const ms = new Map(applied.map((a) => [a.name, a.ms]));
    const stillPending = plan.pending.filter((m) => !appliedNames.has(m.name)).map((m) => m.name);
    reporter.summary(`### belay migrate (${mode})\n\n` +
        (0,report_reporter/* markdownTable */.Qj)(['Migration', 'Checksum', 'Status', 'Duration'], plan.entries.map((e) => [
            e.name,
            (e.migration?.checksum ?? e.row?.checksum ?? '').slice(0, 12),
            appliedNames.has(e.name) ? 'applied now' : e.status,
            ms.has(e.name) ? (0,duration/* formatDuration */.a3)(ms.get(e.name)) : '',
        ])));
    reporter.setOutput('applied', JSON.stringify([...appliedNames]));
    reporter.setOutput('pending', JSON.stringify(stillPending));
    if (plan.problems.length > 0) {
        for (const p of plan.problems) {
            reporter.error(p.message, { ...(p.file ? { file: fileOf(p.file) } : {}), title: `Migration ${p.status}` });
        }
        reporter.setOutput('status', 'drift');
        return false;
    }
    const status = applied.length > 0 ? 'applied' : stillPending.length > 0 && mode !== 'apply' ? 'pending' : 'up-to-date';
    reporter.setOutput('status', status);
    reporter.info(applied.length > 0
        ? `✓ applied ${applied.length} migration(s)`
        : stillPending.length > 0
            ? `${stillPending.length} migration(s) pending: ${stillPending.join(', ')}`
            : '✓ up to date: every applied migration verified');
    return true;
}
/**
 * Review time, no database: the folder against the base branch. What a pull request changes in migrations that
 * are already on the base is exactly what the database check would refuse at deploy, only later.
 */
async function reviewAgainstRef({ reporter, loaded, cwd }) {
    const v = loaded.values;
    if ((v.mode ?? 'apply') !== 'verify') {
        throw new errors/* InputError */.dz('against-ref', 'it only works with mode: verify', 'Set mode: verify, or drop against-ref.');
    }
    const dir = (0,external_node_path_.resolve)(cwd, v.dir ?? 'migrations');
    const head = readMigrationFolder(dir, v.format ?? 'auto');
    const base = await readFolderAtRef(cwd, v.againstRef, dir, head.format);
    const problems = compareWithBase(base, head);
    const fileOf = (file) => (0,external_node_path_.relative)(cwd, (0,external_node_path_.join)(dir, file));
    const known = new Set(base?.migrations.map((m) => m.name) ?? []);
    const added = head.migrations.filter((m) => !known.has(m.name)).map((m) => m.name);
    reporter.summary(`### belay migrate: ${v.againstRef} → this branch\n\n` +
        (0,report_reporter/* markdownTable */.Qj)(['Migration', 'Problem'], problems.length ? problems.map((p) => [p.file, `${p.kind}: ${p.message}`]) : [['(all)', 'none']]));
    reporter.setOutput('applied', '[]');
    reporter.setOutput('pending', JSON.stringify(added));
    for (const p of problems)
        reporter.error(p.message, { file: fileOf(p.file), title: `Migration ${p.kind}` });
    reporter.setOutput('status', problems.length ? 'drift' : 'up-to-date');
    if (problems.length)
        return false;
    reporter.info(`✓ ${known.size} migration(s) of ${v.againstRef} unchanged; ${added.length} new: ${added.join(', ') || 'none'}`);
    return true;
}
/** Who applied it, for the ledger: the workflow run on GitHub, the local user in a terminal. */
function actor() {
    const e = process.env;
    if (e.GITHUB_ACTIONS === 'true') {
        return `${e.GITHUB_ACTOR ?? 'github'} (${e.GITHUB_REPOSITORY ?? ''} run ${e.GITHUB_RUN_ID ?? '?'})`;
    }
    return `${e.USER ?? 'unknown'} (belay cli)`;
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
