import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 817;
export const ids = [817];
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

/***/ 1206:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runBackup: () => (/* binding */ runBackup)
});

// EXTERNAL MODULE: ./src/config/layers.ts
var config_layers = __webpack_require__(1978);
// EXTERNAL MODULE: ./src/core/duration.ts
var duration = __webpack_require__(8571);
// EXTERNAL MODULE: ./src/core/errors.ts
var errors = __webpack_require__(4296);
// EXTERNAL MODULE: ./src/report/reporter.ts
var report_reporter = __webpack_require__(4969);
// EXTERNAL MODULE: ./src/backup/manifest.ts
var backup_manifest = __webpack_require__(8726);
// EXTERNAL MODULE: ./src/backup/postgres.ts
var postgres = __webpack_require__(2451);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:stream/web"
var web_ = __webpack_require__(5449);
// EXTERNAL MODULE: ./src/config/connection.ts
var connection = __webpack_require__(9420);
// EXTERNAL MODULE: ./src/core/hosts.ts
var hosts = __webpack_require__(3848);
// EXTERNAL MODULE: ./src/transport/pool.ts + 3 modules
var transport_pool = __webpack_require__(2548);
// EXTERNAL MODULE: ./src/backup/retention.ts
var retention = __webpack_require__(5668);
// EXTERNAL MODULE: ./src/backup/store.ts
var store = __webpack_require__(8291);
;// CONCATENATED MODULE: ./src/backup/offsite.ts
/**
 * Copies of a new backup that leave the server: streamed to the runner (`download`) and/or through the runner to a
 * second SSH host (`copy-to`), encrypted on the way with age to `encrypt-to`. Nothing is held in memory: the file
 * is read from the server by SFTP with a bounded read-ahead, hashed, encrypted in age's 64 KiB chunks and written
 * as it comes. Each copy is written as `<name>.partial`, checked (the plaintext's sha256 against the manifest,
 * the written file's against what was sent), and only then renamed and given its manifest; a failed copy leaves
 * no partial, and the backup on the server stays as it is.
 */













/** How often a long transfer reports its progress. */
const PROGRESS_MS = 5_000;
/**
 * Checked before anything is done: where copies go, and the refusal to send a dump off the server in clear
 * unless allow-unencrypted-offsite says so. Undefined when no copy leaves the server.
 */
