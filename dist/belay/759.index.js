import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 759;
export const ids = [759];
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

/***/ 5003:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Jq: () => (/* binding */ probedCompose),
/* harmony export */   KJ: () => (/* binding */ COMPOSE_PLUGIN_PROBE),
/* harmony export */   YY: () => (/* binding */ containersVerdict),
/* harmony export */   Zz: () => (/* binding */ compose),
/* harmony export */   _H: () => (/* binding */ serviceStates),
/* harmony export */   ab: () => (/* binding */ COMPOSE_V1_MINIMUM),
/* harmony export */   dX: () => (/* binding */ changedByComposeV1),
/* harmony export */   ib: () => (/* binding */ detectCompose),
/* harmony export */   mq: () => (/* binding */ upThenLook),
/* harmony export */   rv: () => (/* binding */ dockerComposeVersion)
/* harmony export */ });
/* unused harmony export THEN_LOOK */
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6102);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4296);
/**
 * docker compose on the server, as data: which CLI the server has (v2 `docker compose` or v1 `docker-compose`),
 * the argv of every compose call a deploy makes, and what the containers of the updated services are doing.
 * The compose project is the app; the project directory is app-dir, so a relative bind mount (`./data`) means the
 * same folder in every release.
 */


/**
 * The oldest Compose v1 belay can deploy with: 1.27 is the first to read compose files without a `version:` line
 * (the Compose Specification), which is how belay writes its override file. Debian 11 and Ubuntu 20.04 ship 1.25.
 */
const COMPOSE_V1_MINIMUM = '1.27';
/** What `docker-compose version --short` printed: `1.29.2` (v1), `2.26.1` (v2 standalone), maybe with a `v`. */
function dockerComposeVersion(short) {
    const version = short.trim().split('\n')[0].trim().replace(/^v/, '');
    const m = /^(\d+)\.(\d+)/.exec(version);
    if (!m)
        return { version, supported: true }; // it answered; an odd version string is no reason to refuse
    const [major, minor] = [Number(m[1]), Number(m[2])];
    const [minMajor, minMinor] = COMPOSE_V1_MINIMUM.split('.').map(Number);
    return { version, major, supported: major > minMajor || (major === minMajor && minor >= minMinor) };
}
/**
 * Shell text printing `compose plugin` when the docker CLI has the Compose v2 plugin: an executable
 * `docker-compose` as the first of the folders the CLI looks in (the user's, then the system's) that has one
 * (the CLI takes the first it finds, so a user's entry, even a broken one, masks the system's). A file test where
 * `docker compose version` would start two programs; detectCompose is the fallback when it prints nothing.
 */
const COMPOSE_PLUGIN_PROBE = `for d in "\${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins" /usr/local/lib/docker/cli-plugins \\
  /usr/local/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins; do
  [ -e "$d/docker-compose" ] || [ -L "$d/docker-compose" ] || continue
  if [ -f "$d/docker-compose" ] && [ -x "$d/docker-compose" ]; then echo 'compose plugin'; fi; break
done`;
/** What COMPOSE_PLUGIN_PROBE printed, as the CLI to use: v2 when the plugin is there, else not known yet. */
const probedCompose = (stdout) => stdout.split('\n').includes('compose plugin') ? 'v2' : undefined;
async function detectCompose(t) {
    if ((await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker', 'compose', 'version', '--short'))).code === 0)
        return 'v2';
    const standalone = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('docker-compose', 'version', '--short'));
    if (standalone.code === 0) {
        const found = dockerComposeVersion(standalone.stdout);
        if (!found.supported) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`docker-compose ${found.version} on ${t.label} is too old: belay needs Compose v2 (\`docker compose\`) or docker-compose ${COMPOSE_V1_MINIMUM} or newer, which reads compose files without a version: line. Install the Compose plugin (e.g. sudo apt-get install docker-compose-plugin); belay doctor checks this.`);
        }
        return 'v1';
    }
    throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .BelayError */ .oT(`Neither \`docker compose\` (v2) nor \`docker-compose\` (v1) works on ${t.label}. Install the Compose plugin (e.g. sudo apt-get install docker-compose-plugin); belay doctor checks this.`);
}
/**
 * Compose v1 reads env files with python-dotenv, which expands `${NAME}` (to the server's environment, or nothing)
 * and unescapes `\\` even in single-quoted values, where v2 takes them literally. The first variable of a rendered
 * env file (`NAME='value'` lines) whose value v1 would change, if any: a deploy to v1 must refuse it, not change it.
 */
function changedByComposeV1(env) {
    for (const line of env.split('\n')) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)='(.*)'$/.exec(line);
        if (m && /\$\{|\\\\|\\$/.test(m[2]))
            return m[1];
    }
    return undefined;
}
function compose(stack, ...args) {
    const base = stack.cli === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
    const flags = ['-p', stack.project, '--project-directory', stack.projectDir];
    for (const f of stack.files)
        flags.push('-f', f);
    if (stack.envFile)
        flags.push('--env-file', stack.envFile);
    return (0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)(base[0], ...base.slice(1), ...flags, ...args);
}
/**
 * `docker ps` of the containers of `services` in the project (all of them when the list is empty): found by the
 * labels compose (v1 and v2) puts on them, with `-a` for named services so that one that already exited counts
 * (a crash is then seen at once, not as "not started yet" until the timeout). All of the project (no services
 * named): running ones only, since a one-shot service that exited is fine.
 */
function findArgs(stack, services) {
    return [
        'docker',
        'ps',
        services.length ? '-aq' : '-q',
        '--filter',
        `label=com.docker.compose.project=${stack.project}`,
        ...services.flatMap((s) => ['--filter', `label=com.docker.compose.service=${s}`]),
    ];
}
// The ids are docker's own hex ids, so they are split on purpose; everything given arrives as "$@". `failed`: the
// status when `docker ps` fails.
const look = (failed) => `ids=$("$@") || exit ${failed}; [ -n "$ids" ] || exit 0; exec docker inspect --type container $ids`;
/** `docker inspect` output as ServiceStates; one-off containers of `compose run` left out. */
function parseStates(json) {
    if (!json.trim())
        return [];
    const containers = JSON.parse(json).filter((c) => c.Config?.Labels?.['com.docker.compose.oneoff'] !== 'True');
    return containers.map((c) => ({
        service: c.Config?.Labels?.['com.docker.compose.service'] ?? '?',
        name: c.Name.replace(/^\//, ''),
        status: c.State?.Status ?? 'unknown',
        ...(c.State?.Health?.Status ? { health: c.State.Health.Status } : {}),
        restarts: c.RestartCount ?? 0,
        image: c.Config?.Image ?? c.Image,
        healthLog: (c.State?.Health?.Log ?? []).slice(-3).map((l) => `exit ${l.ExitCode}: ${(l.Output ?? '').trim()}`),
    }));
}
/** The containers of `services` (see findArgs), found and inspected in one round trip. */
async function serviceStates(t, stack, services) {
    const r = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', look(1), 'belay', ...findArgs(stack, services)));
    return r.code === 0 ? parseStates(r.stdout) : [];
}
/**
 * $1 the number n of the command's arguments, then the command, then the look's `docker ps` argv. The command is
 * run from references to its positional parameters (`"${1}" "${2}" …`, so eval sees only those, never a value);
 * when it succeeds, a marker line and then the look on the rest (whose own failure is not the command's).
 */
const THEN_LOOK = `n=$1; shift; c=; i=1
while [ "$i" -le "$n" ]; do c="$c \\"\\\${$i}\\""; i=$((i + 1)); done
eval "$c" || exit $?
shift "$n"
echo belay-look
${look(0)}`;
/**
 * `up -d` of `services`, and in the same round trip, once it succeeded, the first look at their containers (what
 * the health gate asks first): undefined when that look did not work, and the gate then asks again.
 */
async function upThenLook(t, stack, services) {
    const up = compose(stack, 'up', '-d', ...services);
    if (up.kind !== 'argv' || up.env)
        return { up: await t.exec(up) };
    const r = await t.exec((0,_core_command_js__WEBPACK_IMPORTED_MODULE_0__/* .cmd */ .HW)('sh', '-c', THEN_LOOK, 'belay', String(up.argv.length), ...up.argv, ...findArgs(stack, services)));
    const at = r.stdout.indexOf('belay-look\n');
    if (r.code !== 0 || at < 0)
        return { up: r };
    const result = { ...r, stdout: r.stdout.slice(0, at) };
    try {
        return { up: result, states: parseStates(r.stdout.slice(at + 'belay-look\n'.length)) };
    }
    catch {
        return { up: result };
    }
}
/**
 * Ready when every updated service has a container, all are running, none restarted since this release started
 * them, and those with a healthcheck say healthy. Unhealthy or exited is final: no point waiting longer.
 */
function containersVerdict(states, services) {
    const missing = services.filter((s) => !states.some((c) => c.service === s));
    if (missing.length)
        return { ready: false, final: false, why: `no container yet for ${missing.join(', ')}` };
    const down = states.find((c) => c.status !== 'running');
    if (down)
        return {
            ready: false,
            final: down.status === 'exited' || down.status === 'dead',
            why: `${down.name} is ${down.status}`,
        };
    const restarted = states.find((c) => c.restarts > 0);
    if (restarted)
        return { ready: false, final: true, why: `${restarted.name} restarted ${restarted.restarts} time(s)` };
    const sick = states.find((c) => c.health === 'unhealthy');
    if (sick)
        return { ready: false, final: true, why: `${sick.name} is unhealthy` };
    const starting = states.find((c) => c.health === 'starting');
    if (starting)
        return { ready: false, final: false, why: `${starting.name} is starting` };
    return { ready: true, final: true, why: 'all running' + (states.some((c) => c.health) ? ' and healthy' : '') };
}


/***/ }),

