import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 531;
export const ids = [531,396];
export const modules = {

/***/ 396:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   primeGitContext: () => (/* binding */ primeGitContext),
/* harmony export */   readGitContext: () => (/* binding */ readGitContext),
/* harmony export */   webUrl: () => (/* binding */ webUrl)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6102);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4296);
/* harmony import */ var _process_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9853);
/**
 * The git context of a build. On GitHub it is what the runner says (GITHUB_REF, GITHUB_SHA, GITHUB_EVENT_NAME and
 * the event payload at GITHUB_EVENT_PATH, read the way docker/metadata-action reads them); in a terminal it is read
 * from the repository with git. Whatever cannot be known is left out, and the tag rules that need it give no tag.
 */




let primed;
/**
 * Starts reading the git context before the build asks for it: the engine calls this while the configuration
 * loads, so the git processes run meanwhile. The next `readGitContext` with the same env and cwd takes what was
 * started (once); a build that never comes leaves it unread.
 */
function primeGitContext(env, cwd) {
    const context = env.GITHUB_SHA ? fromGitHub(env, cwd) : fromRepository(cwd);
    context.catch(() => undefined); // reported by the build that takes it, if one does
    primed = { env, cwd, context };
}
async function readGitContext(env, cwd, options = {}) {
    const taken = primed?.env === env && primed.cwd === cwd ? primed.context : undefined;
    primed = undefined;
    if (env.GITHUB_SHA)
        return taken ?? fromGitHub(env, cwd);
    const [context, defaultBranch] = await Promise.all([
        taken ?? fromRepository(cwd),
        options.defaultBranch === false ? undefined : originDefaultBranch(cwd),
    ]);
    return { ...context, ...(defaultBranch ? { defaultBranch } : {}) };
}
async function fromGitHub(env, cwd) {
    let event = {};
    if (env.GITHUB_EVENT_PATH) {
        try {
            event = JSON.parse((0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(env.GITHUB_EVENT_PATH, 'utf8'));
        }
        catch (err) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(`Cannot read the GitHub event payload ${env.GITHUB_EVENT_PATH} (${err.message}); the runner writes it, so this runner is broken.`);
        }
    }
    const ref = env.GITHUB_REF;
    const prFromRef = /^refs\/pull\/(\d+)\//.exec(ref ?? '')?.[1];
    const pr = event.pull_request?.number ?? (prFromRef ? Number(prFromRef) : undefined);
    const repository = env.GITHUB_REPOSITORY;
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    // A pull request builds GitHub's merge commit; the head commit is the one its author knows.
    const sha = event.pull_request?.head?.sha ?? env.GITHUB_SHA;
    const defaultBranch = event.repository?.default_branch;
    const name = event.repository?.name ?? repository?.split('/')[1];
    const created = (sha ? await commitTime(cwd, sha) : undefined) ?? event.head_commit?.timestamp;
    return {
        ...(sha ? { sha } : {}),
        ...(ref ? { ref } : {}),
        ...(env.GITHUB_EVENT_NAME ? { event: env.GITHUB_EVENT_NAME } : {}),
        ...(defaultBranch ? { defaultBranch } : {}),
        ...(pr !== undefined ? { pullRequest: pr } : {}),
        ...(created ? { commitTime: new Date(created).toISOString() } : {}),
        ...(repository ? { sourceUrl: `${server}/${repository}` } : {}),
        ...(name ? { repositoryName: name } : {}),
    };
}
const git = (cwd, ...args) => (0,_process_js__WEBPACK_IMPORTED_MODULE_3__/* .runCommand */ .d)((0,_core_command_js__WEBPACK_IMPORTED_MODULE_1__/* .cmd */ .HW)('git', ...args), { cwd, env: { GIT_TERMINAL_PROMPT: '0' } }).then((r) => (r.code === 0 ? r.stdout.trim() : undefined), () => undefined);
async function commitTime(cwd, sha) {
    const seconds = await git(cwd, 'show', '-s', '--format=%ct', sha);
    return seconds && /^\d+$/.test(seconds) ? new Date(Number(seconds) * 1000).toISOString() : undefined;
}
/** origin's default branch, from `refs/remotes/origin/HEAD` (set by `git clone`). */
async function originDefaultBranch(cwd) {
    return (await git(cwd, 'symbolic-ref', '-q', 'refs/remotes/origin/HEAD'))?.replace('refs/remotes/origin/', '');
}
/**
 * A terminal build: HEAD, its time, branch and tags (one `git log`: `%D` lists `HEAD -> main, tag: v1.2.3, …`) and
 * origin's URL, asked at once (origin's default branch is asked beside them, by readGitContext, when needed).
 */
