import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 36;
export const ids = [36,978,597,740,359];
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

/***/ 1036:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   configFileExists: () => (/* reexport safe */ _layers_js__WEBPACK_IMPORTED_MODULE_4__.configFileExists),
/* harmony export */   loadConfig: () => (/* binding */ loadConfig),
/* harmony export */   missing: () => (/* reexport safe */ _layers_js__WEBPACK_IMPORTED_MODULE_4__.LO),
/* harmony export */   readConfigFile: () => (/* binding */ readConfigFile)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var yaml__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8815);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4296);
/* harmony import */ var _inputs_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(4442);
/* harmony import */ var _layers_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(9597);
/**
 * The configuration of a run: the layers (layers.ts) over the belay.yml, which this module reads. Only this module
 * imports the YAML parser, and the engine loads it only when there is a belay.yml to read.
 */






/**
 * Every layer, belay.yml included, resolved and parsed for one command: what a capability receives as `loaded`.
 */
function loadConfig(command, sources) {
    return (0,_layers_js__WEBPACK_IMPORTED_MODULE_4__.loadLayers)(command, sources, readConfigFile);
}
/** Reads and checks the belay.yml at `path` (which exists): its top level and its `environments:` sections. */
function readConfigFile(path) {
    const lines = new yaml__WEBPACK_IMPORTED_MODULE_1__/* .LineCounter */ .HN();
    const doc = (0,yaml__WEBPACK_IMPORTED_MODULE_1__/* .parseDocument */ .Tp)((0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(path, 'utf8'), { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const lineOf = (node) => {
        const range = node && 'range' in node ? node.range : node && 'key' in node ? node.key?.range : undefined;
        return range ? lines.linePos(range[0]).line : 0;
    };
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(`${path}:${lines.linePos(e.pos[0]).line}: not valid YAML (${e.message.split('\n')[0]}). Fix the file.`);
    }
    if (doc.contents === null)
        return { path, top: new Map(), environments: new Map() };
    if (!(0,yaml__WEBPACK_IMPORTED_MODULE_1__/* .isMap */ .jh)(doc.contents))
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(`${path}:1: expected a map of settings at the top level. See the README for the format.`);
    const environments = new Map();
    const top = readSection(doc.contents, path, lineOf, (keyName, pair) => {
        if (keyName !== 'environments')
            return false;
        if (!(0,yaml__WEBPACK_IMPORTED_MODULE_1__/* .isMap */ .jh)(pair.value))
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(`${path}:${lineOf(pair)}: environments must be a map of names to settings, like staging: {host: ...}.`);
        for (const envPair of pair.value.items) {
            const envName = String((0,yaml__WEBPACK_IMPORTED_MODULE_1__/* .isScalar */ .jn)(envPair.key) ? envPair.key.value : envPair.key);
            if (!(0,yaml__WEBPACK_IMPORTED_MODULE_1__/* .isMap */ .jh)(envPair.value))
                throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(`${path}:${lineOf(envPair)}: environments.${envName} must be a map of settings.`);
            environments.set(envName, readSection(envPair.value, path, lineOf, () => false));
        }
        return true;
    });
    return { path, top, environments };
}
function readSection(map, path, lineOf, special) {
    const out = new Map();
    for (const pair of map.items) {
        const key = String((0,yaml__WEBPACK_IMPORTED_MODULE_1__/* .isScalar */ .jn)(pair.key) ? pair.key.value : pair.key);
        if (special(key, pair))
            continue;
        const inputKey = _inputs_js__WEBPACK_IMPORTED_MODULE_3__/* .KEY_BY_NAME */ .GJ.get(key);
        if (!inputKey || ('notInFile' in _inputs_js__WEBPACK_IMPORTED_MODULE_3__/* .INPUTS */ .mc[inputKey] && _inputs_js__WEBPACK_IMPORTED_MODULE_3__/* .INPUTS */ .mc[inputKey].notInFile)) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(`${path}:${lineOf(pair)}: unknown key "${key}"${suggest(key)}. Remove it or fix its name.`);
        }
        out.set(key, { raw: yamlValueToText(pair.value), line: lineOf(pair) });
    }
    return out;
}
/** belay.yml allows natural YAML: numbers, booleans, lists (joined by newlines) and maps (as JSON, for expect-json). */
function yamlValueToText(node) {
    if (node === null)
        return '';
    if ((0,yaml__WEBPACK_IMPORTED_MODULE_1__/* .isScalar */ .jn)(node))
        return node.value === null ? '' : String(node.value);
    if ((0,yaml__WEBPACK_IMPORTED_MODULE_1__/* .isSeq */ .oP)(node))
        return node.items.map((n) => yamlValueToText(n)).join('\n');
    return JSON.stringify(node.toJSON());
}
function suggest(key) {
    const names = [..._inputs_js__WEBPACK_IMPORTED_MODULE_3__/* .KEY_BY_NAME */ .GJ.keys(), 'environments'];
    const close = names.find((n) => n.startsWith(key.slice(0, 4)) || key.startsWith(n));
    return close ? ` (did you mean "${close}"?)` : '';
}


/***/ })

};
