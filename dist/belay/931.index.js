import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 931;
export const ids = [931];
export const modules = {

/***/ 3774:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ic: () => (/* binding */ describeFailure),
/* harmony export */   Ns: () => (/* binding */ checkHealth),
/* harmony export */   hu: () => (/* binding */ parseTarget)
/* harmony export */ });
/* unused harmony export BODY_LIMIT */
/* harmony import */ var node_http__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7067);
/* harmony import */ var node_http__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_http__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_https__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4708);
/* harmony import */ var node_https__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_https__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_net__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7030);
/* harmony import */ var node_net__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_net__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_tls__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(1692);
/* harmony import */ var node_tls__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_tls__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(8500);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(node_timers_promises__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var _core_duration_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(8571);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(4296);
/* harmony import */ var _matchers_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(5647);
/**
 * The health gate: poll an HTTP(S) endpoint until it answers as expected several times in a row, or give up at a
 * deadline. Pure Node (node:http, node:https); the SSH tunnel, when the app is only reachable from the server, is
 * handed in by the caller so this file knows nothing about transports.
 */








/** Bodies are read up to this size: enough for any health document, bounded against a misrouted download. */
const BODY_LIMIT = 64 * 1024;
/** Body text kept per attempt for logs and messages. */
const EXCERPT_CHARS = 120;
/**
 * Polls `options.url` every `intervalMs` (start to start) until `healthyThreshold` consecutive attempts succeed, or
 * until `timeoutMs` has elapsed. The wait before an attempt never goes past the deadline, and one last attempt is
 * made at the deadline itself, so the app gets the whole timeout. An attempt still running at the deadline finishes
 * (it is bounded by `requestTimeoutMs`): cutting it short would report "timed out" instead of what the app said.
 * Returns the result either way; deciding what unhealthy means (fail, roll back) is the caller's job.
 */
async function checkHealth(options, deps) {
    const url = parseTarget(options.url);
    checkTimings(options);
    const started = performance.now();
    const deadline = started + options.timeoutMs;
    const history = [];
    let streak = 0;
    let elapsedMs;
    // One tunnel for the whole check: an SSH forward per attempt would be slow, and its setup time would eat into
    // the interval and the request timeout that are meant for the app.
    const tunnel = deps.openTunnel ? await deps.openTunnel(url.hostname, url.port) : undefined;
    if (tunnel)
        deps.reporter.debug(`health: requests go through a tunnel at ${tunnel.host}:${tunnel.port}`);
    try {
        for (let n = 1;; n++) {
            const attemptStart = performance.now();
            const attempt = await attemptOnce(n, attemptStart - started, url, options, tunnel);
            history.push(attempt);
            streak = attempt.ok ? streak + 1 : 0;
            deps.reporter.info(attemptLine(attempt, streak, options.healthyThreshold));
            elapsedMs = Math.round(performance.now() - started);
            if (streak >= options.healthyThreshold)
                break;
            if (performance.now() >= deadline)
                break;
            await (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_4__.setTimeout)(Math.max(0, Math.min(attemptStart + options.intervalMs, deadline) - performance.now()));
        }
    }
    finally {
        await tunnel
            ?.close()
            .catch((err) => deps.reporter.warn(`health: closing the tunnel failed: ${message(err)}`));
    }
    const last = [...history].reverse().find((a) => a.status !== undefined);
    return {
        healthy: streak >= options.healthyThreshold,
        attempts: history.length,
        elapsedMs,
        ...(last ? { lastStatus: last.status } : {}),
        history,
    };
}
/** Validates the url input (before any work starts, so the caller can call it early) and splits it. */
function parseTarget(text) {
    let url;
    try {
        url = new URL(text);
    }
    catch {
        // The URL is not echoed: it may carry credentials or a token in its query.
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .InputError */ .dz('url', 'not an absolute URL', 'Give the full address, e.g. http://127.0.0.1:3000/health.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .InputError */ .dz('url', `the scheme ${url.protocol} is not supported`, 'Use an http:// or https:// URL.');
    }
    const secure = url.protocol === 'https:';
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { url, hostname, port: url.port ? Number(url.port) : secure ? 443 : 80, secure };
}
function checkTimings(options) {
    // The config layer validates these too; a zero interval here would spin, so refuse it rather than trust.
    const positive = [
        ['interval', options.intervalMs],
        ['request-timeout', options.requestTimeoutMs],
        ['healthy-threshold', options.healthyThreshold],
    ];
    for (const [name, value] of positive) {
        if (!(value > 0))
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .InputError */ .dz(name, `must be above zero (got ${value})`, `Set ${name} to a positive value`);
    }
    if (!(options.timeoutMs >= 0))
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .InputError */ .dz('timeout', 'must not be negative', 'Set timeout to e.g. 60s');
}
async function attemptOnce(n, atMs, target, options, tunnel) {
    const base = { n, atMs: Math.round(atMs) };
    const response = await request(target, options, tunnel);
    if ('error' in response) {
        const status = response.status !== undefined ? { status: response.status } : {};
        return { ...base, ...status, ok: false, error: response.error, reason: response.error };
    }
    const bodyExcerpt = excerpt(response.body);
    const reason = judge(response, options);
    return { ...base, status: response.status, bodyExcerpt, ok: reason === undefined, ...(reason ? { reason } : {}) };
}
/** Why a response is not healthy, or undefined when it is. Checks in the order a person would look. */
function judge(response, options) {
    if (!options.expectStatus(response.status)) {
        return `status ${response.status} is not ${options.expectStatusText.trim() || '2xx'}`;
    }
    if (options.expectBody !== undefined && !(0,_matchers_js__WEBPACK_IMPORTED_MODULE_7__/* .bodyMatches */ .Kj)(options.expectBody, response.body)) {
        const how = typeof options.expectBody === 'string' ? 'does not contain' : 'does not match';
        return `body ${how} ${(0,_matchers_js__WEBPACK_IMPORTED_MODULE_7__/* .describeBodyMatcher */ .AO)(options.expectBody)}${response.truncated ? ' (first 64 KiB read)' : ''}`;
    }
    if (options.expectJson !== undefined) {
        let actual;
        try {
            actual = JSON.parse(response.body);
        }
        catch {
            return `body is not JSON${response.truncated ? ' (cut at 64 KiB)' : ''}`;
        }
        const mismatch = (0,_matchers_js__WEBPACK_IMPORTED_MODULE_7__/* .jsonMismatch */ .$O)(options.expectJson, actual);
        if (mismatch)
            return `JSON does not match at ${mismatch}`;
    }
    return undefined;
}
/**
 * One GET with a hard limit on the whole exchange (connect, headers, body). A fresh connection every time (no
 * keep-alive agent): a health check should see what a new visitor sees, not a socket opened before a restart.
 */
function request(target, options, tunnel) {
    return new Promise((resolve) => {
        let status;
        let settled = false;
        const finish = (outcome) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            req.destroy();
            resolve(outcome);
        };
        const fail = (err) => finish({ error: describeRequestError(err, target, tunnel), ...(status !== undefined ? { status } : {}) });
        const timer = setTimeout(() => fail(new RequestTimeout(options.requestTimeoutMs)), options.requestTimeoutMs);
        const req = (target.secure ? (node_https__WEBPACK_IMPORTED_MODULE_1___default()) : (node_http__WEBPACK_IMPORTED_MODULE_0___default())).request(requestOptions(target, options, tunnel), (res) => {
            status = res.statusCode ?? 0;
            const chunks = [];
            let size = 0;
            const done = (truncated) => {
                const body = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, BODY_LIMIT));
                finish({ status: status ?? 0, statusText: res.statusMessage ?? '', body, truncated });
            };
            res.on('data', (chunk) => {
                chunks.push(chunk);
                size += chunk.length;
                // Stop reading at the limit instead of waiting for the end: the rest cannot change a health verdict much.
                if (size >= BODY_LIMIT)
                    done(true);
            });
            res.on('end', () => done(false));
            res.on('error', fail);
        });
        req.on('error', fail);
        req.end();
    });
}
function requestOptions(target, options, tunnel) {
    const headers = { 'user-agent': 'belay-health-check', accept: '*/*' };
    // The user's headers win over the defaults, whatever their case.
    for (const [name, value] of Object.entries(options.headers)) {
        for (const key of Object.keys(headers))
            if (key.toLowerCase() === name.toLowerCase())
                delete headers[key];
        headers[name] = value;
    }
    // Through a tunnel the socket goes to 127.0.0.1:<random>, but the app (or its reverse proxy) routes by the
    // original Host, so send the URL's host explicitly unless the user set one.
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host'))
        headers.host = target.url.host;
    const base = {
        method: 'GET',
        host: tunnel ? tunnel.host : target.hostname,
        port: tunnel ? tunnel.port : target.port,
        path: `${target.url.pathname}${target.url.search}`,
        headers,
        agent: false,
    };
    if (target.secure) {
        // SNI must name the real host (not the tunnel's 127.0.0.1) so the server picks the right certificate;
        // RFC 6066 forbids an IP address there. Node's agent would derive it from the Host header, but that is an
        // implementation detail, so it is set explicitly. The certificate is always checked against the URL's host.
        if (!(0,node_net__WEBPACK_IMPORTED_MODULE_2__.isIP)(target.hostname))
            base.servername = target.hostname;
        base.checkServerIdentity = (_host, cert) => (0,node_tls__WEBPACK_IMPORTED_MODULE_3__.checkServerIdentity)(target.hostname, cert);
        if (options.ca)
            base.ca = options.ca;
    }
    if (target.url.username || target.url.password) {
        base.auth = `${decodeURIComponent(target.url.username)}:${decodeURIComponent(target.url.password)}`;
    }
    return base;
}
class RequestTimeout extends Error {
    ms;
    constructor(ms) {
        super(`timed out after ${(0,_core_duration_js__WEBPACK_IMPORTED_MODULE_5__/* .formatDuration */ .a3)(ms)}`);
        this.ms = ms;
    }
}
/** TLS verification failures Node reports with an OpenSSL code. */
const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;
/** A reason a person can act on, from what Node threw. Never includes the URL (it may hold credentials). */
function describeRequestError(err, target, tunnel) {
    if (err instanceof RequestTimeout)
        return err.message;
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const where = `${target.hostname}:${target.port}${tunnel ? ` (through the tunnel at ${tunnel.host}:${tunnel.port})` : ''}`;
    switch (code) {
        case 'ECONNREFUSED':
            return `connection refused by ${where}: nothing is listening there`;
        case 'ECONNRESET':
            return `connection reset by ${where}`;
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
            return `host ${target.hostname} not found (DNS)`;
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
            return `${where} is unreachable`;
    }
    if (CERT_ERRORS.test(code))
        return `TLS certificate rejected: ${message(err)} (${code})`;
    if (code.startsWith('ERR_SSL') || code === 'EPROTO')
        return `TLS handshake failed: ${message(err)}`;
    if (code.startsWith('HPE_'))
        return `not a valid HTTP response: ${message(err)}`;
    return code ? `${message(err)} (${code})` : message(err);
}
function message(err) {
    // Duck-typed, not `instanceof Error`: errors from another realm (vm contexts, test runners) are still errors.
    const text = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
    return text.split('\n')[0] ?? '';
}
/** The start of a body on one line, for logs: whitespace collapsed, cut at 120 characters. */
function excerpt(body) {
    const flat = body.replace(/\s+/g, ' ').trim();
    return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}