async function planOffsite(v, face, cwd) {
    if (!v.download && !v.copyTo)
        return undefined;
    const recipients = v.encryptTo ?? [];
    if (recipients.length === 0 && !v.allowUnencryptedOffsite) {
        throw new errors/* InputError */.dz(v.download ? 'download' : 'copy-to', 'it would send the backup off the server unencrypted', 'Set encrypt-to to an age public key (age-keygen makes one), or set allow-unencrypted-offsite: true to send it in clear.');
    }
    if (recipients.length) {
        // Loaded only when a copy is encrypted: it is most of the code a backup would otherwise load and never use.
        const { Encrypter } = await __webpack_require__.e(/* import() */ 539).then(__webpack_require__.bind(__webpack_require__, 1539));
        for (const r of recipients) {
            try {
                new Encrypter().addRecipient(r);
            }
            catch {
                throw new errors/* InputError */.dz('encrypt-to', `"${r.slice(0, 16)}…" is not a valid age recipient`, 'Copy the public key age-keygen printed (age1…).');
            }
        }
    }
    let copyTo;
    if (v.copyTo) {
        const user = v.copyTo.user ?? v.user;
        if (!user)
            throw new errors/* InputError */.dz('copy-to', `no SSH user for ${v.copyTo.host}`, 'Write it as user@host:dir.');
        // The same key and host-key rules as the server; the backup host is reached directly, not through jump-host.
        const options = { ...(0,connection/* resolveConnection */.X)(v, face).options, jumpHost: undefined };
        copyTo = {
            target: { user, host: v.copyTo.host, port: v.copyTo.port ?? v.port ?? 22 },
            dir: v.copyTo.dir,
            options,
            rules: (0,retention/* retentionRules */._4)(v),
        };
    }
    return { ...(v.download ? { download: (0,external_node_path_.resolve)(cwd, v.download) } : {}), ...(copyTo ? { copyTo } : {}), recipients };
}
/** Send the new backup wherever the plan says, after it was promoted and retention ran on the server. */
async function sendOffsite(plan, t, store, manifest, reporter) {
    if (!plan)
        return;
    const job = { plan, t, store, manifest, reporter };
    const rows = [];
    const keptOnServer = `Backup ${manifest.id} is kept on the server at ${store.path(manifest.file)}`;
    if (plan.download) {
        const sent = await downloadTo(plan.download, job).catch((err) => {
            throw offsiteFailed(err, `${keptOnServer}, but the download to ${plan.download} failed`);
        });
        reporter.setOutput('download-path', sent.path);
        reporter.setOutput('download-sha256', sent.sha256);
        rows.push(row('download', sent, plan));
    }
    if (plan.copyTo) {
        const sent = await copyTo(plan.copyTo, job, keptOnServer);
        rows.push(row('copy-to', sent, plan));
    }
    reporter.summary(`### belay backup ${manifest.id} off the server\n\n${(0,report_reporter/* markdownTable */.Qj)(['Copy', 'Where', 'Size', 'sha256', 'Encrypted'], rows)}`);
}
async function downloadTo(dir, job) {
    const { plan, manifest, reporter } = job;
    await (0,promises_.mkdir)(dir, { recursive: true, mode: 0o700 });
    const name = nameOf(manifest, plan);
    const final = (0,external_node_path_.join)(dir, name);
    const partial = `${final}.partial`;
    const manifestPath = (0,external_node_path_.join)(dir, `${manifest.id}.json`);
    let renamed = false;
    try {
        await (0,promises_.rm)(partial, { force: true });
        const sent = await stream(job, dir, async (chunks) => {
            const file = await (0,promises_.open)(partial, 'wx', 0o600);
            try {
                await file.chmod(0o600);
                for await (const chunk of chunks)
                    await file.write(chunk);
            }
            finally {
                await file.close();
            }
        });
        const written = await sha256OfFile(partial);
        if (written !== sent.sha256) {
            throw new errors/* BelayError */.oT(`${partial} has sha256 ${written} after writing, not ${sent.sha256}: the disk changed it`);
        }
        await (0,promises_.rename)(partial, final);
        renamed = true;
        await (0,promises_.writeFile)(manifestPath, `${JSON.stringify(copyManifest(manifest, plan, name, sent))}\n`, { mode: 0o600 });
        reporter.info(`✓ downloaded backup ${manifest.id} to ${final} (${(0,duration/* formatSize */.Xq)(sent.size)}, sha256 checked)`);
        return { path: final, size: sent.size, sha256: sent.sha256 };
    }
    catch (err) {
        await (0,promises_.rm)(partial, { force: true }).catch(() => undefined);
        if (renamed)
            await (0,promises_.rm)(final, { force: true }).catch(() => undefined);
        throw err;
    }
}
/**
 * The copy on the second host, then retention there: the copies of this app and database in `<dir>/<app>` are
 * pruned by the same keep-* rules as the server's backups, once the new copy is checked and in place (so the
 * newest copy there is always a good one). A copy that fails prunes nothing.
 */