async function fromRepository(cwd) {
    const [head, origin] = await Promise.all([
        git(cwd, 'log', '-1', '--no-show-signature', '--format=%H %ct%n%D', 'HEAD'),
        git(cwd, 'config', '--get', 'remote.origin.url'),
    ]);
    const [first, decorations = ''] = head?.split('\n') ?? [];
    const [sha, seconds] = first?.split(' ') ?? [];
    const names = decorations.split(', ').filter(Boolean);
    const branch = names.find((n) => n.startsWith('HEAD -> '))?.slice(8);
    const tagList = names.filter((n) => n.startsWith('tag: ')).map((n) => n.slice(5));
    const ref = branch ? `refs/heads/${branch}` : tagList[0] ? `refs/tags/${tagList[0]}` : undefined;
    const source = origin ? webUrl(origin) : undefined;
    return {
        ...(sha ? { sha } : {}),
        ...(ref ? { ref } : {}),
        ...(tagList.length ? { tagsAtHead: tagList } : {}),
        ...(seconds ? { commitTime: new Date(Number(seconds) * 1000).toISOString() } : {}),
        ...(source ? { sourceUrl: source, repositoryName: source.split('/').pop() } : {}),
    };
}
/** `git@github.com:o/r.git` or `https://user:token@github.com/o/r.git` → `https://github.com/o/r` (no credentials). */
function webUrl(remote) {
    const scp = /^[\w.-]+@([\w.-]+):(.+?)(\.git)?\/?$/.exec(remote);
    if (scp)
        return `https://${scp[1]}/${scp[2]}`;
    try {
        const url = new URL(remote);
        if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol))
            return undefined;
        return `https://${url.hostname}${url.pathname.replace(/\.git\/?$/, '').replace(/\/$/, '')}`;
    }
    catch {
        return undefined;
    }
}


/***/ }),

/***/ 9853:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   S: () => (/* binding */ shown),
/* harmony export */   d: () => (/* binding */ runCommand)
/* harmony export */ });
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1421);
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_child_process__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _core_command_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6102);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4296);
/**
 * Runs a local command (docker, git) from its argv, with no shell in between: a value a user typed is one argv
 * element and nothing else. Secrets reach the child only through its environment (`--secret id=…,env=…`) or its
 * standard input (`docker login --password-stdin`), never its argv. Output is kept and, when asked, streamed line
 * by line.
 */



/** The command line as a person would type it, for messages (every word quoted by the one quoting function). */
const shown = (command) => (0,_core_command_js__WEBPACK_IMPORTED_MODULE_1__/* .render */ .XX)(command);
function runCommand(command, options = {}) {
    if (command.kind !== 'argv')
        throw new Error('runCommand runs a simple command, without a shell');
    const [program, ...args] = command.argv;
    const env = { ...process.env, ...command.env, ...options.env };
    for (const [k, v] of Object.entries(env))
        if (v === undefined)
            delete env[k];
    return new Promise((resolve, reject) => {
        const child = (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.spawn)(program, args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
        const out = [];
        const err = [];
        const lines = [];
        const splitter = () => {
            let partial = '';
            return {
                push(chunk) {
                    const text = partial + chunk.toString('utf8');
                    const parts = text.split(/\r?\n/);
                    partial = parts.pop();
                    for (const line of parts)
                        emit(line);
                },
                end() {
                    if (partial)
                        emit(partial);
                    partial = '';
                },
            };
        };
        const emit = (line) => {
            lines.push(line);
            options.onLine?.(line);
        };
        const so = splitter();
        const se = splitter();
        child.stdout.on('data', (c) => (out.push(c), so.push(c)));
        child.stderr.on('data', (c) => (err.push(c), se.push(c)));
        child.on('error', (e) => reject(new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .BelayError */ .oT(e.code === 'ENOENT'
            ? `${program} is not installed here (not found on PATH). Install it, or run belay where it is.`
            : `Could not run ${program}: ${e.message}.`)));
        child.on('close', (code) => {
            so.end();
            se.end();
            resolve({
                code: code ?? 255,
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(err).toString('utf8'),
                lines,
            });
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.stdin);
    });
}


/***/ }),

/***/ 5560:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  buildxPlugin: () => (/* binding */ buildxPlugin),
  detectBuilder: () => (/* binding */ detectBuilder),
  runBuild: () => (/* binding */ runBuild),
  viaPlugin: () => (/* binding */ viaPlugin)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/config/define.ts
var config_define = __webpack_require__(8279);
// EXTERNAL MODULE: ./src/config/layers.ts
var config_layers = __webpack_require__(9597);
// EXTERNAL MODULE: ./src/core/command.ts
var command = __webpack_require__(6102);
// EXTERNAL MODULE: ./src/core/duration.ts
var duration = __webpack_require__(8571);
// EXTERNAL MODULE: ./src/core/errors.ts
var errors = __webpack_require__(4296);
// EXTERNAL MODULE: ./src/report/reporter.ts
var report_reporter = __webpack_require__(4969);
;// CONCATENATED MODULE: ./src/build/args.ts
/**
 * The build and push commands as data: argv arrays, nothing rendered through a shell. Secrets appear only as
 * `id=<id>,env=<variable>`: their values travel in the child's environment.
 */

function common(spec) {
    const args = [];
    if (spec.file)
        args.push('--file', spec.file);
    if (spec.target)
        args.push('--target', spec.target);
    for (const [name, value] of spec.buildArgs)
        args.push('--build-arg', `${name}=${value}`);
    for (const [name, value] of Object.entries(spec.labels))
        args.push('--label', `${name}=${value}`);
    if (spec.network)
        args.push('--network', spec.network);
    if (spec.noCache)
        args.push('--no-cache');
    for (const ref of spec.refs)
        args.push('--tag', ref);
    return args;
}
/** `docker buildx build`: plain progress (line-based logs), metadata file for the digest, cache flags given. */
function buildxCommand(spec, metadataFile, cache) {
    const args = ['buildx', 'build', '--progress', 'plain', ...common(spec)];
    if (spec.platforms.length)
        args.push('--platform', spec.platforms.join(','));
    for (const s of spec.secrets)
        args.push('--secret', `id=${s.id},env=${s.env}`);
    args.push(...cache, '--metadata-file', metadataFile);
    // Without push the image is loaded into docker (a multi-platform result cannot be: it stays in the builder).
    if (spec.push)
        args.push('--push');
    else if (spec.platforms.length <= 1)
        args.push('--load');
    args.push(spec.context);
    return (0,command/* cmd */.HW)('docker', ...args);
}
/** The legacy builder, when buildx is missing: no secrets, one platform, then one `docker push` per reference. */
function classicBuildCommand(spec) {
    const args = ['build', ...common(spec)];
    if (spec.platforms.length === 1)
        args.push('--platform', spec.platforms[0]);
    args.push(spec.context);
    return (0,command/* cmd */.HW)('docker', ...args);
}
const pushCommand = (ref) => (0,command/* cmd */.HW)('docker', 'push', ref);
/** The environment variable that carries build secret number `i` to buildx. */
const secretVariable = (i) => `BELAY_BUILD_SECRET_${i}`;