/** `attempt 3: 503 Service Unavailable — body "starting"` / `attempt 4: healthy (200)`. */
function attemptLine(attempt, streak, threshold) {
    const head = `attempt ${attempt.n}: `;
    if (attempt.ok)
        return `${head}healthy (${attempt.status})${threshold > 1 ? `, ${streak} of ${threshold} in a row` : ''}`;
    if (attempt.status === undefined)
        return `${head}${attempt.error ?? attempt.reason}`;
    return `${head}${describeAttempt(attempt)}`;
}
/** Status, the reason when the status alone does not explain it, and the body excerpt. */
function describeAttempt(attempt) {
    const parts = [`${attempt.status} ${(node_http__WEBPACK_IMPORTED_MODULE_0___default().STATUS_CODES)[attempt.status ?? 0] ?? ''}`.trim()];
    const reason = attempt.error ?? attempt.reason;
    if (reason && !reason.startsWith('status '))
        parts.push(reason);
    if (attempt.bodyExcerpt !== undefined)
        parts.push(`body ${JSON.stringify(attempt.bodyExcerpt)}`);
    return parts.join(' — ');
}
/**
 * The message for a failed gate: one headline, then the last three attempts for the log.
 *
 *     Not healthy after 60s (31 attempts): last status 503 (expected 2xx), body "starting"
 *       attempt 29 at 56s: 503 Service Unavailable — body "starting"
 */