async function copyTo(to, job, keptOnServer) {
    const pool = new transport_pool/* ConnectionPool */.j(to.options, job.reporter);
    const where = `${(0,hosts/* hostLabel */.v)(to.target)} ${to.dir}`;
    try {
        const remote = await pool.get(to.target).catch((err) => {
            throw offsiteFailed(err, `${keptOnServer}, but the copy to ${where} failed`);
        });
        const there = new store/* BackupStore */.y(remote, `${to.dir}/${job.manifest.app}`);
        const { sent, listing } = await copyInto(there, remote, job).catch((err) => {
            throw offsiteFailed(err, `${keptOnServer}, but the copy to ${where} failed`);
        });
        await pruneCopies(there, listing, to, job).catch((err) => {
            const message = err instanceof Error ? err.message.replace(/\.$/, '') : String(err);
            throw new errors/* BelayError */.oT(`Backup ${job.manifest.id} was copied to ${where} and checked there, but pruning older copies there failed: ${message}. The new copy is in place; the copies not yet pruned stay, and the next backup prunes them once the cause is fixed.`);
        });
        return sent;
    }
    finally {
        await pool.closeAll();
    }
}
/** Write the copy as a partial, check its sha256 there, then rename it and write its manifest beside it. */
async function copyInto(there, remote, job) {
    const { plan, manifest, reporter } = job;
    await there.ensure();
    const name = nameOf(manifest, plan);
    const partial = `${name}.partial`;
    try {
        await there.remove(partial);
        const sent = await stream(job, remote.label, (chunks) => remote.uploadStream(chunks, there.path(partial), 0o600));
        const written = await there.sha256(partial);
        if (written !== sent.sha256) {
            throw new errors/* BelayError */.oT(`${there.path(partial)} has sha256 ${written} there, not the ${sent.sha256} that was sent`);
        }
        const listing = await there.keep(partial, name, copyManifest(manifest, plan, name, sent));
        const path = `${remote.label}:${there.path(name)}`;
        reporter.info(`✓ copied backup ${manifest.id} to ${path} (${(0,duration/* formatSize */.Xq)(sent.size)}, sha256 checked there)`);
        return { sent: { path, size: sent.size, sha256: sent.sha256 }, listing };
    }
    catch (err) {
        await there.remove(partial).catch(() => undefined);
        throw err;
    }
}
async function pruneCopies(there, listing, to, job) {
    const { manifest, reporter } = job;
    const { pruned, unreadable, listed } = await there.prune(manifest, to.rules, listing);
    const dir = `${(0,hosts/* hostLabel */.v)(to.target)}:${there.dir}`;
    if (!listed)
        reporter.warn(`copy ${manifest.id} is not listed in ${dir}, so no older copy there was pruned`);
    if (unreadable)
        reporter.warn(`${unreadable} manifest(s) in ${dir} could not be read and were left alone`);
    for (const old of pruned)
        reporter.info(`pruned copy ${old.id} (${old.createdAt}) on ${dir}`);
}
/**
 * Read the backup from the server, hash it, encrypt it when there are recipients, hash what comes out, and hand
 * the chunks to `write`; then check the plaintext against the manifest. Returns the written bytes' size and hash.
 */
async function stream({ t, store, manifest, plan, reporter }, where, write) {
    const source = await t.download(store.path(manifest.file));
    const plain = new Tally((0,external_node_crypto_.createHash)('sha256'));
    const out = new Tally((0,external_node_crypto_.createHash)('sha256'));
    const progress = { at: Date.now(), size: 0 };
    try {
        let chunks = plain.count(source, (size) => {
            const now = Date.now();
            if (now - progress.at < PROGRESS_MS)
                return;
            const rate = ((size - progress.size) / (now - progress.at)) * 1000;
            reporter.info(`  ${(0,duration/* formatSize */.Xq)(size)} of ${(0,duration/* formatSize */.Xq)(manifest.size)} sent to ${where} (${(0,duration/* formatSize */.Xq)(rate)}/s)`);
            Object.assign(progress, { at: now, size });
        });
        if (plan.recipients.length)
            chunks = await encrypt(chunks, plan.recipients);
        await write(out.count(chunks));
    }
    finally {
        source.destroy();
    }
    const sha256 = plain.hash.digest('hex');
    if (plain.size !== manifest.size || sha256 !== manifest.sha256) {
        throw new errors/* BelayError */.oT(`what was read from the server (${plain.size} bytes, sha256 ${sha256}) does not match the manifest (${manifest.size} bytes, sha256 ${manifest.sha256})`);
    }
    return { size: out.size, sha256: out.hash.digest('hex') };
}
/**
 * age's own streaming: the library encrypts a web ReadableStream in 64 KiB STREAM chunks. The source is pulled
 * only when the encrypter asks for more (highWaterMark 0), so what is in flight stays a few chunks.
 */