// EXTERNAL MODULE: ./src/build/cache.ts
var build_cache = __webpack_require__(6093);
;// CONCATENATED MODULE: ./src/build/failure.ts
/**
 * What a failed build shows: the failing step and that step's own output, picked out of the whole log (buildx
 * `--progress plain` or the classic builder), and the Dockerfile line it came from, for an annotation.
 */
// The classic builder colours a step's stderr; the escape codes are dropped from what is shown.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
function describeBuildFailure(log) {
    const lines = log.map((l) => l.replace(ANSI, ''));
    const error = [...lines].reverse().find((l) => /^ERROR:|^The command .* returned a non-zero code/.test(l));
    // buildx: `#5 ERROR: …` names the failing vertex; its output lines are `#5 0.047 text`.
    const failed = [...lines].reverse().find((l) => /^#\d+ ERROR:/.test(l));
    if (failed) {
        const id = failed.split(' ')[0];
        const title = lines.find((l) => l.startsWith(`${id} [`) || l.startsWith(`${id} `))?.slice(id.length + 1);
        const timed = new RegExp(`^${id} \\d+\\.\\d+ ?`);
        const output = lines.filter((l) => timed.test(l)).map((l) => l.replace(timed, ''));
        return { ...(title ? { step: title } : {}), output, ...(error ? { error } : {}) };
    }
    // Classic: `Step 3/4 : RUN …`, then ` ---> Running in …`, the step's output, then the error line.
    const stepAt = lines.map((l) => l.startsWith('Step ')).lastIndexOf(true);
    if (stepAt >= 0 && error?.startsWith('The command')) {
        const step = lines[stepAt].replace(/^Step \d+\/\d+ : /, '');
        const output = lines.slice(stepAt + 1).filter((l) => !/^ ---> /.test(l) && l !== error && l.trim() !== '');
        return { step, output, ...(error ? { error } : {}) };
    }
    return { output: lines.filter((l) => l.trim() !== '').slice(-20), ...(error ? { error } : {}) };
}
/** The line of `dockerfile` (1-based) that holds the failing instruction, when it can be found. */
function lineOfStep(dockerfile, step) {
    if (!step)
        return undefined;
    const instruction = step
        .replace(/^\[[^\]]*\]\s*/, '')
        .replace(/:$/, '')
        .trim();
    const lines = dockerfile.split(/\r?\n/);
    const index = lines.findIndex((l) => l.trim() !== '' && instruction.startsWith(l.trim().replace(/\\$/, '').trim()));
    return index >= 0 ? index + 1 : undefined;
}

// EXTERNAL MODULE: ./src/build/git.ts
var build_git = __webpack_require__(396);
// EXTERNAL MODULE: ./src/build/process.ts
var build_process = __webpack_require__(9853);
;// CONCATENATED MODULE: ./src/build/registry.ts
/**
 * The registry side of a build: log in before, log out after, and ask the registry which manifest a pushed tag
 * names. Credentials live in a temporary DOCKER_CONFIG folder (0700, removed afterwards) and reach docker on
 * stdin (`docker login --password-stdin`); the user's own docker config is never written to.
 */






const userConfigDir = (env) => env.DOCKER_CONFIG ?? (0,external_node_path_.join)((0,external_node_os_.homedir)(), '.docker');
/**
 * A temporary DOCKER_CONFIG holding only belay's login. It keeps what the user's config says about plugins and
 * other registries (without `credsStore`, so the password lands in this folder and not in a keychain), and links
 * the user's buildx builders and CLI plugins, so a builder set up earlier (docker/setup-buildx-action) is used.
 */