function describeFailure(result, options) {
    const last = result.history[result.history.length - 1];
    const head = `Not healthy after ${(0,_core_duration_js__WEBPACK_IMPORTED_MODULE_5__/* .formatDuration */ .a3)(options.timeoutMs)} (${plural(result.attempts, 'attempt')})`;
    const lines = [last ? `${head}: ${lastWord(last, result, options)}` : `${head}: no attempt was made`];
    for (const attempt of result.history.slice(-3)) {
        const what = attempt.ok
            ? `healthy (${attempt.status})`
            : attempt.status === undefined
                ? attempt.error
                : describeAttempt(attempt);
        lines.push(`  attempt ${attempt.n} at ${(0,_core_duration_js__WEBPACK_IMPORTED_MODULE_5__/* .formatDuration */ .a3)(attempt.atMs)}: ${what}`);
    }
    return lines.join('\n');
}
function lastWord(last, result, options) {
    // The last attempt can succeed and still leave the gate closed: the streak was too short when time ran out.
    if (last.ok) {
        return `last status ${last.status} was healthy, but ${options.healthyThreshold} consecutive successes were needed`;
    }
    if (last.status === undefined) {
        const seen = result.lastStatus !== undefined ? `; the last status seen was ${result.lastStatus}` : '';
        return `last attempt failed: ${last.error ?? last.reason}${seen}`;
    }
    const parts = [`last status ${last.status}`];
    if (!options.expectStatus(last.status))
        parts[0] += ` (expected ${options.expectStatusText.trim() || '2xx'})`;
    else if (last.reason)
        parts.push(last.reason);
    if (last.bodyExcerpt !== undefined)
        parts.push(`body ${JSON.stringify(last.bodyExcerpt)}`);
    return parts.join(', ');
}
function plural(n, word) {
    return `${n} ${word}${n === 1 ? '' : 's'}`;
}