async function encrypt(chunks, recipients) {
    const { Encrypter } = await __webpack_require__.e(/* import() */ 539).then(__webpack_require__.bind(__webpack_require__, 1539));
    const encrypter = new Encrypter();
    for (const r of recipients)
        encrypter.addRecipient(r);
    const iterator = chunks[Symbol.asyncIterator]();
    const source = new web_.ReadableStream({
        async pull(controller) {
            const next = await iterator.next();
            if (next.done)
                controller.close();
            else
                controller.enqueue(next.value);
        },
        async cancel() {
            await iterator.return?.();
        },
    }, { highWaterMark: 0 });
    return (await encrypter.encrypt(source));
}
/** Bytes and sha256 of what flows through. */
class Tally {
    hash;
    size = 0;
    constructor(hash) {
        this.hash = hash;
    }
    async *count(chunks, onChunk) {
        for await (const chunk of chunks) {
            this.hash.update(chunk);
            this.size += chunk.length;
            onChunk?.(this.size);
            yield chunk;
        }
    }
}
const row = (copy, sent, plan) => [
    copy,
    sent.path,
    (0,duration/* formatSize */.Xq)(sent.size),
    sent.sha256.slice(0, 12),
    plan.recipients.length ? 'age' : 'no',
];
const nameOf = (manifest, plan) => plan.recipients.length ? `${manifest.file}.age` : manifest.file;
/**
 * `file`, `size` and `sha256` stay those of the dump (what `age -d` gives back, what restore checks); an encrypted
 * copy says which file holds it and that file's own size and sha256.
 */
function copyManifest(manifest, plan, name, sent) {
    if (!plan.recipients.length)
        return manifest;
    return {
        ...manifest,
        encrypted: { format: 'age', file: name, size: sent.size, sha256: sent.sha256, recipients: [...plan.recipients] },
    };
}
async function sha256OfFile(path) {
    const hash = (0,external_node_crypto_.createHash)('sha256');
    for await (const chunk of (0,external_node_fs_.createReadStream)(path))
        hash.update(chunk);
    return hash.digest('hex');
}
function offsiteFailed(err, context) {
    const message = err instanceof Error ? err.message.replace(/\.$/, '') : String(err);
    return new errors/* BelayError */.oT(`${context}: ${message}. Nothing partial was left there.`);
}

// EXTERNAL MODULE: ./src/backup/sqlite.ts
var sqlite = __webpack_require__(7760);
// EXTERNAL MODULE: ./src/backup/session.ts
var backup_session = __webpack_require__(9770);
// EXTERNAL MODULE: ./src/database/connect.ts
var connect = __webpack_require__(1119);
;// CONCATENATED MODULE: ./src/backup/run.ts
/**
 * `belay backup` / the backup action: dump on the server into a partial file, verify it, promote it with its
 * manifest, then prune by retention. On any failure the partial is removed and nothing is pruned, so older
 * backups are exactly as they were. `belay backup list` shows what is there.
 */











const LABEL = /^[A-Za-z0-9._-]{1,100}$/;
/** How often a long dump reports its progress. */
const run_PROGRESS_MS = 5_000;
async function runBackup({ reporter, face, loaded, cwd }) {
    const v = loaded.values;
    if (v.list)
        return listBackups({ reporter, face, loaded });
    const engine = v.engine ?? 'postgres';
    if (v.label && !LABEL.test(v.label)) {
        throw new errors/* InputError */.dz('label', `"${v.label}" has characters other than letters, digits, ".", "_" and "-"`, 'Use a label like pre-deploy-1a2b3c4.');
    }
    const offsite = await planOffsite(v, face, cwd);
    if (engine === 'sqlite') {
        if (!v.sqlitePath)
            throw (0,config_layers/* missing */.LO)('sqlitePath', face, 'it is required to back up a SQLite database');
    }
    else {
        if (!v.database)
            throw (0,config_layers/* missing */.LO)('database', face, 'it is required to back up a PostgreSQL database');
        if (!v.dbUser)
            throw (0,config_layers/* missing */.LO)('dbUser', face, 'it is required to back up a PostgreSQL database');
    }
    return (0,backup_session/* onServer */.z)(v, face, reporter, async (s) => {
        const { manifest, listing } = engine === 'sqlite' ? await backupSqlite(s, v, reporter) : await backupPostgres(s, v, reporter);
        await prune(s.store, manifest, listing, v, reporter);
        await sendOffsite(offsite, s.t, s.store, manifest, reporter);
        reporter.setOutput('backup-id', manifest.id);
        reporter.setOutput('path', s.store.path(manifest.file));
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
        reporter.info(`✓ backup ${manifest.id}: ${(0,duration/* formatSize */.Xq)(manifest.size)}, ${manifest.tables.length} table(s), verified (${manifest.verified.method}), at ${s.store.path(manifest.file)}`);
        return true;
    });
}
/**
 * The end every engine shares: the partial written and verified by `produce` is renamed and given its manifest;
 * whatever goes wrong, no half-written or unverified file stays behind to be mistaken for a backup.
 */