async function loginConfig(credentials, env) {
    if (!credentials)
        return { env: {}, close: async () => undefined };
    const base = userConfigDir(env);
    const dir = (0,external_node_fs_.mkdtempSync)((0,external_node_path_.join)(env.RUNNER_TEMP ?? (0,external_node_os_.tmpdir)(), 'belay-docker-config-'));
    const remove = () => (0,external_node_fs_.rmSync)(dir, { recursive: true, force: true });
    try {
        let config = {};
        try {
            config = JSON.parse((0,external_node_fs_.readFileSync)((0,external_node_path_.join)(base, 'config.json'), 'utf8'));
        }
        catch {
            // No config of the user's, or not readable: start empty.
        }
        delete config.credsStore;
        (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
        for (const sub of ['buildx', 'cli-plugins', 'contexts']) {
            if ((0,external_node_fs_.existsSync)((0,external_node_path_.join)(base, sub)))
                (0,external_node_fs_.symlinkSync)((0,external_node_path_.join)(base, sub), (0,external_node_path_.join)(dir, sub));
        }
        const dockerEnv = { DOCKER_CONFIG: dir };
        const login = await (0,build_process/* runCommand */.d)((0,command/* cmd */.HW)('docker', 'login', '--username', credentials.username, '--password-stdin', credentials.registry), { env: dockerEnv, stdin: credentials.password });
        if (login.code !== 0) {
            const why = (login.stderr.trim().split('\n').pop() ?? '').replace(/^Error response from daemon:\s*/, '');
            throw new errors/* BelayError */.oT(`Login to ${credentials.registry} as ${credentials.username} failed: ${why || `docker login exited with ${login.code}`}. ` +
                'Check registry-username and registry-password (for ghcr.io a token allowed to write packages).');
        }
        return {
            env: dockerEnv,
            credentials,
            close: async () => {
                await (0,build_process/* runCommand */.d)((0,command/* cmd */.HW)('docker', 'logout', credentials.registry), { env: dockerEnv }).catch(() => undefined);
                remove();
            },
        };
    }
    catch (err) {
        remove();
        throw err;
    }
}
const MANIFEST_TYPES = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const isLoopback = (host) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
/** Docker Hub's API host differs from the name docker uses for it. */
const apiHost = (registry) => (registry === 'docker.io' ? 'registry-1.docker.io' : registry);
/**
 * The registry's own answer: the `Docker-Content-Digest` of `<image>:<tag>`, through its token or basic auth.
 * Undefined (with the reason) when the registry cannot be asked, e.g. it needs a login belay was not given.
 */
async function registryDigest(image, tag, credentials) {
    const host = apiHost(image.registry);
    const schemes = isLoopback(host) ? ['http', 'https'] : ['https', 'http'];
    const auth = credentials?.registry === image.registry || credentials?.registry === host ? credentials : undefined;
    let reason = 'no answer';
    for (const scheme of schemes) {
        const url = `${scheme}://${host}/v2/${image.repository}/manifests/${encodeURIComponent(tag)}`;
        try {
            // An HTTP answer, good or bad, is the registry's: the other scheme would not change it.
            return await headWithAuth(url, image.repository, auth);
        }
        catch (err) {
            reason = `${scheme}: ${err.message}`;
        }
    }
    return { reason };
}
const clients = new Map();
/** node:http or node:https (which brings TLS, some milliseconds to load), loaded when first needed, once. */
function client(protocol) {
    let send = clients.get(protocol);
    if (!send) {
        send =
            protocol === 'https:' ? Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 4708, 23)).then((m) => m.request) : Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 7067, 23)).then((m) => m.request);
        clients.set(protocol, send);
    }
    return send;
}
/** Loads the HTTP client `registryDigest(image, …)` asks with first, so that it is ready when a push is done. */
function prepareRegistryDigest(image) {
    client(isLoopback(apiHost(image.registry)) ? 'http:' : 'https:').catch(() => undefined);
}
/**
 * One HTTP request with node:http(s). Not fetch: Node loads its fetch implementation on first use, which costs
 * more than the whole registry check on a no-change rebuild.
 */
async function request(url, method, headers) {
    const target = new URL(url);
    const send = await client(target.protocol);
    return new Promise((resolve, reject) => {
        const req = send(target, { method, headers, timeout: 15_000 }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
        req.on('error', reject);
        req.end();
    });
}
const header = (a, name) => {
    const value = a.headers[name];
    return Array.isArray(value) ? value[0] : value;
};
async function headWithAuth(url, repository, credentials) {
    const ask = (authorization) => request(url, 'HEAD', { Accept: MANIFEST_TYPES, ...(authorization ? { Authorization: authorization } : {}) });
    const basic = credentials
        ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
        : undefined;
    let answer = await ask();
    if (answer.status === 401) {
        const challenge = header(answer, 'www-authenticate') ?? '';
        if (/^basic/i.test(challenge)) {
            if (!basic)
                return { reason: 'the registry needs a login' };
            answer = await ask(basic);
        }
        else if (/^bearer/i.test(challenge)) {
            const token = await bearerToken(challenge, repository, basic);
            if (!token)
                return { reason: 'the registry gave no token to read the manifest' };
            answer = await ask(`Bearer ${token}`);
        }
    }
    if (answer.status < 200 || answer.status > 299)
        return { reason: `HTTP ${answer.status} for the manifest` };
    const digest = header(answer, 'docker-content-digest');
    return digest ? { digest } : { reason: 'the registry sent no Docker-Content-Digest' };
}
/** The token flow of the registry API: the realm named in the challenge, with the pull scope of the repository. */
async function bearerToken(challenge, repository, basic) {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1].toLowerCase(), m[2]]));
    if (!params.realm)
        return undefined;
    const url = new URL(params.realm);
    if (params.service)
        url.searchParams.set('service', params.service);
    url.searchParams.set('scope', `repository:${repository}:pull`);
    const answer = await request(url.toString(), 'GET', basic ? { Authorization: basic } : {});
    if (answer.status !== 200)
        return undefined;
    const body = JSON.parse(answer.body);
    return body.token ?? body.access_token;
}