/***/ }),

/***/ 5647:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $O: () => (/* binding */ jsonMismatch),
/* harmony export */   $c: () => (/* binding */ parseExpectJson),
/* harmony export */   AO: () => (/* binding */ describeBodyMatcher),
/* harmony export */   Kj: () => (/* binding */ bodyMatches),
/* harmony export */   QG: () => (/* binding */ parseHeaders),
/* harmony export */   W6: () => (/* binding */ parseStatusMatcher),
/* harmony export */   gG: () => (/* binding */ parseBodyMatcher)
/* harmony export */ });
/* unused harmony export jsonSubsetMatches */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(4296);
/**
 * What "healthy" means, parsed once from the user's text: the status codes, the body and the JSON a health
 * endpoint must answer with, and the headers to send. Pure functions; bad text is an InputError naming the input.
 */

const STATUS_FIX = 'Use a code (200), a class (2xx), a range (200-299) or a comma-separated list of them (200,3xx)';
/**
 * `""` means any 2xx; otherwise a comma-separated list of `200`, `2xx` or `200-299`. Any part matching is enough.
 */
function parseStatusMatcher(text) {
    const trimmed = text.trim();
    if (trimmed === '')
        return (status) => status >= 200 && status <= 299;
    const parts = trimmed.split(',').map((part) => statusPart(part.trim()));
    return (status) => parts.some((matches) => matches(status));
}
function statusPart(part) {
    const problem = (why) => new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('expect-status', why, STATUS_FIX);
    if (part === '')
        throw problem('an empty entry in the list');
    if (/^\d{3}$/.test(part)) {
        const code = statusCode(part, problem);
        return (status) => status === code;
    }
    const cls = /^([1-5])xx$/i.exec(part);
    if (cls) {
        const hundred = Number(cls[1]) * 100;
        return (status) => status >= hundred && status <= hundred + 99;
    }
    const range = /^(\d{3})\s*-\s*(\d{3})$/.exec(part);
    if (range) {
        const low = statusCode(range[1], problem);
        const high = statusCode(range[2], problem);
        if (low > high)
            throw problem(`the range "${part}" is empty (${low} is above ${high})`);
        return (status) => status >= low && status <= high;
    }
    throw problem(`"${part}" is not a status code, class or range`);
}
function statusCode(text, problem) {
    const code = Number(text);
    // HTTP status codes are 100-599; anything else can never match and is surely a typo.
    if (code < 100 || code > 599)
        throw problem(`${code} is not an HTTP status code (100-599)`);
    return code;
}
/** Flags that make a RegExp stateful (`lastIndex`), which would make repeated checks alternate between results. */
const STATEFUL_FLAGS = /[gy]/g;
/**
 * `""` means no body check; `/pattern/flags` is a regular expression; anything else is a substring the body must
 * contain. A text is a regex only when it is wrapped in slashes with valid flags after the last one, so a path such
 * as `/api/health` stays a substring.
 */
