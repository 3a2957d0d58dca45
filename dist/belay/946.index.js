import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 946;
export const ids = [946,978,597,740,359];
export const modules = {

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

/***/ 4925:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runDoctor: () => (/* binding */ runDoctor),
  textTable: () => (/* binding */ textTable)
});

// EXTERNAL MODULE: ./src/config/connection.ts
var connection = __webpack_require__(9420);
// EXTERNAL MODULE: ./src/core/errors.ts
var errors = __webpack_require__(4296);
// EXTERNAL MODULE: ./src/core/hosts.ts
var hosts = __webpack_require__(3848);
// EXTERNAL MODULE: ./src/report/reporter.ts
var report_reporter = __webpack_require__(4969);
// EXTERNAL MODULE: ./src/deploy/belay-dir.ts
var belay_dir = __webpack_require__(6755);
// EXTERNAL MODULE: ./src/transport/pool.ts + 3 modules
var transport_pool = __webpack_require__(2548);
// EXTERNAL MODULE: ./src/core/command.ts
var command = __webpack_require__(6102);
// EXTERNAL MODULE: ./src/core/duration.ts
var duration = __webpack_require__(8571);
// EXTERNAL MODULE: ./src/deploy/compose.ts
var compose = __webpack_require__(5003);
// EXTERNAL MODULE: ./src/server/docker.ts
var docker = __webpack_require__(3312);
;// CONCATENATED MODULE: ./src/doctor/checks.ts
/**
 * What a deploy needs on a server, checked over one SSH connection. Each check turns command results into a
 * verdict with the fix spelled out; the remote commands are built as data (paths reach the shell only as quoted
 * positional arguments of constant scripts).
 */




const ok = (check, detail) => ({ check, status: 'ok', detail });
const warn = (check, detail, fix) => ({ check, status: 'warn', detail, fix });
const fail = (check, detail, fix) => ({ check, status: 'fail', detail, fix });
const firstLine = (text) => text.trim().split('\n')[0]?.trim() ?? '';
async function checkDocker(t, user) {
    const r = await t.exec((0,command/* cmd */.HW)('docker', 'version', '--format', '{{.Server.Version}}'));
    if (r.code === 0)
        return ok('docker', `Docker Engine ${r.stdout.trim()}, usable by ${user}`);
    const problem = (0,docker/* dockerProblem */._8)(r, user);
    return fail('docker', problem.detail, problem.fix);
}
async function checkCompose(t) {
    const v2 = await t.exec((0,command/* cmd */.HW)('docker', 'compose', 'version', '--short'));
    if (v2.code === 0)
        return ok('compose', `Compose v2 ${v2.stdout.trim().replace(/^v/, '')} (docker compose)`);
    const v1 = await t.exec((0,command/* cmd */.HW)('docker-compose', 'version', '--short'));
    if (v1.code === 0) {
        const found = (0,compose/* dockerComposeVersion */.rv)(v1.stdout);
        const install = 'Install the Compose v2 plugin (`sudo apt-get install docker-compose-plugin` or docker-compose-v2).';
        // Some servers have v2's standalone binary under the old name: that is Compose v2, called as docker-compose.
        if ((found.major ?? 1) >= 2)
            return ok('compose', `Compose v2 ${found.version} (standalone docker-compose)`);
        if (!found.supported) {
            return fail('compose', `Compose v1 ${found.version} (docker-compose) is too old: belay needs ${compose/* COMPOSE_V1_MINIMUM */.ab} or newer, which reads compose files without a version: line`, install);
        }
        return warn('compose', `Compose v1 ${found.version} (docker-compose); belay supports it, but it is end-of-life`, install);
    }
    return fail('compose', 'neither `docker compose` (v2) nor `docker-compose` (v1) works', 'Install the Compose v2 plugin on the server.');
}
/**
 * Free space where a directory is or will be: a directory that does not exist yet is measured at its nearest
 * existing parent, which must then be writable so the deploy can create it.
 */
const DISK_PROBE = 'case $1 in /*) d=$1 ;; *) d=$HOME/$1 ;; esac; want=$d; ' +
    'while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; ' +
    'if [ -w "$d" ]; then w=writable; else w=readonly; fi; ' +
    'printf "%s\\n%s\\n%s\\n" "$want" "$d" "$w"; df -Pk -- "$d" | tail -n 1';