;// CONCATENATED MODULE: ./src/build/tags.ts
/**
 * Tags and OCI labels from the git context, pure: the same context always gives the same tags. The context comes
 * from the GitHub runner's variables (GITHUB_REF, GITHUB_SHA, the event payload) or, in a terminal, from git
 * itself (see git.ts).
 *
 * Default rules (the `auto` rule): `sha-<7>` always; the branch name (sanitised) when a branch was pushed;
 * `1.2.3`, `1.2`, `1` for a `v1.2.3` tag (only `1.2.3-rc.1` for a pre-release); `latest` on the default branch only;
 * `pr-<n>` for a pull request.
 */

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
/** Docker's tag grammar. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
function parseVersion(tag) {
    const m = SEMVER.exec(tag);
    if (!m)
        return undefined;
    const [, major, minor, patch, pre] = m;
    // `+build` metadata is not allowed in a docker tag; it does not make another version either.
    return {
        full: `${major}.${minor}.${patch}${pre ?? ''}`,
        major: major,
        minor: `${major}.${minor}`,
        prerelease: !!pre,
    };
}
/** A branch name as a docker tag: `feature/Login#2` → `feature-Login-2` (as docker/metadata-action does). */
function sanitiseTag(name) {
    return name
        .replace(/[^A-Za-z0-9_.-]+/g, '-')
        .replace(/^[.-]+/, '')
        .slice(0, 128);
}
const branchOf = (ref) => (ref?.startsWith('refs/heads/') ? ref.slice(11) : undefined);
const tagOf = (ref) => (ref?.startsWith('refs/tags/') ? ref.slice(10) : undefined);
const isPullRequest = (git) => git.pullRequest !== undefined || (git.event?.startsWith('pull_request') ?? false);
/** The version this commit is released as: the pushed tag, or (terminal) a version tag at HEAD. */
function versionOf(git) {
    for (const tag of [tagOf(git.ref), ...(git.tagsAtHead ?? [])]) {
        const v = tag === undefined ? undefined : parseVersion(tag);
        if (v)
            return v;
    }
    return undefined;
}
/** What `{{name}}` placeholders expand to in this context (absent: the rule gives no tag here). */
function placeholders(git) {
    const v = versionOf(git);
    const branch = isPullRequest(git) ? undefined : branchOf(git.ref);
    return {
        sha: git.sha?.slice(0, 7),
        branch: branch === undefined ? undefined : sanitiseTag(branch),
        version: v?.full,
        major: v && !v.prerelease ? v.major : undefined,
        minor: v && !v.prerelease ? v.minor : undefined,
        pr: git.pullRequest === undefined ? undefined : String(git.pullRequest),
    };
}
/** The `auto` rule: see the top of this file. */
function autoTags(git) {
    const p = placeholders(git);
    const tags = [];
    if (p.sha)
        tags.push(`sha-${p.sha}`);
    if (p.branch)
        tags.push(p.branch);
    if (p.version)
        tags.push(p.version);
    if (p.minor)
        tags.push(p.minor);
    if (p.major)
        tags.push(p.major);
    const branch = branchOf(git.ref);
    if (!isPullRequest(git) && branch !== undefined && branch === git.defaultBranch)
        tags.push('latest');
    if (p.pr)
        tags.push(`pr-${p.pr}`);
    return tags;
}
/**
 * The `tags` input: one rule per line (or comma-separated). `auto` is the default set; a line with `{{sha}}`,
 * `{{branch}}`, `{{version}}`, `{{minor}}`, `{{major}}` or `{{pr}}` is a template that gives a tag only where every
 * placeholder has a value (`{{branch}}-{{sha}}` gives nothing on a tag push); anything else is a literal tag.
 */
function deriveTags(git, rules) {
    const p = placeholders(git);
    const out = [];
    for (const rule of rules.length ? rules : ['auto']) {
        if (rule === 'auto') {
            out.push(...autoTags(git));
            continue;
        }
        let complete = true;
        const tag = rule.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (_, name) => {
            if (!(name in p)) {
                throw new errors/* InputError */.dz('tags', `"{{${name}}}" is not a placeholder`, 'Use {{sha}}, {{branch}}, {{version}}, {{minor}}, {{major}} or {{pr}}.');
            }
            const value = p[name];
            if (value === undefined)
                complete = false;
            return value ?? '';
        });
        if (!complete)
            continue;
        if (!TAG.test(tag)) {
            throw new errors/* InputError */.dz('tags', `"${tag}" is not a valid docker tag`, 'A tag is up to 128 letters, digits, _ . and -, not starting with . or -.');
        }
        out.push(tag);
    }
    const unique = [...new Set(out)];
    if (unique.length === 0) {
        throw new errors/* BelayError */.oT(`No tag applies to this build (rules: ${rules.join(', ')}; ref ${git.ref ?? 'unknown'}). ` +
            'Add a rule that always applies, such as {{sha}} or a fixed tag, to the tags input.');
    }
    return unique;
}
/** OCI annotations as labels; a label the user gives under `labels` wins. */
function ociLabels(git, tags, imageName) {
    const labels = {};
    const set = (name, value) => {
        if (value)
            labels[`org.opencontainers.image.${name}`] = value;
    };
    set('source', git.sourceUrl);
    set('revision', git.sha);
    set('created', git.commitTime);
    set('version', versionOf(git)?.full ?? tags.find((t) => !t.startsWith('sha-')) ?? tags[0]);
    set('title', git.repositoryName ?? imageName.split('/').pop());
    return labels;
}