function parseBodyMatcher(text) {
    if (text === '')
        return undefined;
    const literal = /^\/(.+)\/([a-z]*)$/s.exec(text);
    if (!literal || !/^[dgimsuvy]*$/.test(literal[2]))
        return text;
    try {
        return new RegExp(literal[1], literal[2].replace(STATEFUL_FLAGS, ''));
    }
    catch (err) {
        const why = errorMessage(err);
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('expect-body', `not a valid regular expression (${why})`, 'Fix the pattern, or drop the surrounding slashes to match a plain substring');
    }
}
/** Whether `body` satisfies a matcher from parseBodyMatcher. */
function bodyMatches(matcher, body) {
    return typeof matcher === 'string' ? body.includes(matcher) : matcher.test(body);
}
/** `"ready"` or `/ready/i`, for messages. */
function describeBodyMatcher(matcher) {
    return typeof matcher === 'string' ? JSON.stringify(matcher) : String(matcher);
}
/** `""` means no JSON check; otherwise the text must be a JSON value. */
function parseExpectJson(text) {
    if (text.trim() === '')
        return undefined;
    try {
        return JSON.parse(text);
    }
    catch (err) {
        const why = errorMessage(err);
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('expect-json', `not valid JSON (${why})`, 'Give the part of the response that must match, e.g. {"status":"ok"}');
    }
}
/**
 * Whether `actual` contains `expected`:
 * - objects: every key of `expected` is in `actual` and matches recursively; extra keys in `actual` are fine, so a
 *   health check can pin `{"db":{"up":true}}` without caring about versions or timings next to it;
 * - arrays: the same length, element i matching element i (each element may itself be a partial object). Order and
 *   length are kept strict because "contains some element" silently passes when a list gains a failing entry;
 * - everything else (strings, numbers, booleans, null): strict equality, no type coercion.
 */