async function checkDisk(t, user, label, dir, minFree) {
    const name = `disk (${label})`;
    const r = await t.exec((0,command/* cmd */.HW)('sh', '-c', DISK_PROBE, 'sh', dir));
    const [wanted, existing, writable, dfLine] = r.stdout.trim().split('\n');
    const availableKb = Number(dfLine?.trim().split(/\s+/)[3]);
    if (r.code !== 0 || !existing || !Number.isFinite(availableKb)) {
        return fail(name, `could not measure free space of ${dir}: ${firstLine(r.stderr) || 'no df output'}`, 'Check that df works on the server.');
    }
    const free = availableKb * 1024;
    const where = existing === wanted ? wanted : `${wanted} (not created yet; measured at ${existing})`;
    if (writable !== 'writable') {
        return fail(name, `${where} is not writable`, `Run \`sudo mkdir -p ${wanted} && sudo chown ${user} ${wanted}\` on the server.`);
    }
    const detail = `${(0,duration/* formatSize */.Xq)(free)} free in ${where}`;
    if (free < Math.min(minFree, 100 * 1024 ** 2))
        return fail(name, detail, 'Free disk space (old images: `docker image prune -a`).');
    if (free < minFree)
        return warn(name, `${detail}, below min-free-disk ${(0,duration/* formatSize */.Xq)(minFree)}`, 'Free disk space (`docker image prune -a`, old backups).');
    return ok(name, detail);
}
async function checkClock(t, maxSkewMs, now = Date.now) {
    const before = now();
    const r = await t.exec((0,command/* cmd */.HW)('date', '-u', '+%s'));
    const after = now();
    const remote = Number(r.stdout.trim()) * 1000;
    if (r.code !== 0 || !Number.isFinite(remote))
        return warn('clock', 'could not read the server clock', 'Check that `date` works on the server.');
    // The server read its clock somewhere during the round trip; its second resolution adds up to 1 s of doubt.
    const skew = remote + 500 - (before + after) / 2;
    const detail = `server clock ${skew >= 0 ? 'ahead' : 'behind'} by ${(0,duration/* formatDuration */.a3)(Math.abs(skew))} (±${(0,duration/* formatDuration */.a3)(after - before + 500)})`;
    if (Math.abs(skew) - (after - before) / 2 - 500 > maxSkewMs) {
        return fail('clock', detail, 'Enable time sync on the server: `sudo timedatectl set-ntp true`.');
    }
    return ok('clock', detail);
}
/** Whether the database answers where the server would reach it. */
async function checkDatabase(t, user, url) {
    if (url.startsWith('sqlite:'))
        return checkSqlite(t, user, sqlitePath(url));
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = Number(parsed.port || 5432);
    const forward = await t.forward(host, port);
    try {
        const answer = await postgresProbe(forward.localHost, forward.localPort);
        if (answer === 'postgres')
            return ok('database', `PostgreSQL answers at ${host}:${port} (as seen from the server)`);
        return fail('database', `${host}:${port} answered, but not as PostgreSQL`, 'Check the host and port in database-url.');
    }
    catch (err) {
        const why = err.message;
        return fail('database', `PostgreSQL at ${host}:${port} is not reachable from the server: ${why}`, 'Start the database, or fix the host and port in database-url (they are seen from the server).');
    }
    finally {
        await forward.close();
    }
}
/** `sqlite:///srv/app/db.sqlite` (absolute), `sqlite://data/db.sqlite` or `sqlite:data/db.sqlite` (relative). */
function sqlitePath(url) {
    return decodeURIComponent(url.replace(/^sqlite:(\/\/)?/, ''));
}
async function checkSqlite(t, user, path) {
    const r = await t.exec((0,command.or)((0,command/* redirect */.V2)((0,command/* cmd */.HW)('test', '-w', path), '>/dev/null 2>&1'), (0,command/* cmd */.HW)('sh', '-c', 'test -e "$1" && echo exists || echo missing', 'sh', path)));
    if (r.code === 0 && r.stdout.trim() === '')
        return ok('database', `SQLite file ${path} exists and is writable`);
    if (r.stdout.trim() === 'missing')
        return warn('database', `SQLite file ${path} does not exist yet`, 'Check database-url if the app should already have created it.');
    return fail('database', `SQLite file ${path} is not writable by the SSH user`, `Fix its owner or mode on the server (e.g. \`sudo chown ${user} ${path}\`).`);
}
/**
 * PostgreSQL's SSLRequest: 8 bytes that any PostgreSQL server answers with one byte, `S` or `N`, before any
 * authentication. Tells "a PostgreSQL server listens there" without credentials or a driver.
 */
