import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 216;
export const ids = [216,978,597,740,359,502];
export const modules = {

/***/ 1978:
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

/***/ 6216:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   STAGES: () => (/* binding */ STAGES),
/* harmony export */   releaseStages: () => (/* binding */ releaseStages),
/* harmony export */   runRelease: () => (/* binding */ runRelease)
/* harmony export */ });
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1421);
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_child_process__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _config_layers_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(1978);
/* harmony import */ var _core_duration_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(8571);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(4296);
/* harmony import */ var _report_reporter_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(4969);
/**
 * `belay release` / the release action: build-image → backup → migrate → deploy, in one step, each stage the same
 * code as its own command. A stage that fails stops the release there: a failed build, backup or migration
 * verification leaves the server running what it ran (the migrate stage applies nothing once verification
 * failed), and a deploy that is not healthy rolls back by itself as a deploy does. What one stage produced is
 * handed to the next: the built image's digest ref into `images`, the backup id and the applied migrations into
 * the release record.
 */







const STAGES = ['build', 'backup', 'migrate', 'deploy'];
/** Outputs of the stages that are the release's own outputs too (`status` is the release's, set below). */
const FORWARDED = new Set(['ref', 'digest', 'backup-id', 'applied', 'release-id', 'previous-release-id', 'url']);
/** Which stages run: the `stages` input, or what the settings ask for (`auto`). */
function releaseStages(v, cwd) {
    const given = (v.stages ?? 'auto').trim();
    if (given === 'auto') {
        const sqlite = v.engine === 'sqlite';
        const database = sqlite ? !!v.sqlitePath : !!v.database;
        const migrations = !sqlite && (!!v.databaseUrl || !!v.database) && (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.existsSync)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.resolve)(cwd, v.dir ?? 'migrations'));
        return STAGES.filter((s) => s === 'deploy' ||
            (s === 'build' && !!v.image) ||
            (s === 'backup' && database) ||
            (s === 'migrate' && migrations));
    }
    const asked = given.split(/[\s,]+/).filter(Boolean);
    for (const s of asked) {
        if (!STAGES.includes(s)) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_5__/* .InputError */ .dz('stages', `"${s}" is not a stage`, `Use auto, or a list of ${STAGES.join(', ')}.`);
        }
    }
    return STAGES.filter((s) => asked.includes(s));
}
/** The label of the pre-deploy backup: `pre-deploy-<commit>` (GITHUB_SHA, else the workspace's HEAD). */
function preDeployLabel(cwd) {
    let sha = process.env.GITHUB_SHA;
    if (!sha) {
        try {
            sha = (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.execFileSync)('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        }
        catch {
            sha = undefined;
        }
    }
    return sha ? `pre-deploy-${sha.trim().slice(0, 7)}` : 'pre-deploy';
}
/** The service that runs the built image: build-service, else the only one in services (or in images). */
function builtService(v, face) {
    if (v.buildService)
        return v.buildService;
    const named = v.services ? v.services.split(/[\s,]+/).filter(Boolean) : [];
    if (named.length === 1)
        return named[0];
    throw (0,_config_layers_js__WEBPACK_IMPORTED_MODULE_3__/* .missing */ .LO)('buildService', face, 'release builds an image but does not know which compose service runs it, so it');
}
/** Sets `service=ref` in the images lines, replacing that service's line when there is one. */
function withImage(images, service, ref) {
    const kept = (images ?? '').split('\n').filter((l) => l.trim() && l.slice(0, l.indexOf('=')).trim() !== service);
    return [...kept, `${service}=${ref}`].join('\n');
}
async function runRelease(ctx) {
    const { reporter, face, loaded, cwd } = ctx;
    const v = loaded.values;
    if (!v.app)
        throw (0,_config_layers_js__WEBPACK_IMPORTED_MODULE_3__/* .missing */ .LO)('app', face);
    if (!v.host)
        throw (0,_config_layers_js__WEBPACK_IMPORTED_MODULE_3__/* .missing */ .LO)('host', face);
    // Loaded, not imported: deploy's code is then one chunk of the bundle that both deploy and release load.
    const { checkConfirmation, planDeploy } = await Promise.all(/* import() */[__webpack_require__.e(487), __webpack_require__.e(49), __webpack_require__.e(931), __webpack_require__.e(574)]).then(__webpack_require__.bind(__webpack_require__, 5574));
    checkConfirmation(v);
    const stages = releaseStages(v, cwd);
    // Everything deploy will refuse is refused now, before a stage changes anything.
    planDeploy(loaded, face, cwd);
    const service = stages.includes('build') ? builtService(v, face) : undefined;
    if (stages.includes('build') && !v.image)
        throw (0,_config_layers_js__WEBPACK_IMPORTED_MODULE_3__/* .missing */ .LO)('image', face, 'the build stage is asked for, so it');
    const outputs = { build: {}, backup: {}, migrate: {}, deploy: {} };
    const rows = [];
    let values = v;
    let stoppedAt = 'done';
    let status = 'failed';
    reporter.info(`release ${v.app}: ${stages.join(' → ')}`);
    try {
        for (const stage of stages) {
            const started = Date.now();
            const ok = await reporter
                .group(`belay release: ${stage}`, () => runStage(stage, ctx, values, stageReporter(reporter, outputs[stage])))
                .catch((err) => {
                stoppedAt = stage;
                rows.push([stage, 'failed', (0,_core_duration_js__WEBPACK_IMPORTED_MODULE_4__/* .formatDuration */ .a3)(Date.now() - started)]);
                throw err;
            });
            const result = stage === 'deploy' ? (outputs.deploy.status ?? (ok ? 'deployed' : 'failed')) : ok ? 'ok' : 'failed';
            rows.push([stage, result, (0,_core_duration_js__WEBPACK_IMPORTED_MODULE_4__/* .formatDuration */ .a3)(Date.now() - started)]);
            if (stage === 'deploy')
                status = outputs.deploy.status ?? (ok ? 'deployed' : 'failed');
            if (!ok) {
                stoppedAt = stage;
                if (stage !== 'deploy')
                    reporter.error(`release ${v.app} stopped at ${stage}: nothing was deployed.`);
                return false;
            }
            values = handOn(stage, values, outputs[stage], service);
        }
        return true;
    }
    finally {
        reporter.setOutput('stage', stoppedAt);
        reporter.setOutput('status', status);
        reporter.summary(`### belay release ${v.app}: ${status}\n\n${(0,_report_reporter_js__WEBPACK_IMPORTED_MODULE_6__/* .markdownTable */ .Qj)(['Stage', 'Result', 'Took'], rows)}`);
    }
}
/** Each stage sees the release's reporter, its outputs kept for the next stage. */
function stageReporter(reporter, outputs) {
    return Object.assign(Object.create(reporter), {
        setOutput(name, value) {
            outputs[name] = String(value);
            if (FORWARDED.has(name))
                reporter.setOutput(name, value);
        },
    });
}
async function runStage(stage, ctx, values, reporter) {
    const at = { ...ctx, reporter, loaded: { ...ctx.loaded, values } };
    switch (stage) {
        case 'build':
            return (await __webpack_require__.e(/* import() */ 639).then(__webpack_require__.bind(__webpack_require__, 4639))).runBuild(at);
        case 'backup':
            return (await Promise.all(/* import() */[__webpack_require__.e(487), __webpack_require__.e(849), __webpack_require__.e(49), __webpack_require__.e(760), __webpack_require__.e(817)]).then(__webpack_require__.bind(__webpack_require__, 1206))).runBackup({
                ...at,
                loaded: { ...at.loaded, values: { ...values, label: values.label ?? preDeployLabel(ctx.cwd) } },
            });
        case 'migrate':
            return (await Promise.all(/* import() */[__webpack_require__.e(487), __webpack_require__.e(849), __webpack_require__.e(49), __webpack_require__.e(579)]).then(__webpack_require__.bind(__webpack_require__, 1579))).runMigrate({
                ...at,
                loaded: { ...at.loaded, values: { ...values, mode: 'apply' } },
            });
        case 'deploy':
            return (await Promise.all(/* import() */[__webpack_require__.e(487), __webpack_require__.e(49), __webpack_require__.e(931), __webpack_require__.e(574)]).then(__webpack_require__.bind(__webpack_require__, 5574))).runDeploy(at);
    }
}
/** What a stage hands to the ones after it. */
function handOn(stage, v, out, service) {
    if (stage === 'build' && service && out.ref)
        return { ...v, images: withImage(v.images, service, out.ref) };
    if (stage === 'backup' && out['backup-id'])
        return { ...v, backupId: out['backup-id'] };
    if (stage === 'migrate' && out.applied)
        return { ...v, migrations: out.applied };
    return v;
}


/***/ })

};
