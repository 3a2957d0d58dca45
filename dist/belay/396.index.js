import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 396;
export const ids = [396];
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


/***/ })

};