/***/ 1759:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  checkConfirmation: () => (/* binding */ checkConfirmation),
  gateSpec: () => (/* binding */ gateSpec),
  planDeploy: () => (/* binding */ planDeploy),
  releaseLeftLocks: () => (/* binding */ releaseLeftLocks),
  runDeploy: () => (/* binding */ runDeploy),
  runReleases: () => (/* binding */ runReleases),
  runRollback: () => (/* binding */ runRollback)
});

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/config/connection.ts
var connection = __webpack_require__(9420);
// EXTERNAL MODULE: ./src/config/layers.ts
var config_layers = __webpack_require__(9597);
// EXTERNAL MODULE: ./src/core/command.ts
var command = __webpack_require__(6102);
// EXTERNAL MODULE: ./src/core/duration.ts
var duration = __webpack_require__(8571);
// EXTERNAL MODULE: ./src/core/errors.ts
var errors = __webpack_require__(4296);
// EXTERNAL MODULE: ./src/health/check.ts
var health_check = __webpack_require__(3774);
// EXTERNAL MODULE: ./src/health/run.ts
var run = __webpack_require__(931);
// EXTERNAL MODULE: ./src/report/reporter.ts
var report_reporter = __webpack_require__(4969);
// EXTERNAL MODULE: ./src/transport/pool.ts + 3 modules
var transport_pool = __webpack_require__(2548);
// EXTERNAL MODULE: ./src/deploy/deployments.ts
var deployments = __webpack_require__(9935);
// EXTERNAL MODULE: ./src/deploy/left-locks.ts
var left_locks = __webpack_require__(9607);
// EXTERNAL MODULE: ./src/deploy/lock.ts
var lock = __webpack_require__(4332);
// EXTERNAL MODULE: ./src/deploy/compose.ts
var compose = __webpack_require__(5003);
// EXTERNAL MODULE: ./src/deploy/belay-dir.ts
var belay_dir = __webpack_require__(6755);
// EXTERNAL MODULE: ./node_modules/zod/v4/classic/schemas.js + 17 modules
var schemas = __webpack_require__(8816);
// EXTERNAL MODULE: ./src/backup/manifest.ts
var manifest = __webpack_require__(8726);
// EXTERNAL MODULE: ./src/core/order.ts
var order = __webpack_require__(2831);
;// CONCATENATED MODULE: ./src/deploy/releases.ts
/**
 * Release records on the server, Capistrano style: `<app-dir>/.belay/releases/<id>/` holds what a deploy shipped
 * (compose file(s), the env file, the images override) and `release.json`, its record; `<app-dir>/.belay/current`
 * is a symlink to `releases/<id>`, switched by renaming a new symlink over it, so a reader sees the old release or
 * the new one, never none. All of it is written under umask 077: env files hold the app's secrets.
 */





const OUTCOMES = ['pending', 'deployed', 'failed', 'rolled-back', 'superseded'];
/** What an id may look like: one plain path component, e.g. `20261123T170102Z-1a2b`. */
const RELEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const recordSchema = schemas/* looseObject */._H3({
    id: schemas/* string */.YjP().regex(RELEASE_ID),
    app: schemas/* string */.YjP(),
    createdAt: schemas/* string */.YjP(),
    finishedAt: schemas/* string */.YjP().optional(),
    outcome: schemas/* enum */.k5n(OUTCOMES),
    images: schemas/* record */.g1P(schemas/* string */.YjP(), schemas/* string */.YjP()),
    services: schemas/* array */.YOg(schemas/* string */.YjP()),
    composeFiles: schemas/* array */.YOg(schemas/* string */.YjP()),
    composeHash: schemas/* string */.YjP(),
    envHash: schemas/* string */.YjP().optional(),
    git: schemas/* object */.Ikc({ sha: schemas/* string */.YjP().optional(), ref: schemas/* string */.YjP().optional() }).optional(),
    run: schemas/* object */.Ikc({ id: schemas/* string */.YjP().optional(), url: schemas/* string */.YjP().optional(), actor: schemas/* string */.YjP().optional() }).optional(),
    backupId: schemas/* string */.YjP().optional(),
    migrations: schemas/* unknown */.L5J().optional(),
    previous: schemas/* string */.YjP().optional(),
    note: schemas/* string */.YjP().optional(),
});
/** `20261123T170102Z-1a2b`: sorts by time to the second, like backup ids (order within a second is createdAt's). */
function newReleaseId(now) {
    return (0,manifest/* newBackupId */._H)(now);
}
/** The record in `text`, or undefined when it is not a release record (fields unknown to this version are kept). */
function parseRecord(text) {
    try {
        const parsed = recordSchema.safeParse(JSON.parse(text));
        return parsed.success ? parsed.data : undefined;
    }
    catch {
        return undefined;
    }
}
/** Why `name` cannot be a file of a release folder, or undefined when it can. */
function badFileName(name) {
    if (name === '' || name === '.' || name === '..')
        return 'it is not a file name';
    if (name.includes('/') || name.includes('\\'))
        return 'it contains a slash';
    if (name.includes('..'))
        return 'it contains ".."';
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(name))
        return 'it contains a control character';
    if (name.length > 255)
        return 'it is longer than 255 characters';
    if (name === 'release.json')
        return 'release.json is the record itself';
    return undefined;
}
/** `release.json` lines as `list` prints them: `<folder name>\t<record on one line>`; others are skipped. */
function parseRecordLines(text) {
    const records = [];
    for (const line of text.split('\n')) {
        const tab = line.indexOf('\t');
        if (tab < 0)
            continue;
        const record = parseRecord(line.slice(tab + 1));
        if (record && record.id === line.slice(0, tab))
            records.push(record);
    }
    return records.sort(oldestFirst);
}
const oldestFirst = (a, b) => (0,order/* byCodeUnits */.C)(a.createdAt, b.createdAt) || (0,order/* byCodeUnits */.C)(a.id, b.id);
/**
 * Which releases `prune` removes: all but the newest `keep` (by time) and those in `protect`; oldest first.
 */
function selectPrunable(records, keep, protect) {
    if (!Number.isInteger(keep) || keep < 0)
        throw new Error(`keep must be a whole number ≥ 0, not ${keep}`);
    const sorted = [...records].sort(oldestFirst);
    const newest = new Set(sorted.slice(Math.max(0, sorted.length - keep)).map((r) => r.id));
    return sorted.filter((r) => !newest.has(r.id) && !protect.includes(r.id));
}
/** `releases/<id>` (or a path ending so) → id. */
function idFromPointer(target) {
    const id = /(?:^|\/)releases\/([^/]+)\/?$/.exec(target.trim())?.[1];
    return id !== undefined && RELEASE_ID.test(id) ? id : undefined;
}
const FIX = 'Check that the SSH user owns app-dir and can write to it.';
/** $1 app-dir, then the release ids: remove each folder, renamed away first so it is never seen half-removed. */
const PRUNE = `r="$1/.belay/releases"; shift
for id in "$@"; do
  rm -rf -- "$r/.pruned-$id"; mv -- "$r/$id" "$r/.pruned-$id" && rm -rf -- "$r/.pruned-$id" || exit 1
done`;
/** $1 app-dir, $2 id, $3 unique token. */
const SET_CURRENT = `cd -- "$1/.belay" || exit 1
[ -f "releases/$2/release.json" ] || { echo "releases/$2/release.json does not exist" >&2; exit 1; }
ln -s -- "releases/$2" ".current-$3" || exit 1
mv -T -f -- ".current-$3" current || { rm -f -- ".current-$3"; exit 1; }`;
/**
 * What a deploy reads first, as the step run under the deploy lock the moment it is taken (AcquireOptions.then):
 * `.belay/releases` made, the new release's folder made (before the records are read, so it is not among them),
 * the `current` pointer and every record. $1 app-dir, $2 the new release's id. Lines: `current\t<target>`,
 * `record\t<folder>\t<record on one line>`, and `state read` last.
 */