async function postgresProbe(host, port, timeoutMs = 5000) {
    const { connect } = await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 7030, 23));
    return new Promise((resolve, reject) => {
        const socket = connect({ host, port });
        const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${(0,duration/* formatDuration */.a3)(timeoutMs)}`)), timeoutMs);
        socket.once('connect', () => socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
        socket.once('data', (data) => {
            clearTimeout(timer);
            socket.destroy();
            resolve(data.length === 1 && (data[0] === 0x53 || data[0] === 0x4e) ? 'postgres' : 'other');
        });
        socket.once('error', (err) => {
            clearTimeout(timer);
            reject(new Error(err.code === 'ECONNREFUSED' ? 'connection refused' : err.message));
        });
        socket.once('close', () => {
            clearTimeout(timer);
            reject(new Error('the connection was closed without an answer'));
        });
    });
}

;// CONCATENATED MODULE: ./src/doctor/run.ts
/** `belay doctor` / the doctor action: every check on every host, a ✓/⚠/✗ table, exit 1 on any ✗. */







const ICON = { ok: '✓', warn: '⚠', fail: '✗' };
async function runDoctor({ reporter, face, loaded }) {
    const v = loaded.values;
    const { targets, options } = (0,connection/* resolveConnection */.X)(v, face);
    const pool = new transport_pool/* ConnectionPool */.j(options, reporter);
    const rows = [];
    try {
        for (const target of targets) {
            const label = (0,hosts/* hostLabel */.v)(target);
            const results = await reporter.group(`Checking ${label}`, () => checkHost(pool, target, loaded.values));
            rows.push(...results.map((r) => ({ host: label, ...r })));
        }
    }
    finally {
        await pool.closeAll();
    }
    const failures = rows.filter((r) => r.status === 'fail').length;
    const warnings = rows.filter((r) => r.status === 'warn').length;
    reporter.info(textTable(rows));
    reporter.setOutput('ok', failures === 0);
    reporter.setOutput('failures', failures);
    reporter.setOutput('warnings', warnings);
    reporter.setOutput('report', JSON.stringify(rows));
    reporter.summary(`### ${failures ? '❌' : '✅'} belay doctor\n\n` +
        (0,report_reporter/* markdownTable */.Qj)(['', 'Host', 'Check', 'Result', 'Fix'], rows.map((r) => [ICON[r.status], r.host, r.check, r.detail, r.fix ?? ''])));
    const verdict = `${failures} failed, ${warnings} warning(s), ${rows.length - failures - warnings} ok`;
    if (failures > 0) {
        reporter.error(`doctor: ${verdict}. Fix the ✗ rows above and run doctor again.`);
        return false;
    }
    reporter.info(`doctor: ${verdict}`);
    return true;
}
async function checkHost(pool, target, v) {
    let transport;
    try {
        transport = await pool.get(target);
    }
    catch (err) {
        return [
            {
                check: 'connection',
                status: 'fail',
                detail: (0,errors/* describeError */.Uc)(err),
                fix: 'See the message: fix the connection inputs, then run doctor again.',
            },
        ];
    }
    const connection = {
        check: 'connection',
        status: 'ok',
        detail: `connected as ${target.user}; host key ${transport.hostKey ?? 'verified'}`,
    };
    // The checks share the one connection; each is its own channel, so they can run side by side.
    const checks = [
        ['docker', checkDocker(transport, target.user)],
        ['compose', checkCompose(transport)],
        ['disk (app-dir)', checkDisk(transport, target.user, 'app-dir', (0,belay_dir/* appDirFor */.wY)(v), v.minFreeDisk ?? 1024 ** 3)],
        [
            'disk (backup-dir)',
            checkDisk(transport, target.user, 'backup-dir', v.backupDir ?? 'belay/backups', v.minFreeDisk ?? 1024 ** 3),
        ],
        ['clock', checkClock(transport, v.maxClockSkew ?? 30_000)],
    ];
    if (v.databaseUrl)
        checks.push(['database', checkDatabase(transport, target.user, v.databaseUrl)]);
    const settled = await Promise.allSettled(checks.map(([, check]) => check));
    return [
        connection,
        ...settled.map((s, i) => s.status === 'fulfilled'
            ? s.value
            : {
                check: checks[i][0],
                status: 'fail',
                detail: (0,errors/* describeError */.Uc)(s.reason),
                fix: 'Run doctor again; if it persists, check the server.',
            }),
    ];
}
/** A plain-text table for logs and terminals: icon, host, check, result, and the fix on its own line. */
function textTable(rows) {
    const hostWidth = Math.max(4, ...rows.map((r) => r.host.length));
    const checkWidth = Math.max(5, ...rows.map((r) => r.check.length));
    const lines = [`   ${'HOST'.padEnd(hostWidth)}  ${'CHECK'.padEnd(checkWidth)}  RESULT`];
    for (const r of rows) {
        lines.push(`${ICON[r.status]}  ${r.host.padEnd(hostWidth)}  ${r.check.padEnd(checkWidth)}  ${r.detail}`);
        if (r.fix)
            lines.push(`   ${' '.repeat(hostWidth)}  ${' '.repeat(checkWidth)}  → ${r.fix}`);
    }
    return lines.join('\n');
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