async function keepVerified(store, v, engine, produce) {
    const started = Date.now();
    await store.ensure();
    const id = (0,backup_manifest/* newBackupId */._H)(new Date(started));
    const file = (0,backup_manifest/* fileOf */.W7)(id, engine);
    const partial = `${file}.partial`;
    try {
        const { method, ...produced } = await produce(partial, id);
        if (produced.size === 0)
            throw new errors/* BelayError */.oT('The backup file is empty. Nothing was kept and no backup was pruned.');
        const manifest = {
            belay: 1,
            id,
            app: v.app,
            engine,
            ...(v.label ? { label: v.label } : {}),
            file,
            createdAt: new Date(started).toISOString(),
            durationMs: Date.now() - started,
            ...(0,backup_manifest/* provenance */.aH)(),
            ...produced,
            verified: { method, at: new Date().toISOString() },
        };
        // Renamed and given its manifest in one step; when that fails, nothing of it is left under its final name.
        const listing = await store.keep(partial, file, manifest);
        return { manifest, listing };
    }
    catch (err) {
        await store.remove(partial, `${id}.json`).catch(() => undefined);
        throw err;
    }
}
async function backupPostgres(s, v, reporter) {
    const { t, store } = s;
    // The backup folder is made while the database is found and connected to: neither waits for the other.
    const session = await alongside((0,backup_session/* openPgSession */.A)(s, v, reporter, 'belay backup'), store.ensure(), (x) => x.close());
    const { place, login, client } = session;
    try {
        return await keepVerified(store, v, 'postgres', async (partial) => {
            const { snapshot, serverVersion, versionNum } = await (0,postgres/* openSnapshot */.r3)(client);
            const method = v.verify ?? 'toc';
            const where = place.kind === 'container' ? `in container ${place.container.name}` : `on ${t.label}`;
            reporter.info(`dumping ${v.database} (PostgreSQL ${serverVersion}) with pg_dump ${where} to ${store.path(partial)}`);
            // pg_dump starts first. The row counts (in the same snapshot) run beside it once it writes, so they do not
            // slow its start: their CPU time is the one real cost belay adds to the dump. Which pg_dump ran is read from
            // the dump's own table of contents, checked after it; without that check (verify: checksum) it is asked for.
            const counts = countsBeside(session);
            let said = '';
            const dumping = t.exec((0,postgres/* dumpCommand */.Y3)(place, login, store.path(partial), method !== 'checksum', '-Fc', '-d', v.database, `--snapshot=${snapshot}`), {
                stdin: (0,postgres/* stdinFor */.Qn)(login),
                onStderr: (chunk) => {
                    said = `${said}${chunk.toString()}`.slice(-200);
                    if (said.includes(postgres/* DUMP_STARTED */.ZA))
                        void counts.start();
                },
            });
            const asking = method === 'checksum' ? (0,postgres/* checkPgDumpVersion */.oV)(t, place, versionNum) : undefined;
            // Whichever fails first, the others are still awaited (or stopped) below; none may reject unheard.
            asking?.catch(() => undefined);
            const progress = reportProgress(store, partial, reporter);
            let run;
            let tables;
            try {
                run = (0,postgres/* readDumpRun */.a4)(await dumping.catch(async (err) => {
                    await counts.stop();
                    throw err;
                }));
                if (!run.ok) {
                    await counts.stop();
                    // A pg_dump older than the server (or none at all) fails by itself; the version check says why.
                    await (asking ?? (0,postgres/* checkPgDumpVersion */.oV)(t, place, versionNum));
                    const full = /no space left on device/i.test(run.stderr)
                        ? ` The filesystem of ${store.dir} is full: free space there, or set backup-dir to a larger one.`
                        : '';
                    throw new errors/* BelayError */.oT(`pg_dump failed (exit ${run.exit}): ${(0,postgres/* lastLine */.fM)(run.stderr) || 'no message'}.${full} Nothing was kept and no backup was pruned.`);
                }
                // Started when pg_dump began to write; or now, if that line was not seen.
                tables = await counts.start();
            }
            finally {
                progress.stop();
                await client.query('COMMIT').catch(() => undefined);
            }
            const size = run.size;
            if (size === undefined || run.sha256 === undefined) {
                throw new errors/* BelayError */.oT(`The size and sha256 of the new dump could not be read on ${t.label}: ${(0,postgres/* lastLine */.fM)(run.stderr) || 'no message'}. Nothing was kept.`);
            }
            let toc = run.toc;
            if (size > 0 && toc && !toc.ok) {
                // Read once more on its own before refusing the file: the `docker exec` that waited beside pg_dump can
                // fail for reasons of its own (the Docker daemon dropped its connection), which say nothing of the file.
                reporter.warn(`pg_restore --list beside pg_dump failed (${(0,postgres/* lastLine */.fM)(toc.output)}); reading the dump again`);
                const again = await t.exec((0,postgres/* pgCommand */.XZ)(place, login, { stdinFrom: store.path(partial) }, 'pg_restore', '--list'), { stdin: (0,postgres/* stdinFor */.Qn)(login) });
                toc = { ok: again.code === 0, output: again.code === 0 ? again.stdout : again.stderr };
            }
            if (size > 0 && toc)
                checkToc(toc, tables);
            const tool = (await asking) ??
                (toc?.ok ? (0,postgres/* pgDumpToolOfToc */.Tb)(toc.output, t, place, versionNum) : undefined) ??
                (await (0,postgres/* checkPgDumpVersion */.oV)(t, place, versionNum));
            if (method === 'restore' && size > 0)
                await verifyByRestore(t, store, session, partial, tables, v, reporter);
            return { database: v.database, size, sha256: run.sha256, serverVersion, tool, tables, method };
        });
    }
    finally {
        await session.close();
    }
}
/**
 * `work` and `beside` run at once; `work`'s result once both succeeded. If `beside` fails, what `work` made is
 * released with `release` before the error is passed on.
 */