const READ_STATE = `a="$1"; n="$2"; shift 2
umask 077; { [ -d "$a/.belay/releases" ] || mkdir -p -- "$a/.belay/releases"; } && mkdir -- "$a/.belay/releases/$n" || exit 1
c="$a/.belay/current"
if [ -L "$c" ]; then t=$(readlink -- "$c") || exit 1; printf 'current\\t%s\\n' "$t"; fi
for f in "$a/.belay/releases"/*/release.json; do
  [ -f "$f" ] || continue; d=\${f%/release.json}; printf 'record\\t%s\\t' "\${d##*/}"
  # On one line, read by the shell itself (a program per record would cost a few ms each).
  while IFS= read -r line || [ -n "$line" ]; do printf '%s' "$line"; line=; done < "$f"; echo
done
echo 'state read'`;
/** READ_STATE for the lock's `then`: app-dir `appDir`, with the folder of release `id` made. */
const readStateStep = (appDir, id) => {
    checkId(id);
    return { script: READ_STATE, args: [appDir, id] };
};
/** What READ_STATE printed (`then` of the lock), as a ReleaseState; a problem on the server is a BelayError. */
function parseReleaseState(then, label, appDir) {
    const lines = then.stdout.split('\n');
    if (then.code !== 0 || !lines.includes('state read')) {
        const why = then.stderr.trim().split('\n').pop()?.trim() || `exit ${then.code}`;
        throw new errors/* BelayError */.oT(`Could not read the releases in ${(0,belay_dir/* belayDir */.pk)(appDir)} on ${label}: ${why}. ${FIX}`);
    }
    let pointer;
    const texts = new Map();
    for (const line of lines) {
        const [kind, a = '', ...rest] = line.split('\t');
        if (kind === 'current')
            pointer = [a, ...rest].join('\t');
        else if (kind === 'record')
            texts.set(a, rest.join('\t'));
    }
    const records = [];
    for (const [folder, text] of texts) {
        const record = parseRecord(text);
        if (record && record.id === folder)
            records.push(record);
    }
    records.sort(oldestFirst);
    const current = pointer === undefined ? undefined : idFromPointer(pointer);
    if (pointer !== undefined && current === undefined) {
        const at = `${(0,belay_dir/* belayDir */.pk)(appDir)}/current`;
        throw new errors/* BelayError */.oT(`${at} on ${label} points to ${JSON.stringify(pointer.trim())}, not to a release. Point it at one: cd ${(0,belay_dir/* belayDir */.pk)(appDir)} && ln -sfn releases/<id> current`);
    }
    const previous = current === undefined ? undefined : records.find((r) => r.id === current);
    if (current !== undefined && !previous && texts.has(current)) {
        throw new errors/* BelayError */.oT(`${(0,belay_dir/* belayDir */.pk)(appDir)}/releases/${current}/release.json on ${label} is not a readable belay release record. Restore it, or remove the folder ${(0,belay_dir/* belayDir */.pk)(appDir)}/releases/${current} if that release is not needed.`);
    }
    return {
        ...(current !== undefined ? { current } : {}),
        ...(previous ? { previous } : {}),
        records,
    };
}
/**
 * The end of a healthy deploy in one command: $1 app-dir, $2 id, $3 unique token, then the ids to prune; the
 * record's new text on stdin. The record is replaced by a rename, `current` moved to it, the old folders pruned.
 */
const FINISH = `cd -- "$1/.belay" || exit 1
umask 077; r="releases/$2/release.json"; n="releases/$2/.release.json-$3"
{ while IFS= read -r line; do printf '%s\\n' "$line"; done; printf '%s' "$line"; } > "$n" && mv -f -- "$n" "$r" || { rm -f -- "$n"; exit 1; }
ln -s -- "releases/$2" ".current-$3" || exit 1
mv -T -f -- ".current-$3" current || { rm -f -- ".current-$3"; exit 1; }
shift 3
for id in "$@"; do
  rm -rf -- "releases/.pruned-$id"; mv -- "releases/$id" "releases/.pruned-$id" && rm -rf -- "releases/.pruned-$id" || exit 1
done`;
class ReleaseStore {
    t;
    appDir;
    root;
    constructor(t, 
    /** app-dir on the server, relative to the SSH user's home unless absolute. */
    appDir) {
        this.t = t;
        this.appDir = appDir;
        this.root = `${(0,belay_dir/* belayDir */.pk)(appDir)}/releases`;
    }
    /** Path of the release folder on the server. */
    dir(id) {
        checkId(id);
        return `${this.root}/${id}`;
    }
    /** Create `.belay/releases`, readable by the SSH user only (and app-dir, when missing). */
    async ensure() {
        const script = `${belay_dir/* ENSURE_BELAY_DIR */.rZ} && mkdir -p -- "$1/.belay/releases"`;
        await (0,belay_dir/* runChecked */.X4)(this.t, `create ${this.root}`, (0,belay_dir/* shellScript */.ky)(script, this.appDir), FIX);
    }
    /**
     * Write a new release folder: `files` first, `release.json` last, so a folder with a record is complete. The
     * folder must not exist yet, unless `made` says it was just made empty; on failure it is removed again.
     */
    async write(record, files, made = false) {
        const dir = this.dir(record.id);
        const seen = new Set();
        for (const file of files) {
            const bad = badFileName(file.name) ?? (seen.has(file.name) ? 'it is given twice' : undefined);
            if (bad)
                throw new errors/* BelayError */.oT(`Refusing to write ${JSON.stringify(file.name)} into release ${record.id}: ${bad}.`);
            seen.add(file.name);
        }
        const script = `${belay_dir/* ENSURE_BELAY_DIR */.rZ} && mkdir -p -- "$1/.belay/releases" && mkdir -- "$1/.belay/releases/$2"`;
        // `made`: the (empty) folder was made already, by readStateStep.
        if (!made)
            await (0,belay_dir/* runChecked */.X4)(this.t, `create the release folder ${dir}`, (0,belay_dir/* shellScript */.ky)(script, this.appDir, record.id), 'Release ids are unique; if this one exists, a deploy of the same id ran before: run the deploy again.');
        try {
            // The files at once (SFTP requests on one channel), the record only once they are all there.
            await Promise.all(files.map((f) => this.t.upload(f.content, `${dir}/${f.name}`, (f.mode ?? 0o600) & 0o700)));
            await this.writeRecord(record);
        }
        catch (err) {
            await this.t.exec((0,belay_dir/* shellScript */.ky)('rm -rf -- "$1"', dir)).catch(() => undefined);
            throw err;
        }
    }
    /** Change the outcome, finish time or note of a recorded release; returns the record as now written. */
    async update(id, change) {
        const record = await this.read(id);
        if (!record)
            throw new errors/* BelayError */.oT(`There is no release ${id} in ${this.root} on ${this.t.label}.`);
        const defined = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
        const updated = { ...record, ...defined };
        await this.writeRecord(updated);
        return updated;
    }
    /** The record of `id`, or undefined when there is none; a record that cannot be read is an error. */
    async read(id) {
        const file = `${this.dir(id)}/release.json`;
        const script = '[ -e "$1" ] || exit 3; cat -- "$1"';
        const r = await (0,belay_dir/* runChecked */.X4)(this.t, `read ${file}`, (0,belay_dir/* shellScript */.ky)(script, file), FIX, [3]);
        if (r.code === 3)
            return undefined;
        const record = parseRecord(r.stdout);
        if (!record || record.id !== id) {
            throw new errors/* BelayError */.oT(`${file} on ${this.t.label} is not a readable belay release record. Restore it, or remove the folder ${this.dir(id)} if that release is not needed.`);
        }
        return record;
    }
    /** Every recorded release, oldest first; folders without a readable record are skipped. */
    async list() {
        const script = `for f in "$1"/*/release.json; do
  [ -f "$f" ] || continue; d=\${f%/release.json}; printf '%s\\t' "\${d##*/}"; tr -d '\\n' < "$f"; echo
done; exit 0`;
        const r = await (0,belay_dir/* runChecked */.X4)(this.t, `list ${this.root}`, (0,belay_dir/* shellScript */.ky)(script, this.root), FIX);
        return parseRecordLines(r.stdout);
    }
    /** The id `current` points to, or undefined when there is no pointer yet. */
    async current() {
        const pointer = `${(0,belay_dir/* belayDir */.pk)(this.appDir)}/current`;
        const script = '[ -L "$1" ] || exit 3; readlink -- "$1"';
        const r = await (0,belay_dir/* runChecked */.X4)(this.t, `read ${pointer}`, (0,belay_dir/* shellScript */.ky)(script, pointer), FIX, [3]);
        if (r.code === 3)
            return undefined;
        const id = idFromPointer(r.stdout);
        if (id === undefined) {
            throw new errors/* BelayError */.oT(`${pointer} on ${this.t.label} points to ${JSON.stringify(r.stdout.trim())}, not to a release. Point it at one: cd ${(0,belay_dir/* belayDir */.pk)(this.appDir)} && ln -sfn releases/<id> current`);
        }
        return id;
    }
    /** Point `current` at `id` (which must be recorded) in one rename: readers never see it missing. */
    async setCurrent(id) {
        checkId(id);
        const command = (0,belay_dir/* shellScript */.ky)(SET_CURRENT, this.appDir, id, (0,belay_dir/* uniqueToken */.xZ)());
        await (0,belay_dir/* runChecked */.X4)(this.t, `point current at release ${id}`, command, FIX);
    }
    /**
     * Remove the releases beyond the newest `keep`, never one in `protect` nor the one `current` names; returns
     * the removed records, oldest first.
     */
    async prune(keep, protect) {
        const current = await this.current();
        const doomed = selectPrunable(await this.list(), keep, current ? [...protect, current] : protect);
        if (doomed.length === 0)
            return [];
        const command = (0,belay_dir/* shellScript */.ky)(PRUNE, this.appDir, ...doomed.map((r) => r.id));
        await (0,belay_dir/* runChecked */.X4)(this.t, `remove old releases from ${this.root}`, command, FIX);
        return doomed;
    }
    /** Remove the folder of a release that was never written (its deploy stopped before the record). */
    async discard(id) {
        await this.t.exec((0,belay_dir/* shellScript */.ky)('rm -rf -- "$1"', this.dir(id)));
    }
    /**
     * A healthy deploy's last writes, as one command's step: `record` (its outcome now) replaces the one written at
     * the start, `current` points at it, and the folders of `prune` (never the record itself) are removed. Run it
     * with finish, or with the lock's releaseAfter; `finished` says what its result means.
     */
    finishStep(record, prune) {
        checkId(record.id);
        for (const id of prune)
            checkId(id);
        if (prune.includes(record.id))
            throw new Error(`release ${record.id} cannot be pruned as it finishes`);
        return {
            script: FINISH,
            args: [this.appDir, record.id, (0,belay_dir/* uniqueToken */.xZ)(), ...prune],
            stdin: `${JSON.stringify(record, null, 2)}\n`,
        };
    }
    /** Throws when finishStep's command failed (its exit status and messages). */
    finished(id, r) {
        if (r.code === 0)
            return;
        const why = r.stderr.trim().split('\n').pop()?.trim() || `exit ${r.code}`;
        throw new errors/* BelayError */.oT(`Could not point current at release ${id} on ${this.t.label}: ${why}. ${FIX}`);
    }
    /** finishStep on its own. */
    async finish(record, prune) {
        const step = this.finishStep(record, prune);
        this.finished(record.id, await this.t.exec((0,belay_dir/* shellScript */.ky)(step.script, ...step.args), { stdin: step.stdin }));
    }
    async writeRecord(record) {
        await this.t.upload(`${JSON.stringify(record, null, 2)}\n`, `${this.dir(record.id)}/release.json`, 0o600);
    }
}
function checkId(id) {
    if (!RELEASE_ID.test(id)) {
        throw new errors/* BelayError */.oT(`${JSON.stringify(id)} is not a release id: ids are like 20261123T170102Z-1a2b (see belay releases).`);
    }
}