;// CONCATENATED MODULE: ./src/build/run.ts
/**
 * `belay build` / the build-image action: tags from git, login, `docker buildx build` (classic `docker build` +
 * `docker push` when buildx is missing), the registry's digest, outputs. The digest handed on is the one the
 * registry answers for the pushed tag, checked against what the builder reported.
 */
















/** `docker buildx version` and `docker buildx inspect`, at once; either failing means no usable buildx. */
async function detectBuilder(env) {
    const run = (...args) => (0,build_process/* runCommand */.d)((0,command/* cmd */.HW)('docker', ...args), { env });
    const [version, inspect] = await Promise.all([run('buildx', 'version'), run('buildx', 'inspect')]);
    if (version.code !== 0 || inspect.code !== 0)
        return {};
    const field = (name) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(inspect.stdout)?.[1]?.trim();
    const v = /\sv?(\d+\.\d+\.\d+\S*)/.exec(version.stdout)?.[1];
    const buildkit = field('BuildKit version') ?? field('BuildKit');
    return {
        buildx: {
            name: field('Name') ?? 'default',
            driver: field('Driver') ?? 'docker',
            ...(v ? { version: v } : {}),
            ...(buildkit ? { buildkit: buildkit.replace(/^v/, '') } : {}),
        },
    };
}
async function runBuild({ reporter, face, loaded, cwd }) {
    const v = loaded.values;
    const env = process.env;
    if (!v.image)
        throw (0,config_layers/* missing */.LO)('image', face);
    const images = v.image;
    const context = (0,external_node_path_.resolve)(cwd, v.context ?? '.');
    if (!(0,external_node_fs_.existsSync)(context) || !(0,external_node_fs_.statSync)(context).isDirectory()) {
        throw new errors/* InputError */.dz('context', `${context} is not a folder`, 'Give the build context folder, relative to the workspace.');
    }
    const dockerfile = v.file ? (0,external_node_path_.resolve)(cwd, v.file) : (0,external_node_path_.join)(context, 'Dockerfile');
    if (!(0,external_node_fs_.existsSync)(dockerfile)) {
        throw new errors/* InputError */.dz('file', `${dockerfile} does not exist`, v.file ? 'Give the Dockerfile path relative to the workspace.' : 'Add a Dockerfile to the context, or set file.');
    }
    const platforms = (0,config_define/* splitList */.ry)(v.platforms ?? '');
    for (const p of platforms) {
        if (!/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(p)) {
            throw new errors/* InputError */.dz('platforms', `"${p}" is not a platform`, 'Write platforms like linux/amd64,linux/arm64.');
        }
    }
    const secrets = v.secrets ?? [];
    for (const [, value] of secrets)
        reporter.secret(value);
    const credentials = registryCredentials(v, images, env, face);
    if (credentials)
        reporter.secret(credentials.password);
    const started = Date.now();
    // The builder's driver only matters for a cache across runs, i.e. on GitHub: elsewhere buildx is simply tried,
    // and a docker without it is detected from that first command (which saves two docker calls per build).
    const needDriver = (v.cache ?? 'auto') !== 'none' && !!env.ACTIONS_RUNTIME_TOKEN;
    const rules = (0,config_define/* splitList */.ry)(v.tags ?? '');
    const [probed, git] = await Promise.all([
        needDriver ? detectBuilder(env) : Promise.resolve(undefined),
        // origin's default branch only decides `latest`, a tag of the `auto` rule (the default).
        (0,build_git.readGitContext)(env, cwd, { defaultBranch: rules.length === 0 || rules.includes('auto') }),
    ]);
    let classic = probed !== undefined && !probed.buildx;
    if (classic)
        useClassic(secrets.length, platforms.length, reporter);
    else if (probed?.buildx) {
        const b = probed.buildx;
        reporter.info(`builder ${b.name} (buildx ${b.version ?? '?'}, ${b.driver} driver, BuildKit ${b.buildkit ?? '?'})`);
    }
    const tags = deriveTags(git, rules);
    const refs = images.flatMap((image) => tags.map((tag) => `${image.name}:${tag}`));
    const labels = { ...ociLabels(git, tags, images[0].name), ...Object.fromEntries(v.labels ?? []) };
    const push = v.push ?? true;
    const spec = {
        context,
        ...(v.file ? { file: dockerfile } : {}),
        ...(v.target ? { target: v.target } : {}),
        buildArgs: v.buildArgs ?? [],
        labels,
        platforms,
        ...(v.network ? { network: v.network } : {}),
        refs,
        push,
        secrets: secrets.map(([id], i) => ({ id, env: secretVariable(i) })),
        noCache: v.cache === 'none',
    };
    reporter.info(`tags: ${tags.join(', ')}${push ? '' : ' (not pushed: push is false)'}`);
    const cache = (0,build_cache/* planCache */._s)({
        mode: v.cache ?? 'auto',
        ...(probed?.buildx ? { buildx: probed.buildx } : {}),
        env,
        service: (0,build_cache/* cacheServiceProvider */.PV)() !== undefined,
        keyHash: () => (0,build_cache/* cacheKeyHash */.Cu)(context, dockerfile),
        scope: images[0].repository.replace(/[^A-Za-z0-9_.-]+/g, '-'),
    });
    if (cache.kind === 'none' && cache.notice)
        reporter.info(`cache: ${cache.notice}`);
    const docker = await loginConfig(credentials, env);
    const temp = (0,external_node_fs_.mkdtempSync)((0,external_node_path_.join)(env.RUNNER_TEMP ?? (0,external_node_os_.tmpdir)(), 'belay-build-'));
    try {
        if (credentials)
            reporter.info(`logged in to ${credentials.registry} as ${credentials.username}`);
        const restored = cache.kind === 'local' ? await (0,build_cache/* restoreLocalCache */.k)(cache, reporter) : undefined;
        const secretEnv = Object.fromEntries(secrets.map(([, value], i) => [secretVariable(i), value]));
        // The registry is asked for the digest once the push is done: its HTTP client loads while the build runs.
        if (push)
            prepareRegistryDigest(images[0]);
        const plugin = classic ? undefined : buildxPlugin({ ...env, ...docker.env });
        let built = classic
            ? undefined
            : await buildWithBuildx(spec, temp, cache, { ...docker.env, ...secretEnv }, reporter, plugin);
        if (built && 'failed' in built && !built.log.some((l) => /^#\d+ /.test(l)) && !(await hasBuildx(docker.env))) {
            classic = true;
            useClassic(secrets.length, platforms.length, reporter);
        }
        if (classic)
            built = await buildClassic(spec, docker.env, reporter);
        if (!built)
            throw new Error('no build ran');
        if ('failed' in built) {
            reportFailure(built.failed, built.log, dockerfile, cwd, reporter);
            return false;
        }
        if (restored && cache.kind === 'local')
            await (0,build_cache/* saveLocalCache */.jQ)(restored, cache, reporter);
        const digest = push ? await confirmDigest(images, tags[0], built.digest, credentials, reporter) : '';
        const ref = digest ? `${images[0].name}@${digest}` : refs[0];
        const metadata = {
            images: images.map((i) => i.name),
            tags,
            refs,
            digest,
            ref,
            labels,
            builder: classic ? 'classic' : `buildx${probed?.buildx ? ` (${probed.buildx.driver} driver)` : ''}`,
            cache: cache.kind,
            pushed: push,
        };
        reporter.setOutput('image', images[0].name);
        reporter.setOutput('tags', refs.join('\n'));
        reporter.setOutput('digest', digest);
        reporter.setOutput('ref', ref);
        reporter.setOutput('metadata', JSON.stringify(metadata));
        reporter.summary(`### 📦 belay build\n\n` +
            (0,report_reporter/* markdownTable */.Qj)(['Image', 'Tags', 'Digest', 'Builder', 'Time'], images.map((i) => [
                i.name,
                tags.join(', '),
                digest || '(not pushed)',
                metadata.builder,
                (0,duration/* formatDuration */.a3)(Date.now() - started),
            ])));
        reporter.info(push ? `✓ pushed ${ref}` : `✓ built ${ref} (not pushed)`);
        return true;
    }
    finally {
        (0,external_node_fs_.rmSync)(temp, { recursive: true, force: true });
        await docker.close();
    }
}
/** Where the docker CLI looks for its plugins, in its order (the first folder holding one wins), after the config's. */
const SYSTEM_PLUGIN_DIRS = [
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
];
/**
 * The buildx binary `docker buildx` would run, found where the docker CLI finds it. Run directly (buildx's
 * standalone mode: the same arguments, without `docker`), it spares the docker CLI starting and asking the plugin
 * for its metadata before the plugin starts again to build, some 30 ms a build. Undefined, and `docker buildx` is
 * run as it is, wherever docker could look elsewhere (folders named in its config.json, as Docker Desktop does, or
 * by a DOCKER_CLI_PLUGIN* variable), on Windows, or when no executable plugin is there.
 */
function buildxPlugin(env) {
    if (process.platform === 'win32' || Object.keys(env).some((k) => k.startsWith('DOCKER_CLI_PLUGIN')))
        return undefined;
    const configDir = env.DOCKER_CONFIG || (0,external_node_path_.join)((0,external_node_os_.homedir)(), '.docker');
    try {
        const config = JSON.parse((0,external_node_fs_.readFileSync)((0,external_node_path_.join)(configDir, 'config.json'), 'utf8'));
        if (config.cliPluginsExtraDirs !== undefined)
            return undefined;
    }
    catch {
        // No config.json (or one docker itself would complain about): the default folders.
    }
    for (const dir of [(0,external_node_path_.join)(configDir, 'cli-plugins'), ...SYSTEM_PLUGIN_DIRS]) {
        const path = (0,external_node_path_.join)(dir, 'docker-buildx');
        try {
            (0,external_node_fs_.accessSync)(path, external_node_fs_.constants.X_OK);
            return path;
        }
        catch {
            // not in this folder
        }
    }
    return undefined;
}
/** `docker buildx …` as the plugin binary itself runs it: `<plugin> …`. Any other command is left as it is. */
function viaPlugin(command, plugin) {
    if (!plugin || command.kind !== 'argv' || command.argv[0] !== 'docker' || command.argv[1] !== 'buildx')
        return command;
    return { ...command, argv: [plugin, ...command.argv.slice(2)] };
}
/**
 * Asked only when `docker buildx build` failed before BuildKit printed a step: was it because there is no buildx?
 * (The docker CLI's own words for that differ between versions and flags.)
 */
async function hasBuildx(env) {
    return (await (0,build_process/* runCommand */.d)((0,command/* cmd */.HW)('docker', 'buildx', 'version'), { env })).code === 0;
}
/** Without buildx: the classic builder, said once, and refused for what only BuildKit can do. */
function useClassic(secrets, platforms, reporter) {
    reporter.warn('docker buildx is not installed: using the classic builder (docker build, then docker push). ' +
        'Install docker-buildx for BuildKit, build secrets, multi-platform images and a layer cache.');
    if (secrets)
        throw new errors/* InputError */.dz('secrets', 'build secrets need buildx', 'Install docker-buildx, or drop secrets.');
    if (platforms > 1) {
        throw new errors/* InputError */.dz('platforms', 'several platforms need buildx', 'Install docker-buildx, or build one platform.');
    }
}
/** registry, registry-username, registry-password; for ghcr.io the actor and GITHUB_TOKEN are the defaults. */
function registryCredentials(v, images, env, face) {
    const registry = v.registry?.trim() || images[0].registry;
    const ghcr = registry === 'ghcr.io';
    const password = v.registryPassword ?? (ghcr ? env.GITHUB_TOKEN : undefined);
    const username = v.registryUsername ?? (ghcr && password ? env.GITHUB_ACTOR : undefined);
    if (password && !username)
        throw (0,config_layers/* missing */.LO)('registryUsername', face, `a password for ${registry} is given`);
    if (v.registryUsername && !password)
        throw (0,config_layers/* missing */.LO)('registryPassword', face, `a user for ${registry} is given`);
    return password && username ? { registry, username, password } : undefined;
}
/** Runs one docker command with its output streamed into the open group; a failure keeps the whole log. */
async function streamed(command, env, reporter) {
    reporter.debug((0,build_process/* shown */.S)(command));
    return (0,build_process/* runCommand */.d)(command, { env, onLine: (line) => reporter.info(line) });
}
async function buildWithBuildx(spec, temp, cache, env, reporter, plugin) {
    const metadataFile = (0,external_node_path_.join)(temp, 'metadata.json');
    const command = viaPlugin(buildxCommand(spec, metadataFile, (0,build_cache/* cacheFlags */.wT)(cache)), plugin);
    const result = await reporter.group('docker buildx build', () => streamed(command, env, reporter));
    if (result.code !== 0)
        return { failed: `docker buildx build failed (exit ${result.code})`, log: result.lines };
    let digest;
    try {
        const metadata = JSON.parse((0,external_node_fs_.readFileSync)(metadataFile, 'utf8'));
        digest = typeof metadata['containerimage.digest'] === 'string' ? metadata['containerimage.digest'] : undefined;
    }
    catch {
        digest = undefined; // the registry is asked below in any case
    }
    return { digest };
}
async function buildClassic(spec, env, reporter) {
    // DOCKER_BUILDKIT=0: the legacy builder, which is what there is without buildx.
    const classicEnv = { ...env, DOCKER_BUILDKIT: '0' };
    const build = await reporter.group('docker build (classic builder)', () => streamed(classicBuildCommand(spec), classicEnv, reporter));
    if (build.code !== 0)
        return { failed: `docker build failed (exit ${build.code})`, log: build.lines };
    if (!spec.push)
        return { digest: undefined };
    let digest;
    for (const ref of spec.refs) {
        const pushed = await reporter.group(`docker push ${ref}`, () => streamed(pushCommand(ref), classicEnv, reporter));
        if (pushed.code !== 0)
            return { failed: `docker push ${ref} failed (exit ${pushed.code})`, log: pushed.lines };
        digest ??= /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    }
    return { digest };
}
function reportFailure(what, log, dockerfile, cwd, reporter) {
    const failure = describeBuildFailure(log);
    const line = lineOfStep((0,external_node_fs_.readFileSync)(dockerfile, 'utf8'), failure.step);
    const head = failure.step ? `${what} at step ${failure.step}` : what;
    const body = [
        ...failure.output,
        ...(failure.error && !failure.output.includes(failure.error) ? [failure.error] : []),
    ];
    const refused = /no basic auth credentials|unauthorized|denied/i.test(failure.error ?? '');
    const hint = refused
        ? [
            'The registry refused the push: give registry-username and registry-password, or log in with docker login first.',
        ]
        : [];
    // A Dockerfile step is annotated on its line; a push or a builder problem is not the Dockerfile's.
    reporter.error(`${head}\n${[...body, ...hint].map((l) => `  ${l}`).join('\n')}`, {
        ...(line ? { file: (0,external_node_path_.relative)(cwd, dockerfile), line } : {}),
        title: 'Image build failed',
    });
    reporter.setOutput('digest', '');
}
/**
 * The digest deploys will use: the registry's answer for the pushed tag of every image, which must agree with
 * what the builder reported (a difference means another push moved the tag meanwhile).
 */
async function confirmDigest(images, tag, reported, credentials, reporter) {
    const answers = await Promise.all(images.map((image) => registryDigest(image, tag, credentials)));
    let digest = reported;
    for (const [i, answer] of answers.entries()) {
        const image = images[i];
        if ('reason' in answer) {
            reporter.info(`${image.name}:${tag}: the registry could not be asked for the digest (${answer.reason}); using the one docker reported`);
            continue;
        }
        if (digest && answer.digest !== digest) {
            throw new errors/* BelayError */.oT(`${image.name}:${tag} points at ${answer.digest} in the registry, not at ${digest} just pushed: something else pushed that tag meanwhile. Run the build again, and give each pipeline its own tags.`);
        }
        digest = answer.digest;
    }
    if (!digest) {
        throw new errors/* BelayError */.oT(`The image was pushed but neither docker nor the registry gave its digest (${images[0].name}:${tag}). Check the registry, then run again.`);
    }
    return digest;
}


/***/ })

};