async function alongside(work, beside, release) {
    const [made, other] = await Promise.allSettled([work, beside]);
    if (made.status === 'rejected')
        throw made.reason;
    if (other.status === 'rejected') {
        await release(made.value).catch(() => undefined);
        throw other.reason;
    }
    return made.value;
}
/**
 * The row counts beside a running pg_dump, in its snapshot: started once (when pg_dump begins to write, so they
 * do not slow its start), and stopped when it failed: no count starts after that, and the one running is
 * cancelled from a second connection (on a large table it could run for minutes), so the failure is reported at
 * once and the COMMIT queued after the counts is not held up.
 */
function countsBeside(session) {
    let stopped = false;
    let counting;
    return {
        start() {
            if (!counting) {
                counting = (0,postgres/* countTables */.zF)(session.client, () => stopped);
                counting.catch(() => undefined);
            }
            return counting;
        },
        async stop() {
            stopped = true;
            if (!counting)
                return;
            const pid = session.client.processID;
            const other = pid
                ? await session.connectTo(session.database, 'belay backup cancel').catch(() => undefined)
                : undefined;
            if (!other)
                return;
            try {
                await other.query('SELECT pg_cancel_backend($1)', [pid]);
            }
            catch {
                // The counts end by themselves; only later.
            }
            finally {
                await other.end().catch(() => undefined);
            }
        },
    };
}
/**
 * SQLite: an online copy made by SQLite itself into the partial, checked (integrity and row counts) where it was
 * made; `verify` adds nothing here, since the copy is a database that was opened and counted already.
 */