;// CONCATENATED MODULE: ./src/deploy/run.ts
/**
 * `belay deploy` / the deploy action. A deploy ends healthy on the new release, or on the previous one, by itself:
 * connect → lock → write the release → pre-deploy → pull → up -d → health gate → move `current`, prune.
 * When the gate fails: the failing containers' logs, then the previous release's compose files, env and images
 * go back up and are checked the same way. Hosts are deployed one after another; a host that fails rolls back,
 * and so do the hosts already switched, so a fleet never ends half on the new release.
 */




















/** An image reference that names one image by content: `…@sha256:<64 hex>`. */
const DIGEST_PINNED = /@sha256:[0-9a-f]{64}$/;

const SERVICE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** ESC [ … letter: cursor and erase sequences in compose's output. */
const TERMINAL_CONTROL = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
function gateSpec(v) {
    const mode = v.health ?? 'auto';
    if ((mode === 'url' || mode === 'both') && !v.healthUrl) {
        throw new errors/* InputError */.dz('health-url', `health: ${mode} needs it`, 'Set health-url, or health: containers.');
    }
    if (v.healthUrl)
        (0,health_check/* parseTarget */.hu)(v.healthUrl);
    const url = mode === 'url' || mode === 'both' || (mode === 'auto' && !!v.healthUrl);
    const containers = mode === 'containers' || mode === 'both' || mode === 'auto';
    return { gate: { url, containers }, values: v };
}
/**
 * require-confirmation (set in belay.yml for production): a person typed the environment's name into `confirm`.
 * Checked before anything connects.
 */
function checkConfirmation(v) {
    if (!v.requireConfirmation)
        return;
    const environment = v.environment ?? '';
    if (environment && v.confirm === environment)
        return;
    throw new errors/* InputError */.dz('confirm', environment
        ? `the ${environment} environment asks for confirmation and ${v.confirm ? `"${v.confirm}" is not its name` : 'none was given'}`
        : 'require-confirmation is set but no environment is chosen', environment
        ? `Set confirm: ${environment} (in a manual run, type the environment's name) to go ahead.`
        : 'Choose the environment with environment, and confirm with its name.');
}
function planDeploy(loaded, face, cwd) {
    const v = loaded.values;
    if (!v.app)
        throw (0,config_layers/* missing */.LO)('app', face);
    if (!v.host)
        throw (0,config_layers/* missing */.LO)('host', face);
    checkConfirmation(v);
    if (!v.composeFile === !v.composeRemote) {
        throw new errors/* InputError */.dz(v.composeFile ? 'compose-remote' : 'compose-file', v.composeFile ? 'it cannot be combined with compose-file' : 'no compose file given', 'Give compose-file (files in the repository, uploaded with each release) or compose-remote (a file on the server).');
    }
    const composeFiles = lines(v.composeFile ?? '').map((path, i) => {
        try {
            return { name: `compose-${i + 1}.yml`, content: (0,external_node_fs_.readFileSync)((0,external_node_path_.resolve)(cwd, path), 'utf8'), path };
        }
        catch {
            throw new errors/* InputError */.dz('compose-file', `cannot read ${path}`, 'Give a path relative to the workspace.');
        }
    });
    const images = {};
    for (const line of lines(v.images ?? '')) {
        const eq = line.indexOf('=');
        const service = line.slice(0, eq).trim();
        const ref = line.slice(eq + 1).trim();
        if (eq < 1 || !SERVICE.test(service) || !/^[a-z0-9][\w.:/@-]*$/i.test(ref)) {
            throw new errors/* InputError */.dz('images', `"${line}" is not service=image-ref`, 'Write one line per service, like api=ghcr.io/owner/api@sha256:….');
        }
        images[service] = ref;
    }
    const services = v.services ? v.services.split(/[\s,]+/).filter(Boolean) : Object.keys(images);
    for (const s of services) {
        if (!SERVICE.test(s))
            throw new errors/* InputError */.dz('services', `"${s}" is not a compose service name`, 'Use letters, digits, ".", "_" and "-".');
    }
    const env = renderEnv(v, cwd);
    const check = gateSpec(v);
    if (restoresOnRollback(v)) {
        const fix = 'restore-backup-on-rollback restores the pre-deploy backup into the database';
        if (!v.backupId)
            throw new errors/* InputError */.dz('backup-id', `${fix}, so it needs one`, "Pass the backup step's backup-id.");
        if (v.engine === 'sqlite' ? !v.sqlitePath : !v.database || !v.dbUser) {
            throw new errors/* InputError */.dz(v.engine === 'sqlite' ? 'sqlite-path' : !v.database ? 'database' : 'db-user', `${fix}: it is required`, 'Give the same database inputs as the backup step.');
        }
    }
    return {
        app: v.app,
        appDir: (0,belay_dir/* appDirFor */.wY)(loaded.values),
        composeFiles: composeFiles.map(({ name, content }) => ({ name, content })),
        ...(v.composeRemote ? { composeRemote: v.composeRemote } : {}),
        ...(env !== undefined ? { env } : {}),
        images,
        services,
        ...check,
    };
}
const lines = (text) => text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
/**
 * env-file, then env (env wins), as a dotenv file compose reads both for `${VAR}` and for the containers. Values
 * are written single-quoted, which compose takes literally (no `$` interpolation); a value with a single quote or
 * a line break cannot be written that way and is refused.
 */
function renderEnv(v, cwd) {
    const vars = new Map();
    const read = (text, input) => {
        for (const [n, line] of lines(text).entries()) {
            const eq = line.indexOf('=');
            const name = eq < 0
                ? ''
                : line
                    .slice(0, eq)
                    .replace(/^export\s+/, '')
                    .trim();
            if (!ENV_NAME.test(name)) {
                // Which line, never its text: a malformed line may hold a secret value.
                throw new errors/* InputError */.dz(input, `line ${n + 1} is not NAME=value`, 'Write one NAME=value per line (the belay.yml environment is chosen with environment, or --environment on the command line).');
            }
            let value = line.slice(eq + 1).trim();
            const quoted = /^(['"])(.*)\1$/s.exec(value);
            if (quoted)
                value = quoted[2];
            if (value.includes("'")) {
                throw new errors/* InputError */.dz(input, `the value of ${name} contains a single quote`, 'belay writes values single-quoted for compose; remove the quote from the value.');
            }
            vars.set(name, value);
        }
    };
    if (v.envFile) {
        let text;
        try {
            text = (0,external_node_fs_.readFileSync)((0,external_node_path_.resolve)(cwd, v.envFile), 'utf8');
        }
        catch {
            throw new errors/* InputError */.dz('env-file', `cannot read ${v.envFile}`, 'Give a path relative to the workspace.');
        }
        read(text, 'env-file');
    }
    if (v.env)
        read(v.env, 'env');
    if (vars.size === 0)
        return undefined;
    return [...vars].map(([k, val]) => `${k}='${val}'`).join('\n') + '\n';
}
/** The files of a release: compose files, the images/env override, the env file. */
function releaseFiles(plan, id, store) {
    const files = [...plan.composeFiles];
    const envPath = plan.env !== undefined ? `${store.dir(id)}/env` : undefined;
    const targets = new Set([...plan.services, ...Object.keys(plan.images)]);
    if (targets.size > 0 && (Object.keys(plan.images).length > 0 || envPath)) {
        const override = ['services:'];
        for (const service of targets) {
            override.push(`  ${service}:`);
            if (plan.images[service])
                override.push(`    image: ${JSON.stringify(plan.images[service])}`);
            if (envPath)
                override.push(`    env_file: [${JSON.stringify(relativeToAppDir(envPath, plan.appDir))}]`);
        }
        files.push({ name: 'override.yml', content: override.join('\n') + '\n' });
    }
    if (plan.env !== undefined)
        files.push({ name: 'env', content: plan.env, mode: 0o600 });
    return files;
}
/** Compose resolves paths inside compose files from the project directory (app-dir). */
const relativeToAppDir = (path, appDir) => path.startsWith(`${appDir}/`) ? path.slice(appDir.length + 1) : path;
/** The stack of a written release, as compose is called for it. */
function stackOf(record, store, cli, appDir) {
    const dir = store.dir(record.id);
    return {
        cli,
        project: record.app,
        projectDir: appDir,
        files: record.composeFiles.map((f) => `${dir}/${f}`),
        ...(record.envHash ? { envFile: `${dir}/env` } : {}),
    };
}
const sha256 = (text) => (0,external_node_crypto_.createHash)('sha256').update(text).digest('hex');
function timeline() {
    const rows = [];
    const notes = [];
    return { rows, notes, step: (name, ms) => rows.push([name, (0,duration/* formatDuration */.a3)(ms)]), note: (text) => notes.push(text) };
}
const summaryOf = (title, tl) => `### ${title}\n\n${(0,report_reporter/* markdownTable */.Qj)(['Step', 'Took'], tl.rows)}${tl.notes.length ? `\n\n${tl.notes.map((n) => `- ${n}`).join('\n')}` : ''}`;
async function timed(tl, name, work) {
    const started = Date.now();
    try {
        return await work();
    }
    finally {
        tl.step(name, Date.now() - started);
    }
}
async function runDeploy(ctx) {
    const { reporter, face, loaded, cwd } = ctx;
    const plan = planDeploy(loaded, face, cwd);
    if (plan.env)
        for (const line of plan.env.split('\n'))
            if (line)
                reporter.secret(line.slice(line.indexOf('=') + 2, -1));
    const { targets, options } = (0,connection/* resolveConnection */.X)(plan.values, face);
    const pool = new transport_pool/* ConnectionPool */.j(options, reporter);
    // Only used when a connection is lost with the lock held: a second one to release it.
    const spare = new transport_pool/* ConnectionPool */.j(options, reporter);
    const ledger = new left_locks/* LockLedger */.vo(reporter);
    const id = newReleaseId(new Date());
    const url = plan.values.environmentUrl ?? plan.values.healthUrl;
    const tl = timeline();
    const switched = [];
    let status = 'failed';
    let previousId;
    let why = '';
    let hookFailed = false;
    const deployment = await (0,deployments/* startDeployment */.i)(plan.values.githubToken, {
        environment: plan.values.environment ?? 'production',
        description: `belay deploy ${plan.app} ${id}`,
        payload: { app: plan.app, release: id },
    }, reporter);
    try {
        for (const target of targets) {
            const t = await timed(tl, `connect ${target.host}`, () => pool.get(target));
            const host = { t, target, ledger, reconnect: () => spare.get(target) };
            const outcome = await deployHost(host, plan, id, tl, reporter, ctx);
            if (switched.length === 0)
                previousId = outcome.previousId;
            if (outcome.status !== 'deployed') {
                status = outcome.status;
                why = `${target.host}: ${outcome.status}`;
                // Hosts switched before this one go back too: a fleet never ends half on the new release.
                for (const done of switched.reverse()) {
                    if (!done.previous)
                        continue;
                    reporter.warn(`rolling ${done.target.host} back to ${done.previous.id}, since ${target.host} failed`);
                    const back = await rollbackHost(done.t, plan, done.previous, id, tl, reporter);
                    if (!back)
                        status = 'rollback-failed';
                }
                break;
            }
            status = 'deployed';
            // The next hosts still get the release (healthy here); the step fails at the end.
            if (outcome.hookFailed)
                hookFailed = true;
            switched.push({ t, target, ...(outcome.previous ? { previous: outcome.previous } : {}) });
        }
    }
    catch (err) {
        why = err instanceof Error ? err.message : String(err);
        throw err;
    }
    finally {
        await Promise.all([pool.closeAll(), spare.closeAll()]);
        reporter.setOutput('release-id', id);
        reporter.setOutput('previous-release-id', previousId ?? '');
        reporter.setOutput('status', status);
        if (url)
            reporter.setOutput('url', url);
        reporter.summary(summaryOf(`belay deploy ${plan.app} ${id}: ${status}`, tl));
        await deployment.finish(status, status === 'deployed' ? `${id} deployed and healthy` : `${id}: ${why}`, url);
    }
    if (status === 'deployed' && !hookFailed)
        reporter.info(`✓ ${plan.app} ${id} deployed and healthy`);
    return status === 'deployed' && !hookFailed;
}
/** The number of migrations the migrate step applied, from its `applied` output (0 when none or not given). */
function appliedCount(migrations) {
    if (!migrations)
        return 0;
    const parsed = parseJson(migrations);
    return Array.isArray(parsed) ? parsed.length : 0;
}
const restoresOnRollback = (v) => (v.restoreBackupOnRollback ?? false) && appliedCount(v.migrations) > 0;
/**
 * restore-backup-on-rollback: the pre-deploy backup back into the database, before the previous release comes
 * up, through the restore capability (sha256 checked, scratch copy compared, swap by rename; the replaced database
 * kept). The user's switch is the confirmation restore otherwise asks for. Returns false when it failed.
 */
async function restoreBeforeRollback(ctx, reporter) {
    const v = ctx.loaded.values;
    const { runRestore } = await Promise.all(/* import() */[__webpack_require__.e(849), __webpack_require__.e(760), __webpack_require__.e(20)]).then(__webpack_require__.bind(__webpack_require__, 7020));
    const { sqliteName } = await Promise.all(/* import() */[__webpack_require__.e(849), __webpack_require__.e(760)]).then(__webpack_require__.bind(__webpack_require__, 7760));
    const confirm = v.engine === 'sqlite' ? sqliteName(v) : v.database;
    reporter.warn(`restoring the pre-deploy backup ${v.backupId} (restore-backup-on-rollback), since migrations ran`);
    // restore's own outputs (database, kept-as) are not deploy's.
    const quiet = Object.assign(Object.create(reporter), { setOutput: () => undefined });
    // Into the database itself (a target-database of the config would restore beside it).
    const values = { ...v, confirm };
    delete values.targetDatabase;
    try {
        return await runRestore({ ...ctx, reporter: quiet, loaded: { ...ctx.loaded, values } });
    }
    catch (err) {
        reporter.error(`The pre-deploy backup could not be restored: ${err instanceof Error ? err.message : String(err)}`);
        return false;
    }
}
/**
 * The new release on the server, from what the lock's step read (`then`): its compose files, env and record
 * written into the folder that step made, with the compose CLI it will be run with.
 */
async function writeRelease(t, plan, id, then, store, tl) {
    const v = plan.values;
    const state = parseReleaseState(then, t.label, plan.appDir);
    const previousId = state.current;
    const cli = (0,compose/* probedCompose */.Jq)(then.stdout) ?? (await (0,compose/* detectCompose */.ib)(t));
    if (cli === 'v1' && plan.env !== undefined) {
        const name = (0,compose/* changedByComposeV1 */.dX)(plan.env);
        if (name) {
            throw new errors/* InputError */.dz('env', `the value of ${name} contains \${ or a backslash, which docker-compose v1 on ${t.label} would change`, 'Remove it from the value, or install the Compose v2 plugin on the server (belay doctor checks it).');
        }
    }
    const files = releaseFiles(plan, id, store);
    if (plan.composeRemote) {
        const r = await t.exec((0,command/* cmd */.HW)('cat', '--', `${plan.appDir}/${plan.composeRemote}`));
        if (r.code !== 0)
            throw new errors/* BelayError */.oT(`compose-remote ${plan.composeRemote} is not readable in ${plan.appDir} on ${t.label}.`);
        files.unshift({ name: 'compose-1.yml', content: r.stdout });
    }
    const composeNames = files.filter((f) => f.name.endsWith('.yml')).map((f) => f.name);
    const record = {
        id,
        app: plan.app,
        createdAt: new Date().toISOString(),
        outcome: 'pending',
        images: plan.images,
        services: plan.services,
        composeFiles: composeNames,
        composeHash: sha256(files
            .filter((f) => f.name.endsWith('.yml'))
            .map((f) => f.content)
            .join('\0')),
        ...(plan.env !== undefined ? { envHash: sha256(plan.env) } : {}),
        ...(0,manifest/* provenance */.aH)(),
        ...(v.backupId ? { backupId: v.backupId } : {}),
        ...(v.migrations ? { migrations: parseJson(v.migrations) } : {}),
        ...(previousId ? { previous: previousId } : {}),
    };
    await timed(tl, 'write release', () => store.write(record, files, true));
    return { state, cli, record };
}
/** One host: lock, release, up, gate; on failure the previous release back up. */
async function deployHost({ t, target, ledger, reconnect }, plan, id, tl, reporter, ctx) {
    const v = plan.values;
    const owner = lockOwner(id);
    // Written before the lock is taken: a cancel right after the mkdir still leaves the post step what it needs
    // (ownership is judged without the time).
    ledger.taken(target, plan.appDir, owner);
    // Images pinned by digest need no `compose pull`: a digest names exactly that content, so there is nothing newer
    // to fetch, and `up -d` fetches one the server lacks before it replaces any container (Compose v2 and v1 both
    // make sure of every service's image first). A tag can move in the registry: then the pull comes first.
    const pinned = pinnedRefs(plan.services, plan.images) !== undefined;
    // What the deploy needs to know first comes back from the command that takes the lock: the release state (and
    // the new release's folder made), and whether the Compose v2 plugin is there.
    const read = readStateStep(plan.appDir, id);
    const step = { script: `${compose/* COMPOSE_PLUGIN_PROBE */.KJ}\n${read.script}`, args: read.args };
    const lock = await timed(tl, 'lock', () => takeLock(t, plan.appDir, owner, v, reporter, reconnect, step).catch((err) => {
        ledger.released(target, plan.appDir);
        throw err;
    }));
    try {
        const store = new ReleaseStore(t, plan.appDir);
        // The new release's folder was made by the lock's step (when it got as far as `state read`); whatever stops
        // the deploy before its record is written removes it again.
        const made = lock.then.stdout.split('\n').includes('state read');
        const { state, cli, record } = await writeRelease(t, plan, id, lock.then, store, tl).catch(async (err) => {
            if (made)
                await store.discard(id).catch(() => undefined);
            throw err;
        });
        const { previous } = state;
        const previousId = state.current;
        reporter.info(`release ${id} on ${t.label}${previousId ? ` (previous: ${previousId})` : ' (first release)'}`);
        const stack = stackOf(record, store, cli, plan.appDir);
        const facts = { BELAY_RELEASE: id, BELAY_PREVIOUS_RELEASE: previousId ?? '', BELAY_APP: plan.app };
        if (v.preDeploy) {
            // A failing pre-deploy stops the deploy before anything runs; the release is recorded as failed.
            await timed(tl, 'pre-deploy', () => hook(t, plan.appDir, v.preDeploy, facts, 'pre-deploy', reporter)).catch(async (err) => {
                const note = err instanceof Error ? err.message : String(err);
                await store.update(id, { outcome: 'failed', finishedAt: new Date().toISOString(), note }).catch(() => { });
                throw err;
            });
        }
        if (pinned)
            reporter.info(`the images are pinned by digest: no pull first (up -d fetches any ${t.label} lacks)`);
        const failure = await bringUp(t, stack, plan.services, plan, tl, reporter, 'new release', !pinned);
        if (!failure) {
            const deployed = { ...record, outcome: 'deployed', finishedAt: new Date().toISOString() };
            // The records were read under the lock this deploy still holds: they are what is on the server.
            const records = [...state.records.filter((r) => r.id !== id), deployed];
            const removed = selectPrunable(records, v.keepReleases ?? 5, [id, ...(previousId ? [previousId] : [])]);
            const unused = unusedImages(records.filter((r) => !removed.includes(r)), removed);
            const prune = removed.map((r) => r.id);
            if (!v.postDeploy && unused.length === 0) {
                // Nothing left to do under the lock: the last writes and the unlock in one command.
                store.finished(id, await lock.releaseAfter(store.finishStep(deployed, prune)));
                if (await lock.release())
                    ledger.released(target, plan.appDir);
            }
            else {
                await store.finish(deployed, prune);
            }
            for (const r of removed)
                reporter.info(`pruned release ${r.id}`);
            if (unused.length)
                await removeImages(t, unused, reporter);
            // A failing post-deploy fails the step, but the release it ran after is healthy and stays: no rollback.
            let hookFailed = false;
            if (v.postDeploy) {
                await timed(tl, 'post-deploy', () => hook(t, plan.appDir, v.postDeploy, facts, 'post-deploy', reporter)).catch((err) => {
                    hookFailed = true;
                    reporter.error(`${err instanceof Error ? err.message : String(err)} Release ${id} is deployed and healthy on ${t.label} and stays (no rollback for a post-deploy hook); fix the hook and run it by hand.`);
                    tl.note(`${t.label}: post-deploy failed after ${id} was deployed`);
                });
            }
            return {
                status: 'deployed',
                hookFailed,
                ...(previous ? { previous } : {}),
                ...(previousId ? { previousId } : {}),
            };
        }
        reporter.error(`release ${id} is not healthy on ${t.label}: ${failure}`);
        await Promise.all([
            showFailure(t, stack, plan.services, reporter),
            store.update(id, { outcome: 'failed', finishedAt: new Date().toISOString(), note: failure }),
        ]);
        const previousFacts = previousId ? { previousId } : {};
        if (!(v.rollbackOnFailure ?? true) || !previous) {
            if (!previous)
                reporter.error('There is no previous release to go back to: the new one stays as it is.');
            return { status: 'failed', ...previousFacts };
        }
        if (restoresOnRollback(v)) {
            const restored = await timed(tl, 'restore pre-deploy backup', () => restoreBeforeRollback(ctx, reporter));
            if (!restored) {
                reporter.error(`Release ${id} stays up: the database could not be put back to backup ${v.backupId}, and ${previous.id} would meet the new schema. Restore it by hand (belay restore --backup-id ${v.backupId}), then run belay rollback.`);
                return { status: 'rollback-failed', previous, ...previousFacts };
            }
        }
        const back = await rollbackHost(t, plan, previous, id, tl, reporter, cli);
        return { status: back ? 'rolled-back' : 'rollback-failed', previous, ...previousFacts };
    }
    finally {
        if (await lock.release())
            ledger.released(target, plan.appDir);
    }
}
/** The image refs of `services`, when every one is given and pinned by digest; else undefined. */
function pinnedRefs(services, images) {
    const refs = services.map((s) => images[s]);
    return refs.length > 0 && refs.every((r) => r !== undefined && DIGEST_PINNED.test(r))
        ? refs
        : undefined;
}
/** True when every image of `refs` is on the server's docker (never throws: false when it cannot tell). */
async function imagesPresent(t, refs) {
    const r = await t.exec((0,command/* cmd */.HW)('docker', 'image', 'inspect', '--format', '.', '--', ...refs)).catch(() => undefined);
    return r?.code === 0;
}
function takeLock(t, appDir, owner, v, reporter, reconnect, then) {
    return (0,lock/* acquireDeployLock */.zE)(t, appDir, owner, {
        reconnect,
        ...(then ? { then } : {}),
        timeoutMs: v.lockTimeout ?? 5 * 60_000,
        staleAfterMs: v.lockStaleAfter ?? 3_600_000,
        progress: (waited, holder) => reporter.info(`waiting for the deploy lock on ${t.label} (${(0,duration/* formatDuration */.a3)(waited)} so far)${holder ? `, held by ${holder.actor ?? '?'} for release ${holder.release}` : ''}`),
        warn: (message) => reporter.warn(message),
    });
}
/**
 * The post step of deploy and rollback: the locks the main step took and did not release (the job was cancelled,
 * or the server could not be reached at the end) are released if they are still this run's. Someone else's lock
 * is left alone. Never fails the job: what cannot be released is a warning with the command to run by hand.
 */
async function releaseLeftLocks({ reporter, face, loaded, state }) {
    const left = (0,left_locks/* parseLeftLocks */.nM)(state?.(left_locks/* LEFT_LOCKS */.LY) ?? '');
    if (left.length === 0)
        return true;
    const { options } = (0,connection/* resolveConnection */.X)(loaded.values, face);
    const pool = new transport_pool/* ConnectionPool */.j(options, reporter);
    try {
        for (const { target, appDir, owner } of left) {
            const where = `${target.user}@${target.host}:${target.port}`;
            try {
                const released = await (0,lock/* releaseIfOurs */.CV)(await pool.get(target), appDir, owner);
                reporter.info(released
                    ? `released the deploy lock of release ${owner.release} on ${where}, left by this job`
                    : `the deploy lock on ${where} is not this job's any more (released, or broken as stale): left alone`);
            }
            catch (err) {
                reporter.warn((0,lock/* notReleased */.d_)(where, err instanceof Error ? err.message : String(err), appDir));
            }
        }
    }
    finally {
        await pool.closeAll();
    }
    return true;
}
/**
 * The images of pruned releases that no kept release uses: only images belay deployed (the refs in the records).
 */
function unusedImages(kept, pruned) {
    const used = new Set(kept.flatMap((r) => Object.values(r.images)));
    return [...new Set(pruned.flatMap((r) => Object.values(r.images)))].filter((ref) => !used.has(ref));
}
/** `unused` removed from the server's docker; docker itself refuses one a container still uses, which is then left. */
async function removeImages(t, unused, reporter) {
    const r = await t.exec((0,command/* cmd */.HW)('docker', 'image', 'rm', '--', ...unused));
    const gone = unused.filter((ref) => !r.stderr.includes(ref));
    if (gone.length)
        reporter.info(`removed ${gone.length} image(s) no kept release uses: ${gone.join(', ')}`);
    if (r.code !== 0)
        reporter.debug(`docker image rm left some: ${lastLine(r.stderr)}`);
}
/**
 * The previous release's compose files, env and images, back up and through the same gate. Returns true when it
 * is healthy again; otherwise prints the exact commands to run by hand.
 */
async function rollbackHost(t, plan, previous, failedId, tl, reporter, known) {
    const cli = known ?? (await (0,compose/* detectCompose */.ib)(t));
    const store = new ReleaseStore(t, plan.appDir);
    const stack = stackOf(previous, store, cli, plan.appDir);
    reporter.warn(`rolling back to release ${previous.id} on ${t.label}`);
    // Its images ran seconds ago: when every one is still on the server, the pull is skipped.
    const refs = previous.services.map((s) => previous.images[s]);
    const present = refs.length > 0 && refs.every(Boolean) && (await imagesPresent(t, refs));
    const failure = await bringUp(t, stack, previous.services, plan, tl, reporter, 'rollback', !present);
    if (!failure) {
        await store.setCurrent(previous.id);
        await store.update(failedId, { outcome: 'rolled-back' }).catch(() => undefined);
        reporter.error(`release ${failedId} was rolled back: ${previous.id} is serving again on ${t.label}`);
        tl.note(`${t.label}: rolled back from ${failedId} to ${previous.id} (compose files, env and images of ${previous.id})`);
        return true;
    }
    await showFailure(t, stack, previous.services, reporter);
    const by = (0,compose/* compose */.Zz)(stack, 'up', '-d', ...previous.services);
    reporter.error(`The rollback to ${previous.id} is not healthy either (${failure}). By hand on ${t.label}: ${renderForHuman(by)} ; then check \`${renderForHuman((0,compose/* compose */.Zz)(stack, 'ps'))}\` and the logs.`);
    return false;
}
/** A command as a person pastes it into a shell on the server: quoted where it needs to be. */
const renderForHuman = (c) => (0,command/* render */.XX)(c);
/** pull, up -d, gate. Returns undefined when healthy, else why not. */
async function bringUp(t, stack, services, check, tl, reporter, what, pull = true) {
    if (pull) {
        const pulled = await timed(tl, `pull (${what})`, () => t.exec((0,compose/* compose */.Zz)(stack, 'pull', '--quiet', ...services)));
        if (pulled.code !== 0)
            return `pulling its images failed: ${lastLine(pulled.stderr)}`;
    }
    // The gate's first look at the containers comes back with `up -d`, in the same round trip.
    const { up, states } = await timed(tl, `up -d (${what})`, () => (0,compose/* upThenLook */.mq)(t, stack, services));
    if (up.code !== 0)
        return `docker compose up failed: ${lastLine(up.stderr)}`;
    const failure = await timed(tl, `health gate (${what})`, () => gate(t, stack, services, check, reporter, (text) => tl.note(`${t.label}, ${what}: ${text}`), states));
    if (failure)
        tl.note(`${t.label}, ${what}: not healthy: ${failure.split('\n')[0]}`);
    return failure;
}
async function gate(t, stack, services, check, reporter, note, 
/** The containers as they were just seen, for the first look. */
seen) {
    const v = check.values;
    const timeoutMs = v.healthTimeout ?? 60_000;
    const intervalMs = v.healthInterval ?? 2_000;
    const deadline = Date.now() + timeoutMs;
    if (check.gate.containers) {
        for (;;) {
            const states = seen ?? (await (0,compose/* serviceStates */._H)(t, stack, services));
            seen = undefined;
            const names = services.length ? services : [...new Set(states.map((s) => s.service))];
            const verdict = (0,compose/* containersVerdict */.YY)(states, names);
            if (verdict.ready) {
                reporter.info(`containers: ${verdict.why}`);
                note(`containers ${verdict.why}`);
                break;
            }
            if (verdict.final || Date.now() >= deadline)
                return `containers: ${verdict.why}`;
            await sleep(Math.min(intervalMs, 1000));
        }
    }
    if (check.gate.url) {
        const options = (0,run.healthOptions)({
            url: v.healthUrl,
            ...(v.healthExpectStatus ? { expectStatus: v.healthExpectStatus } : {}),
            ...(v.healthExpectBody ? { expectBody: v.healthExpectBody } : {}),
            ...(v.healthExpectJson ? { expectJson: v.healthExpectJson } : {}),
            timeout: Math.max(1000, deadline - Date.now()),
            interval: intervalMs,
            requestTimeout: v.healthRequestTimeout ?? 5_000,
            healthyThreshold: v.healthHealthyThreshold ?? 1,
            ...(v.healthHeaders ? { headers: v.healthHeaders } : {}),
        });
        for (const value of Object.values(options.headers))
            reporter.secret(value);
        const openTunnel = v.healthViaSsh
            ? async (host, port) => {
                const f = await t.forward(host, port);
                return { host: f.localHost, port: f.localPort, close: () => f.close() };
            }
            : undefined;
        const result = await (0,health_check/* checkHealth */.Ns)(options, { reporter, ...(openTunnel ? { openTunnel } : {}) });
        if (!result.healthy)
            return (0,health_check/* describeFailure */.Ic)(result, options);
        reporter.info(`✓ ${v.healthUrl} healthy after ${result.attempts} attempt(s)`);
        note(`${v.healthUrl} healthy after ${result.attempts} attempt(s)`);
    }
    return undefined;
}
/** What the failing containers said: their last log lines and their healthcheck's own log. */
async function showFailure(t, stack, services, reporter) {
    const [logs, states] = await Promise.all([
        t.exec((0,compose/* compose */.Zz)(stack, 'logs', '--no-color', '--tail', '30', ...services)),
        (0,compose/* serviceStates */._H)(t, stack, services),
    ]);
    await reporter.group('What the failing containers said', async () => {
        for (const s of states) {
            reporter.info(`${s.name}: ${s.status}${s.health ? `, ${s.health}` : ''}, ${s.restarts} restart(s), image ${s.image}`);
            for (const line of s.healthLog)
                reporter.info(`  healthcheck ${line}`);
        }
        // compose writes terminal control sequences (erase line) even with --no-color; a log is plain text.
        const text = `${logs.stdout}${logs.stderr}`.replace(TERMINAL_CONTROL, '');
        for (const line of text.trim().split('\n').slice(-60))
            reporter.info(line);
    });
}
/** A user's hook: their own shell text, run by sh in app-dir, with the release's facts as variables (not pasted in). */
async function hook(t, appDir, text, facts, name, reporter) {
    const runner = 'cd -- "$1" && shift && exec sh -ec "$1"';
    const r = await t.exec((0,command/* cmd */.HW)('env', ...Object.entries(facts).map(([k, val]) => `${k}=${val}`), 'sh', '-c', runner, 'belay', appDir, text), { onStdout: (c) => reporter.info(c.toString().trimEnd()) });
    if (r.code !== 0)
        throw new errors/* BelayError */.oT(`${name} failed (exit ${r.code}): ${lastLine(r.stderr) || 'no message'}.`);
}
/** Who takes the lock for `release`: this run (url, actor), this runner and process, and now. */
function lockOwner(release) {
    const p = (0,manifest/* provenance */.aH)();
    return {
        release,
        ...(p.run?.url ? { run: p.run.url } : {}),
        ...(p.run?.actor ? { actor: p.run.actor } : {}),
        host: (0,external_node_os_.hostname)(),
        pid: process.pid,
        time: new Date().toISOString(),
    };
}
function parseJson(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        throw new errors/* InputError */.dz('migrations', 'it is not JSON', "Pass the migrate step's applied output as it is.");
    }
}
const lastLine = (text) => text.trim().split('\n').filter(Boolean).pop() ?? '';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** `belay releases`: the release history on the first host. */
async function runReleases({ reporter, face, loaded }) {
    const v = loaded.values;
    if (!v.app)
        throw (0,config_layers/* missing */.LO)('app', face);
    const appDir = (0,belay_dir/* appDirFor */.wY)(loaded.values);
    const { targets, options } = (0,connection/* resolveConnection */.X)(v, face);
    const pool = new transport_pool/* ConnectionPool */.j(options, reporter);
    try {
        const store = new ReleaseStore(await pool.get(targets[0]), appDir);
        const [list, current] = await Promise.all([store.list(), store.current()]);
        const rows = list.map((r) => [
            r.id + (r.id === current ? ' ← current' : ''),
            r.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
            r.outcome,
            Object.entries(r.images)
                .map(([s, ref]) => `${s}=${ref}`)
                .join(' '),
            r.run?.actor ?? '',
        ]);
        const table = (0,report_reporter/* markdownTable */.Qj)(['Release', 'Started', 'Status', 'Images', 'Actor'], rows);
        reporter.info(list.length ? table : `no releases of ${v.app} in ${appDir}`);
        reporter.summary(`### belay releases of ${v.app}\n\n${table}`);
        reporter.setOutput('releases', JSON.stringify(list.map((r) => ({
            id: r.id,
            createdAt: r.createdAt,
            outcome: r.outcome,
            current: r.id === current,
            images: r.images,
            ...(r.run?.actor ? { actor: r.run.actor } : {}),
        }))));
        return true;
    }
    finally {
        await pool.closeAll();
    }
}
/**
 * `belay rollback [--release <id>]`: to the release before the current one, or a named one. Its images must be
 * present (pinned by digest and on the server) or pullable (pulled) before anything running is touched; then the
 * same up and health gate as a deploy.
 */
async function runRollback({ reporter, face, loaded }) {
    const v = loaded.values;
    if (!v.app)
        throw (0,config_layers/* missing */.LO)('app', face);
    if (!v.host)
        throw (0,config_layers/* missing */.LO)('host', face);
    checkConfirmation(v);
    const appDir = (0,belay_dir/* appDirFor */.wY)(loaded.values);
    const check = gateSpec(v);
    const { targets, options } = (0,connection/* resolveConnection */.X)(v, face);
    const pool = new transport_pool/* ConnectionPool */.j(options, reporter);
    const spare = new transport_pool/* ConnectionPool */.j(options, reporter);
    const ledger = new left_locks/* LockLedger */.vo(reporter);
    const tl = timeline();
    const url = v.environmentUrl ?? v.healthUrl;
    let status = 'failed';
    let why = '';
    let deployment;
    try {
        for (const target of targets) {
            const t = await pool.get(target);
            const cli = await (0,compose/* detectCompose */.ib)(t);
            const store = new ReleaseStore(t, appDir);
            const current = await store.current();
            const list = await store.list();
            const to = v.release
                ? list.find((r) => r.id === v.release)
                : [...list].reverse().find((r) => r.id !== current && r.outcome === 'deployed');
            if (!to) {
                throw new errors/* InputError */.dz('release', v.release
                    ? `there is no release ${v.release} of ${v.app} on ${t.label}`
                    : `there is no earlier healthy release of ${v.app} on ${t.label}`, `See them with belay releases; the newest are: ${list
                    .slice(-5)
                    .map((r) => r.id)
                    .join(', ') || 'none'}.`);
            }
            const owner = lockOwner(to.id);
            deployment ??= await (0,deployments/* startDeployment */.i)(v.githubToken, {
                environment: v.environment ?? 'production',
                description: `belay rollback ${v.app} to ${to.id}`,
                payload: { app: v.app, release: to.id },
            }, reporter);
            ledger.taken(target, appDir, owner);
            const lock = await takeLock(t, appDir, owner, v, reporter, () => spare.get(target)).catch((err) => {
                ledger.released(target, appDir);
                throw err;
            });
            try {
                const stack = stackOf(to, store, cli, appDir);
                // Present or pullable, before anything running is touched: images pinned by digest that the server has
                // are used as they are (so a rollback works while the registry is down); anything else is pulled.
                const refs = pinnedRefs(to.services, to.images);
                if (refs && (await imagesPresent(t, refs))) {
                    reporter.info(`the images of ${to.id} (pinned by digest) are on ${t.label} already: no pull`);
                }
                else {
                    const pulled = await timed(tl, `pull (rollback to ${to.id})`, () => t.exec((0,compose/* compose */.Zz)(stack, 'pull', '--quiet', ...to.services)));
                    if (pulled.code !== 0) {
                        throw new errors/* BelayError */.oT(`The images of ${to.id} cannot be pulled on ${t.label} (${lastLine(pulled.stderr)}): nothing was changed.`);
                    }
                }
                const failure = await bringUp(t, stack, to.services, check, tl, reporter, `rollback to ${to.id}`, false);
                if (failure) {
                    await showFailure(t, stack, to.services, reporter);
                    reporter.error(`Release ${to.id} is not healthy on ${t.label}: ${failure}.`);
                    status = 'rollback-failed';
                    why = `${t.label}: ${failure}`;
                    break;
                }
                await store.setCurrent(to.id);
                if (current)
                    await store.update(current, { outcome: 'rolled-back' }).catch(() => undefined);
                await store.update(to.id, { outcome: 'deployed', finishedAt: new Date().toISOString() });
                reporter.setOutput('previous-release-id', current ?? '');
                reporter.setOutput('release-id', to.id);
                status = 'deployed';
                reporter.info(`✓ ${t.label} is on release ${to.id} again, healthy`);
            }
            finally {
                if (await lock.release())
                    ledger.released(target, appDir);
            }
        }
    }
    catch (err) {
        why = err instanceof Error ? err.message : String(err);
        throw err;
    }
    finally {
        await Promise.all([pool.closeAll(), spare.closeAll()]);
        reporter.setOutput('status', status);
        if (url)
            reporter.setOutput('url', url);
        await deployment?.finish(status, status === 'deployed' ? 'rolled back, healthy' : why, url);
        reporter.summary(summaryOf(`belay rollback ${v.app}: ${status}`, tl));
    }
    return status === 'deployed';
}


/***/ })

};