function jsonSubsetMatches(expected, actual) {
    return jsonMismatch(expected, actual) === undefined;
}
/** The first place where `actual` does not contain `expected` (`$.db.up: expected true, got false`), if any. */
function jsonMismatch(expected, actual, path = '$') {
    if (Array.isArray(expected)) {
        if (!Array.isArray(actual))
            return `${path}: expected an array, got ${kindOf(actual)}`;
        if (actual.length !== expected.length) {
            return `${path}: expected ${expected.length} elements, got ${actual.length}`;
        }
        for (const [i, item] of expected.entries()) {
            const found = jsonMismatch(item, actual[i], `${path}[${i}]`);
            if (found)
                return found;
        }
        return undefined;
    }
    if (isObject(expected)) {
        if (!isObject(actual))
            return `${path}: expected an object, got ${kindOf(actual)}`;
        for (const [key, value] of Object.entries(expected)) {
            const childPath = `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
            if (!Object.hasOwn(actual, key))
                return `${childPath}: missing`;
            const found = jsonMismatch(value, actual[key], childPath);
            if (found)
                return found;
        }
        return undefined;
    }
    if (expected === actual)
        return undefined;
    return `${path}: expected ${short(expected)}, got ${short(actual)}`;
}
/** Duck-typed so errors from another realm (vm contexts, test runners) keep their message. */
function errorMessage(err) {
    return typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function kindOf(value) {
    if (value === null)
        return 'null';
    if (Array.isArray(value))
        return 'an array';
    if (typeof value === 'object')
        return 'an object';
    return short(value);
}
/** A value for a message, cut so one odd field cannot flood the log. */
function short(value) {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
/** RFC 9110 token characters: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible characters, spaces and tabs: what Node accepts in a header value (no control characters). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HEADERS_FIX = 'Write one "Name: value" per line, or a JSON object of strings';
/**
 * Request headers from `Name: value` lines (blank lines ignored) or a JSON object of strings. Errors name the line
 * or the key but never contain a value: headers usually carry tokens.
 */
function parseHeaders(text) {
    const trimmed = text.trim();
    if (trimmed === '')
        return {};
    const entries = trimmed.startsWith('{') ? jsonHeaders(trimmed) : lineHeaders(trimmed);
    const headers = {};
    const seen = new Set();
    for (const { name, value, where } of entries) {
        if (!HEADER_NAME.test(name))
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('headers', `${where} has no valid header name`, HEADERS_FIX);
        if (!HEADER_VALUE.test(value))
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('headers', `${where} (${name}) has a control character in its value`, HEADERS_FIX);
        // Header names are case-insensitive; a repeat is almost always a copy-paste mistake, so say so.
        if (seen.has(name.toLowerCase()))
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('headers', `${where} repeats the header ${name}`, 'Give each header once');
        seen.add(name.toLowerCase());
        headers[name] = value;
    }
    return headers;
}
function lineHeaders(text) {
    const entries = [];
    for (const [i, line] of text.split(/\r?\n/).entries()) {
        if (line.trim() === '')
            continue;
        const colon = line.indexOf(':');
        if (colon <= 0)
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('headers', `line ${i + 1} is not "Name: value"`, HEADERS_FIX);
        entries.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim(), where: `line ${i + 1}` });
    }
    return entries;
}
function jsonHeaders(text) {
    let parsed;
    try {
        parsed = JSON.parse(text);
    }
    catch {
        // JSON.parse's message quotes the text around the error, which may be a token: say nothing more.
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('headers', 'starts with "{" but is not valid JSON', HEADERS_FIX);
    }
    if (!isObject(parsed))
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('headers', 'is JSON but not an object', HEADERS_FIX);
    return Object.entries(parsed).map(([name, value], i) => {
        const where = `key ${i + 1}`;
        if (typeof value !== 'string')
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('headers', `${where} has a value that is not a string`, HEADERS_FIX);
        return { name, value, where };
    });
}


/***/ }),

/***/ 931:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   healthOptions: () => (/* binding */ healthOptions),
/* harmony export */   runHealth: () => (/* binding */ runHealth)
/* harmony export */ });
/* harmony import */ var _config_connection_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9420);
/* harmony import */ var _config_layers_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9597);
/* harmony import */ var _core_duration_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8571);
/* harmony import */ var _report_reporter_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(4969);
/* harmony import */ var _transport_pool_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(2548);
/* harmony import */ var _check_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3774);
/* harmony import */ var _matchers_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(5647);
/** `belay health` / the health-check action: inputs → checkHealth → outputs, summary and a verdict. */







async function runHealth({ reporter, face, loaded }) {
    const v = loaded.values;
    if (!v.url)
        throw (0,_config_layers_js__WEBPACK_IMPORTED_MODULE_1__/* .missing */ .LO)('url', face);
    (0,_check_js__WEBPACK_IMPORTED_MODULE_4__/* .parseTarget */ .hu)(v.url); // a bad URL is refused before any connection is made
    const options = healthOptions(v);
    // A URL may carry credentials (https://user:token@host/health): they are secrets too.
    for (const secret of (0,_report_reporter_js__WEBPACK_IMPORTED_MODULE_6__/* .secretsOfUrl */ .mE)(v.url).slice(1))
        reporter.secret(secret);
    for (const value of Object.values(options.headers))
        reporter.secret(value);
    let openTunnel;
    if (v.viaSsh) {
        const { targets, options: connection } = (0,_config_connection_js__WEBPACK_IMPORTED_MODULE_0__/* .resolveConnection */ .X)(v, face);
        openTunnel = async (host, port) => {
            const forward = await (0,_transport_pool_js__WEBPACK_IMPORTED_MODULE_3__/* .forwardThroughFirst */ .C)(targets, connection, reporter, { host, port });
            reporter.info(`through SSH: ${host}:${port} as seen from ${forward.server.host}`);
            return { host: forward.localHost, port: forward.localPort, close: () => forward.close() };
        };
    }
    // checkHealth opens the tunnel once and closes it (and so its SSH connection) however the check ends.
    const result = await reporter.group(`Health check ${v.url}`, () => (0,_check_js__WEBPACK_IMPORTED_MODULE_4__/* .checkHealth */ .Ns)(options, { reporter, ...(openTunnel ? { openTunnel } : {}) }));
    reporter.setOutput('healthy', result.healthy);
    reporter.setOutput('attempts', result.attempts);
    reporter.setOutput('elapsed-ms', result.elapsedMs);
    reporter.setOutput('last-status', result.lastStatus ?? '');
    reporter.summary(`### ${result.healthy ? '✅' : '❌'} Health check\n\n` +
        (0,_report_reporter_js__WEBPACK_IMPORTED_MODULE_6__/* .markdownTable */ .Qj)(['URL', 'Healthy', 'Attempts', 'Elapsed', 'Last status'], [
            [
                v.url,
                String(result.healthy),
                String(result.attempts),
                (0,_core_duration_js__WEBPACK_IMPORTED_MODULE_2__/* .formatDuration */ .a3)(result.elapsedMs),
                String(result.lastStatus ?? '–'),
            ],
        ]));
    if (result.healthy) {
        reporter.info(`✓ healthy after ${result.attempts} attempt(s) in ${(0,_core_duration_js__WEBPACK_IMPORTED_MODULE_2__/* .formatDuration */ .a3)(result.elapsedMs)}`);
        return true;
    }
    reporter.error((0,_check_js__WEBPACK_IMPORTED_MODULE_4__/* .describeFailure */ .Ic)(result, options));
    return false;
}
function healthOptions(v) {
    const expectBody = v.expectBody ? (0,_matchers_js__WEBPACK_IMPORTED_MODULE_5__/* .parseBodyMatcher */ .gG)(v.expectBody) : undefined;
    return {
        url: v.url,
        expectStatus: (0,_matchers_js__WEBPACK_IMPORTED_MODULE_5__/* .parseStatusMatcher */ .W6)(v.expectStatus ?? ''),
        expectStatusText: v.expectStatus || '2xx',
        ...(expectBody !== undefined ? { expectBody } : {}),
        ...(v.expectJson ? { expectJson: (0,_matchers_js__WEBPACK_IMPORTED_MODULE_5__/* .parseExpectJson */ .$c)(v.expectJson) } : {}),
        timeoutMs: v.timeout,
        intervalMs: v.interval,
        requestTimeoutMs: v.requestTimeout,
        healthyThreshold: v.healthyThreshold,
        headers: v.headers ? (0,_matchers_js__WEBPACK_IMPORTED_MODULE_5__/* .parseHeaders */ .QG)(v.headers) : {},
    };
}


/***/ })

};