async function backupSqlite(s, v, reporter) {
    const { t, store } = s;
    const place = await (0,sqlite/* sqlitePlace */.iA)(t, v, s.user);
    const tool = await (0,sqlite/* sqliteVersion */.dZ)(t, place);
    return keepVerified(store, v, 'sqlite', async (partial) => {
        reporter.info(`copying ${v.sqlitePath} with ${tool} to ${store.path(partial)}`);
        const tables = await (0,sqlite/* sqliteCopy */.ov)(t, place, v.sqlitePath, store.dir, partial);
        const size = (await store.size(partial)) ?? 0;
        const sha256 = await store.sha256(partial);
        const serverVersion = tool.split(' ')[1] ?? '';
        return { database: (0,sqlite.sqliteName)(v), size, sha256, serverVersion, tool, tables, method: v.verify ?? 'toc' };
    });
}
/** The file's table of contents (`pg_restore --list`) must list the data of every table that had rows. */
function checkToc(toc, tables) {
    if (!toc.ok) {
        throw new errors/* BelayError */.oT(`pg_restore --list cannot read the new dump: ${(0,postgres/* lastLine */.fM)(toc.output)}. Nothing was kept.`);
    }
    const listed = (0,postgres/* tablesWithData */.mO)(toc.output);
    const absent = tables.filter((x) => x.rows > 0 && !listed.has(x.name)).map((x) => x.name);
    if (absent.length) {
        throw new errors/* BelayError */.oT(`The new dump has no data for ${absent.join(', ')}. Nothing was kept.`);
    }
}
/**
 * Restore into a scratch database on the same server, with exit-on-error, and compare every table's row count
 * with the snapshot's; the scratch database is dropped whatever happens.
 */
async function verifyByRestore(t, store, session, partial, expected, v, reporter) {
    const { client, place, login } = session;
    const scratch = `${v.database}_belay_verify_${Date.now().toString(36)}`.slice(0, 63);
    try {
        await client.query(`CREATE DATABASE ${(0,connect/* quoteIdent */.v4)(scratch)}`);
    }
    catch (err) {
        throw new errors/* BelayError */.oT(`verify: restore needs a scratch database, and ${v.dbUser} could not create one: ${err.message}. Grant it CREATEDB, or use verify: toc.`);
    }
    try {
        reporter.info(`verifying by restoring into ${scratch}`);
        const r = await t.exec((0,postgres/* pgCommand */.XZ)(place, login, { stdinFrom: store.path(partial) }, 'pg_restore', '--exit-on-error', '--no-owner', '-d', scratch), { stdin: (0,postgres/* stdinFor */.Qn)(login) });
        if (r.code !== 0)
            throw new errors/* BelayError */.oT(`The new dump does not restore: ${(0,postgres/* lastLine */.fM)(r.stderr)}. Nothing was kept.`);
        const restored = await session.connectTo(scratch, 'belay backup verify');
        let actual;
        try {
            actual = await (0,postgres/* countTables */.zF)(restored);
        }
        finally {
            await restored.end().catch(() => undefined);
        }
        const problems = (0,postgres/* compareCounts */.G8)(expected, actual);
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
    }, run_PROGRESS_MS);
    timer.unref();
    return { stop: () => clearInterval(timer) };
}
/** Retention over belay's own backups of this app and database, after the new one is safely in place. */
async function prune(store, fresh, listing, v, reporter) {
    const { pruned, listed } = await store.prune(fresh, (0,retention/* retentionRules */._4)(v), listing);
    if (!listed)
        reporter.warn(`backup ${fresh.id} is not listed in ${store.dir}, so no older backup was pruned`);
    for (const old of pruned)
        reporter.info(`pruned backup ${old.id} (${old.createdAt}, ${(0,duration/* formatSize */.Xq)(old.size)})`);
}
/** `belay backup list`: every backup of the app, oldest first, with what was verified. */
async function listBackups({ reporter, face, loaded }) {
    const v = loaded.values;
    return (0,backup_session/* onServer */.z)(v, face, reporter, async ({ store }) => {
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
    });
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
