import { fileURLToPath as __belayPath } from 'node:url';
const __filename = __belayPath(import.meta.url);
const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));
export const id = 49;
export const ids = [49];
export const modules = {

/***/ 9420:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   X: () => (/* binding */ resolveConnection)
/* harmony export */ });
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(4296);
/* harmony import */ var _layers_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1978);
/** From validated inputs to what the SSH transport needs: targets and connection options. */


function resolveConnection(values, face) {
    if (!values.host)
        throw (0,_layers_js__WEBPACK_IMPORTED_MODULE_1__/* .missing */ .LO)('host', face);
    const port = values.port ?? 22;
    const targets = values.host.map((h) => {
        const user = h.user ?? values.user;
        if (!user) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('user', `no SSH user for ${h.host}`, 'Set user (e.g. deploy) or write the host as deploy@host.');
        }
        return { user, host: h.host, port: h.port ?? port };
    });
    if (!values.sshKey) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('ssh-key', 'no private key was given', face === 'action'
            ? 'Pass it from a secret: `ssh-key: ${{ secrets.SSH_KEY }}`.'
            : 'Pass --ssh-key-file ~/.ssh/id_ed25519 or set BELAY_SSH_KEY.');
    }
    const policy = values.hostKeyPolicy ?? 'strict';
    const fingerprints = values.hostFingerprint ?? [];
    if (policy === 'strict' && !values.knownHosts && fingerprints.length === 0) {
        const first = targets[0];
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz('known-hosts', 'neither known-hosts nor host-fingerprint is set, so the server cannot be verified', `Add the output of \`ssh-keyscan -p ${first.port} ${first.host}\` (checked out of band) as known-hosts, or set host-key-policy: accept-new to trust it on first use.`);
    }
    const jump = values.jumpHost;
    const jumpUser = jump ? (jump.user ?? values.user ?? targets[0].user) : undefined;
    return {
        targets,
        options: {
            privateKey: values.sshKey,
            ...(values.sshPassphrase ? { passphrase: values.sshPassphrase } : {}),
            ...(values.knownHosts ? { knownHosts: values.knownHosts } : {}),
            ...(fingerprints.length ? { hostFingerprints: fingerprints } : {}),
            hostKeyPolicy: policy,
            ...(jump ? { jumpHost: { user: jumpUser, host: jump.host, port: jump.port ?? 22 } } : {}),
            connectTimeoutMs: values.connectTimeout ?? 30_000,
            commandTimeoutMs: values.commandTimeout ?? 30 * 60_000,
        },
    };
}


/***/ }),

/***/ 6102:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   HW: () => (/* binding */ cmd),
/* harmony export */   K$: () => (/* binding */ script),
/* harmony export */   O6: () => (/* binding */ seq),
/* harmony export */   V2: () => (/* binding */ redirect),
/* harmony export */   XX: () => (/* binding */ render),
/* harmony export */   hD: () => (/* binding */ quote),
/* harmony export */   or: () => (/* binding */ or)
/* harmony export */ });
/* unused harmony exports withEnv, and, pipe, group, inShell */
/**
 * Commands as data. Every remote command is built from argv arrays joined by a few combinators and rendered to a
 * POSIX shell string by one quoting function. Nothing a user typed is ever concatenated into shell text: it can
 * only arrive as an argv element, which `quote` turns into a single inert word.
 */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Quote one word for a POSIX shell (sh, dash, bash, busybox ash): the result is always exactly one literal word. */
function quote(word) {
    if (word === '')
        return "''";
    if (SAFE_WORD.test(word))
        return word;
    return `'${word.replace(/'/g, `'\\''`)}'`;
}
/** A simple command: program and arguments, each quoted. */
function cmd(program, ...args) {
    return { kind: 'argv', argv: [program, ...args.map(String)] };
}
/** The same command with environment assignments in front (`NAME='value' program ...`). */
function withEnv(env, command) {
    if (command.kind !== 'argv')
        throw new Error('withEnv applies to a simple command');
    for (const name of Object.keys(env)) {
        if (!ENV_NAME.test(name))
            throw new Error(`not an environment variable name: ${JSON.stringify(name)}`);
    }
    return { ...command, env: { ...command.env, ...env } };
}
const and = (...parts) => ({ kind: 'and', parts });
const or = (...parts) => ({ kind: 'or', parts });
const pipe = (...parts) => ({ kind: 'pipe', parts });
/** `a; b`: run in order whatever the exit codes. */
const seq = (...parts) => ({ kind: 'seq', parts });
const group = (command) => ({ kind: 'group', command });
function redirect(command, op, target = '') {
    return { kind: 'redirect', command, op, target };
}
/**
 * Constant shell text written in belay's source (never built from input). Kept for the few things argv cannot
 * express, such as `$HOME`; the name makes every use easy to audit.
 */
function script(text) {
    return { kind: 'script', text };
}
const JOINERS = { and: ' && ', or: ' || ', pipe: ' | ', seq: '; ' };
/** Render a command to one line of POSIX shell. */
function render(command) {
    switch (command.kind) {
        case 'argv': {
            if (command.argv.length === 0)
                throw new Error('empty command');
            const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
            return [...env, ...command.argv.map(quote)].join(' ');
        }
        case 'and':
        case 'or':
        case 'pipe':
        case 'seq':
            if (command.parts.length === 0)
                throw new Error(`empty ${command.kind}`);
            return command.parts.map((p) => renderOperand(p, command.kind)).join(JOINERS[command.kind]);
        case 'group':
            return `{ ${render(command.command)}; }`;
        case 'redirect': {
            const inner = renderOperand(command.command, 'redirect');
            if (command.op === '2>&1' || command.op === '>/dev/null 2>&1')
                return `${inner} ${command.op}`;
            return `${inner} ${command.op} ${quote(command.target)}`;
        }
        case 'script':
            return command.text;
    }
}
function renderOperand(part, parent) {
    const needsGroup = (part.kind === 'and' || part.kind === 'or' || part.kind === 'seq' || part.kind === 'pipe') && part.kind !== parent;
    return needsGroup ? `{ ${render(part)}; }` : render(part);
}
/** `sh -c '<rendered>'`: the whole command as one argv word, for running it under a specific shell. */
function inShell(command) {
    return cmd('sh', '-c', render(command));
}


/***/ }),

/***/ 2548:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  j: () => (/* binding */ ConnectionPool),
  C: () => (/* binding */ forwardThroughFirst)
});

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:events"
var external_node_events_ = __webpack_require__(8474);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(7030);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
// EXTERNAL MODULE: ./node_modules/node-ssh/lib/esm/index.mjs + 2 modules
var esm = __webpack_require__(9487);
// EXTERNAL MODULE: ./node_modules/ssh2/lib/index.js
var lib = __webpack_require__(5472);
var lib_default = /*#__PURE__*/__webpack_require__.n(lib);
// EXTERNAL MODULE: ./src/core/command.ts
var core_command = __webpack_require__(6102);
// EXTERNAL MODULE: ./src/core/errors.ts
var errors = __webpack_require__(4296);
// EXTERNAL MODULE: ./src/core/duration.ts
var duration = __webpack_require__(8571);
// EXTERNAL MODULE: ./src/core/hosts.ts
var hosts = __webpack_require__(3848);
;// CONCATENATED MODULE: ./src/transport/known-hosts.ts
/**
 * known_hosts parsing and host key verification, without I/O. The SSH transport hands in the raw key blob the
 * server presented during the handshake; this module decides whether that key is the one we were told to expect.
 *
 * Format (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): `[@marker] hostpatterns keytype base64key [comment]`, where
 * hostpatterns is a comma-separated list of names (`*`, `?` wildcards, `!` negation, `[host]:port` for ports
 * other than 22) or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
 */

function parseKnownHosts(text) {
    const entries = [];
    const invalidLines = [];
    text.split(/\r?\n/).forEach((raw, index) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            return;
        const entry = parseLine(line, index + 1);
        if (entry)
            entries.push(entry);
        else
            invalidLines.push(index + 1);
    });
    return { entries, invalidLines };
}
function parseLine(line, lineNumber) {
    const fields = line.split(/\s+/);
    let marker;
    if (fields[0]?.startsWith('@')) {
        const name = fields.shift();
        if (name !== '@cert-authority' && name !== '@revoked')
            return undefined;
        marker = name.slice(1);
    }
    const [hosts, keyType, base64] = fields;
    if (!hosts || !keyType || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64))
        return undefined;
    const key = Buffer.from(base64, 'base64');
    // The blob starts with its own type name; a line whose two disagree is corrupt, not a key to trust.
    if (blobKeyType(key) !== keyType)
        return undefined;
    return { line: lineNumber, ...(marker ? { marker } : {}), hosts, keyType, key };
}
/** How a host is written in known_hosts: bare for port 22, `[host]:port` otherwise (what ssh-keyscan prints). */
function hostKeyName(host, port) {
    const name = host.toLowerCase();
    return port === 22 ? name : `[${name}]:${port}`;
}
/** Does the host field of an entry name this host? */
function hostFieldMatches(hosts, host, port) {
    const name = hostKeyName(host, port);
    if (hosts.startsWith('|1|'))
        return hashedNameMatches(hosts, name);
    let matched = false;
    for (const pattern of hosts.split(',')) {
        if (pattern.startsWith('!')) {
            // A matching negation vetoes the whole entry, whatever else matched.
            if (wildcardMatches(pattern.slice(1), name))
                return false;
        }
        else if (wildcardMatches(pattern, name)) {
            matched = true;
        }
    }
    return matched;
}
function hashedNameMatches(field, name) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash)
        return false;
    const digest = (0,external_node_crypto_.createHmac)('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return digest.equals(Buffer.from(hash, 'base64'));
}
function wildcardMatches(pattern, name) {
    const source = pattern
        .toLowerCase()
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
        .join('');
    return new RegExp(`^${source}$`).test(name);
}
/** The key type name at the start of an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`). */
function blobKeyType(keyBlob) {
    if (keyBlob.length < 4)
        return undefined;
    const length = keyBlob.readUInt32BE(0);
    if (length === 0 || length > 64 || 4 + length > keyBlob.length)
        return undefined;
    return keyBlob.subarray(4, 4 + length).toString('latin1');
}
/** `SHA256:<base64 without padding>`, exactly what `ssh-keygen -lf -E sha256` prints. */
function fingerprint(keyBlob) {
    return `SHA256:${(0,external_node_crypto_.createHash)('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}
/** Fingerprints compare without their padding, so a value pasted with or without `=` works. */
function normalizeFingerprint(value) {
    return value.trim().replace(/=+$/, '');
}
/** The known_hosts line that pins this key, for the user to copy. */
function knownHostsLine(host, port, keyBlob) {
    return `${hostKeyName(host, port)} ${blobKeyType(keyBlob) ?? 'unknown'} ${keyBlob.toString('base64')}`;
}
/** Key types known for a host, in known_hosts order: lets the client ask the server for a key it can check. */
function knownKeyTypes(knownHosts, host, port) {
    const types = parseKnownHosts(knownHosts)
        .entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, host, port))
        .map((e) => e.keyType);
    return [...new Set(types)];
}
/**
 * Decide whether the presented host key is acceptable. Order matters and fails closed:
 * a revoked key is refused whatever else says; then a known_hosts line or a pinned fingerprint accepts;
 * then any expectation at all (a known key of this host, or a pinned fingerprint) makes it a mismatch, which even
 * `accept-new` refuses; only a host we know nothing about may be accepted, and only under `accept-new`.
 */
function verifyHostKey(check) {
    const presented = fingerprint(check.presentedKey);
    const presentedType = blobKeyType(check.presentedKey) ?? 'unknown';
    const entries = check.knownHosts ? parseKnownHosts(check.knownHosts).entries : [];
    // A revoked key is refused for every host, not only the ones its line names: it is the key that is compromised.
    if (entries.some((e) => e.marker === 'revoked' && e.key.equals(check.presentedKey))) {
        return { ok: false, reason: 'revoked', expected: [], expectedKeys: [], presented, presentedType };
    }
    const forHost = entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, check.host, check.port));
    if (forHost.some((e) => e.key.equals(check.presentedKey))) {
        return { ok: true, how: 'known-hosts', presented, presentedType };
    }
    const pinned = (check.fingerprints ?? []).map(normalizeFingerprint).filter((f) => f !== '');
    if (pinned.includes(presented))
        return { ok: true, how: 'fingerprint', presented, presentedType };
    const expectedKeys = [
        ...forHost.map((e) => ({ fingerprint: fingerprint(e.key), from: 'known-hosts', keyType: e.keyType })),
        ...pinned.map((f) => ({ fingerprint: f, from: 'host-fingerprint' })),
    ];
    if (expectedKeys.length > 0) {
        const expected = expectedKeys.map((k) => k.fingerprint);
        return { ok: false, reason: 'mismatch', expected, expectedKeys, presented, presentedType };
    }
    if (check.policy === 'accept-new')
        return { ok: true, how: 'accept-new', presented, presentedType };
    return { ok: false, reason: 'unknown', expected: [], expectedKeys: [], presented, presentedType };
}

;// CONCATENATED MODULE: ./src/transport/errors.ts
/**
 * The one-line messages of the transport. Each says what happened, on which host, and the next step, naming the
 * input to change (`ssh-key`, `ssh-passphrase`, `known-hosts`, `host-fingerprint`, `connect-timeout`).
 * None of them may carry key material or a passphrase: they only ever receive key *types* and fingerprints.
 */




const hostPort = (t) => (0,hosts/* hostLabel */.v)({ host: t.host, port: t.port });
const userHostPort = (t) => (0,hosts/* hostLabel */.v)(t);
/** `deploy@host:22` or `jump host deploy@host:22`. */
const named = (e, form) => e.role === 'host' ? form(e.target) : `jump host ${form(e.target)}`;
/** The start of a rendered command, enough to recognize it in a message. */
function commandPreview(rendered) {
    const oneLine = rendered.replace(/\s+/g, ' ');
    return oneLine.length > 80 ? `${oneLine.slice(0, 80)}...` : oneLine;
}
// ------------------------------------------------------------------------------------------------ host keys
function hostKeyRefused(endpoint, verdict) {
    const presented = `${verdict.presented} (${verdict.presentedType})`;
    const { host, port } = endpoint.target;
    switch (verdict.reason) {
        case 'revoked':
            return new errors/* BelayError */.oT(`Host key ${presented} of ${named(endpoint, userHostPort)} is marked @revoked in known-hosts; refusing to ` +
                `connect. Give the server a new host key and put that one in known-hosts.`);
        case 'mismatch': {
            const expected = verdict.expectedKeys.map((k) => `${k.fingerprint} (${k.from})`).join(' or ');
            const sources = [...new Set(verdict.expectedKeys.map((k) => k.from))].join(' and ');
            return new errors/* BelayError */.oT(`Host key for ${named(endpoint, userHostPort)} did not match: expected ${expected}, the server presented ` +
                `${presented}. If the server was reinstalled, update ${sources}; otherwise someone may be intercepting ` +
                `the connection.`);
        }
        case 'unknown': {
            const keyscan = port === 22 ? `ssh-keyscan ${host}` : `ssh-keyscan -p ${port} ${host}`;
            const subject = endpoint.role === 'host' ? 'Host' : 'Jump host';
            return new errors/* BelayError */.oT(`${subject} ${hostPort(endpoint.target)} is not in known-hosts and no host-fingerprint matched; it ` +
                `presented ${presented}. Add its key to known-hosts (${keyscan}) or set host-fingerprint, after ` +
                `checking it out of band.`);
        }
    }
}
/** The accept-new warning: the key we trusted on first use and the line that pins it from now on. */
function acceptedNewHostKey(endpoint, presentedKey, verdict) {
    const { host, port } = endpoint.target;
    return (`${endpoint.role === 'host' ? 'Host' : 'Jump host'} ${hostPort(endpoint.target)} was not in known-hosts; ` +
        `accepted its ${verdict.presentedType} key ${verdict.presented} on first use (host-key-policy: accept-new). ` +
        `To pin it, add this line to known-hosts: ${knownHostsLine(host, port, presentedKey)}`);
}
// ------------------------------------------------------------------------------------------------ client key
/** Why ssh2 could not read the private key, as a message about the `ssh-key` / `ssh-passphrase` inputs. */
function privateKeyUnreadable(keyText, reason, passphraseGiven) {
    const why = reason.message;
    if (/no passphrase given/i.test(why)) {
        return new errors/* BelayError */.oT('The private key in ssh-key is encrypted and no ssh-passphrase was given. Set ssh-passphrase (from a ' +
            'secret) or use an unencrypted deploy key.');
    }
    if (passphraseGiven && /passphrase|bad decrypt|integrity check/i.test(why)) {
        return new errors/* BelayError */.oT('The ssh-passphrase does not decrypt the private key in ssh-key. Check that the ssh-passphrase secret ' +
            'belongs to this key.');
    }
    return new errors/* BelayError */.oT(`ssh-key is not a private key belay can read: ${keyShapeHint(keyText)}.`);
}
function notAPrivateKey() {
    return new errors/* BelayError */.oT('ssh-key holds a public key. Give the private key (the file without .pub).');
}
/**
 * The usual ways a key gets mangled on its way into a CI secret, judged from the text's shape only
 * (the text itself is never echoed).
 */
function keyShapeHint(keyText) {
    const fix = 'give an OpenSSH or PEM private key (ed25519, ecdsa or rsa) with its BEGIN and END lines';
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(keyText)) {
        return `it has no "-----BEGIN ... PRIVATE KEY-----" line; ${fix}`;
    }
    if (!/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(keyText))
        return `its END line is missing (truncated?); ${fix}`;
    if (keyText.trim().split('\n').length < 3)
        return `its line breaks are missing; ${fix}`;
    return `its content is not a supported key; ${fix}`;
}
/** `ssh-ed25519` → `ed25519`, `ecdsa-sha2-nistp256` → `ecdsa`, `ssh-rsa` → `rsa`. */
function shortKeyType(sshType) {
    if (sshType.includes('ed25519'))
        return 'ed25519';
    if (sshType.startsWith('ecdsa'))
        return 'ecdsa';
    if (sshType.includes('rsa'))
        return 'rsa';
    return sshType.replace(/^ssh-/, '');
}
/** Translate an ssh2 / socket error raised while connecting. */
function connectFailed(endpoint, err, context) {
    const e = (err ?? {});
    const where = named(endpoint, hostPort);
    const { user } = endpoint.target;
    if (e.level === 'client-authentication') {
        return new errors/* BelayError */.oT(`SSH authentication refused for user ${user} on ${where} with the ${context.keyType} key given in ssh-key. ` +
            `Check that its public key is in ~${user}/.ssh/authorized_keys on that server.`);
    }
    if (e.level === 'client-timeout') {
        return new errors/* BelayError */.oT(`Could not connect to ${where} within ${(0,duration/* formatDuration */.a3)(context.connectTimeoutMs)} (connect-timeout). ` +
            `Check that the server is up and that this runner can reach that port (firewall, security group).`);
    }
    switch (e.code) {
        case 'ECONNREFUSED':
            return new errors/* BelayError */.oT(`Could not connect to ${where}: connection refused. Check the host and port, and that sshd is running there.`);
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
        case 'EAI_NONAME':
            return new errors/* BelayError */.oT(`Could not connect to ${where}: the host name ${endpoint.target.host} could not be resolved (${e.code}). ` +
                `Check the host name.`);
        case 'ETIMEDOUT':
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
            return new errors/* BelayError */.oT(`Could not connect to ${where}: ${e.code}. Check that the server is up and reachable from this runner.`);
        case 'ECONNRESET':
            return new errors/* BelayError */.oT(`The server at ${where} closed the connection during the SSH handshake (ECONNRESET). Check sshd's log ` +
                `there (MaxStartups, fail2ban, AllowUsers).`);
    }
    if (e.level === 'handshake' || e.level === 'protocol') {
        return new errors/* BelayError */.oT(`SSH handshake with ${where} failed: ${firstLine(e.message)}.`);
    }
    return new errors/* BelayError */.oT(`Could not connect to ${where}: ${firstLine(e.message ?? String(err))}.`);
}
function connectionLost(target, rendered, reason) {
    return new errors/* BelayError */.oT(`Lost the SSH connection to ${userHostPort(target)}${reason ? ` (${reason})` : ''} while running: ` +
        `${commandPreview(rendered)}. The command may or may not have completed on the server; check its state ` +
        `before retrying.`);
}
/** An operation asked for after the connection had already dropped. */
function connectionGone(label, reason, action) {
    return new errors/* BelayError */.oT(`The SSH connection to ${label} was lost earlier (${reason}); could not ${action}.`);
}
function commandTimedOut(label, timeoutMs, rendered, stopped) {
    const outcome = stopped ? 'and was stopped' : 'and could not be confirmed stopped (it may still be running)';
    return new errors/* BelayError */.oT(`Command timed out after ${(0,duration/* formatDuration */.a3)(timeoutMs)} on ${label} ${outcome}: ${commandPreview(rendered)}`);
}
const firstLine = (text) => text.split('\n')[0]?.replace(/\.$/, '') ?? '';

;// CONCATENATED MODULE: ./src/transport/ssh.ts
/**
 * The SSH transport: one authenticated connection to a server (optionally through a jump host) on which commands
 * run, files are uploaded and ports are forwarded. Built on node-ssh for connecting; exec, SFTP and forwarding use
 * its underlying ssh2 Client directly because they need the raw channel (stdin, exit signals, a second channel to
 * stop a timed-out command).
 */














const silent = { warn: () => { }, debug: () => { } };
const DEFAULT_KEEPALIVE_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 3;
/** OpenSSH's default MaxSessions is 10; the rest is left for the SFTP session and the stopper channel. */
const MAX_CONCURRENT_COMMANDS = 8;
/** How long a timed-out command gets between SIGTERM and SIGKILL (tenths of a second, for the stop script). */
const STOP_GRACE_TENTHS = 30;
/** After stopping, how long to wait for the server to close the command's channel before closing it ourselves. */
const CHANNEL_CLOSE_WAIT_MS = 2_000;
const CLIENT_CLOSE_WAIT_MS = 2_000;
const PGID_MARKER = 'belay-pgid=';
/** ssh2's host key algorithms, in its default order. */
const HOST_KEY_ALGORITHMS = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
];
class SshTransport {
    target;
    options;
    log;
    client;
    hops;
    label;
    /** How the target's identity was established: `SHA256:… (ed25519) matched known-hosts`. */
    hostKey;
    commands = new Limiter(MAX_CONCURRENT_COMMANDS);
    forwards = new Set();
    sftpSession;
    lostReason;
    closing;
    constructor(target, options, log, client, 
    /** The connections to close, innermost (target) first. */
    hops, hostKey) {
        this.target = target;
        this.options = options;
        this.log = log;
        this.client = client;
        this.hops = hops;
        this.label = userHostPort(target);
        this.hostKey = hostKey;
        client.on('error', (err) => {
            this.lostReason = err.message;
            log.debug(`${this.label}: connection error: ${err.message}`);
        });
        client.on('close', () => {
            this.lostReason ??= 'connection closed';
        });
    }
    /** Connect and authenticate, through `options.jumpHost` when set. Throws a one-line BelayError on failure. */
    static async connect(target, options, log = silent) {
        const key = loadClientKey(options.privateKey, options.passphrase);
        if (!options.jumpHost) {
            const { client, hostKey } = await openClient({ target, role: 'host' }, key, options, log);
            return new SshTransport(target, options, log, client, [client], hostKey);
        }
        const { client: jump } = await openClient({ target: options.jumpHost, role: 'jump host' }, key, options, log);
        try {
            const tunnel = await forwardOut(jump, target.host, target.port).catch((err) => {
                throw new errors/* BelayError */.oT(`Jump host ${userHostPort(options.jumpHost)} could not open a connection to ${hostPort(target)}: ` +
                    `${err.message}. Check that the jump host can reach it and allows TCP forwarding.`);
            });
            const { client, hostKey } = await openClient({ target, role: 'host' }, key, options, log, tunnel);
            return new SshTransport(target, options, log, client, [client, jump], hostKey);
        }
        catch (err) {
            await endClient(jump);
            throw err;
        }
    }
    // ---------------------------------------------------------------------------------------------- exec
    async exec(command, options = {}) {
        const rendered = (0,core_command/* render */.XX)(command);
        const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs;
        return this.commands.run(() => this.run(rendered, options, timeoutMs));
    }
    async run(rendered, options, timeoutMs) {
        const channel = await this.openChannel(withGroupReport(rendered), rendered);
        const closed = (0,external_node_events_.once)(channel, 'close').then(() => undefined);
        const stdout = new PgidReader((noise) => this.log.debug(`${this.label}: shell start-up output dropped: ${noise}`));
        const collected = { stdout: [], stderr: [] };
        return new Promise((resolve, reject) => {
            let timedOut = false;
            const emitStdout = (chunk) => {
                collected.stdout.push(chunk);
                options.onStdout?.(chunk);
            };
            channel.on('data', (chunk) => stdout.push(chunk).forEach(emitStdout));
            channel.stderr.on('data', (chunk) => {
                collected.stderr.push(chunk);
                options.onStderr?.(chunk);
            });
            const timer = timeoutMs > 0
                ? setTimeout(() => {
                    timedOut = true;
                    this.stop(channel, closed, stdout.pgid)
                        .then((stopped) => reject(commandTimedOut(this.label, timeoutMs, rendered, stopped)))
                        .catch(reject);
                }, timeoutMs)
                : undefined;
            // ssh2 passes the exit status to 'close' too. That is the copy to read: the 'exit' event of a quick command
            // can fire in the same tick as the channel opens, before any listener could be attached here.
            channel.on('close', (code, signal) => {
                clearTimeout(timer);
                if (timedOut)
                    return;
                stdout.flush().forEach(emitStdout);
                if (code === undefined) {
                    // No exit status: the connection dropped (ssh2 then closes every channel). Let the client's own events
                    // record why before reporting.
                    setImmediate(() => reject(connectionLost(this.target, rendered, this.lostReason)));
                    return;
                }
                resolve({
                    code: code ?? exitCodeOfSignal(signal),
                    stdout: Buffer.concat(collected.stdout).toString('utf8'),
                    stderr: Buffer.concat(collected.stderr).toString('utf8'),
                    ...(code === null && signal ? { signal } : {}),
                });
            });
            // Always close stdin, so that a command reading it sees end-of-file instead of waiting forever.
            channel.end(options.stdin ?? undefined);
        });
    }
    openChannel(commandText, rendered) {
        return new Promise((resolve, reject) => {
            // Gone before the command was asked for: it never ran. Lost while it was being started: the server may have
            // started it already (a command can even end the connection before its channel is confirmed).
            const goneBefore = this.lostReason;
            // Deferred a turn, like a dropped channel's close: the client's own events record why the connection went.
            const fail = (err) => void setImmediate(() => reject(goneBefore
                ? connectionGone(this.label, goneBefore, `run: ${commandPreview(rendered)}`)
                : this.lostReason
                    ? connectionLost(this.target, rendered, this.lostReason)
                    : new errors/* BelayError */.oT(`Could not start a command on ${this.label}: ${err.message}.`)));
            try {
                this.client.exec(commandText, (err, channel) => (err ? fail(err) : resolve(channel)));
            }
            catch (err) {
                fail(err);
            }
        });
    }
    /**
     * Stop a timed-out command and everything it started. sshd runs each command in a new session (setsid), so
     * the command's process group id is the pid our wrapper reported. A second channel on the same connection
     * signals that group: TERM, then KILL if it is still there after a grace period. (The SSH "signal" channel
     * request would also reach the group on OpenSSH >= 7.9, but ssh2 only sends it while stdin is still open, and
     * we close stdin at once; it also cannot tell us whether the processes are gone.)
     * Resolves true when the group is confirmed gone.
     */
    async stop(channel, closed, pgid) {
        let stopped = false;
        if (pgid !== undefined) {
            try {
                const stopper = await this.openChannel((0,core_command/* render */.XX)(stopGroup(pgid)), 'stop timed-out command');
                stopper.resume();
                stopper.stderr.resume();
                stopper.end();
                const [code] = (await (0,external_node_events_.once)(stopper, 'close'));
                stopped = code === 0;
            }
            catch (err) {
                this.log.debug(`${this.label}: could not stop process group ${pgid}: ${err.message}`);
            }
        }
        // Once the processes are gone sshd closes the channel; if it does not, close it from this side.
        await Promise.race([closed, delay(CHANNEL_CLOSE_WAIT_MS)]);
        channel.close();
        return stopped;
    }
    // ---------------------------------------------------------------------------------------------- upload
    upload(content, remotePath, mode = 0o644) {
        const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
        return this.writeRemote([data], remotePath, mode);
    }
    async uploadFile(localPath, remotePath, mode = 0o644) {
        await (0,promises_.access)(localPath).catch((err) => {
            throw new errors/* BelayError */.oT(`Cannot upload ${localPath}: it cannot be read here (${err.code}).`);
        });
        await this.writeRemote((0,external_node_fs_.createReadStream)(localPath), remotePath, mode);
    }
    /**
     * Write to a new temporary name next to `remotePath` (see writeNew for its mode), then rename over it: readers
     * of `remotePath` see the old file or the complete new one, never a partial one.
     */
    async writeRemote(source, remotePath, mode) {
        const sftp = await this.sftp();
        const temporary = external_node_path_.posix.join(external_node_path_.posix.dirname(remotePath), `.${external_node_path_.posix.basename(remotePath)}.belay-${(0,external_node_crypto_.randomBytes)(6).toString('hex')}`);
        try {
            await writeNew(sftp, temporary, mode, source);
            await renameOver(sftp, temporary, remotePath);
        }
        catch (err) {
            await sftpCall((cb) => sftp.unlink(temporary, cb)).catch(() => undefined);
            if (err instanceof errors/* BelayError */.oT)
                throw err;
            throw new errors/* BelayError */.oT(`Could not upload ${remotePath} to ${this.label}: ${describeSftpError(err)}.`);
        }
    }
    async uploadStream(source, remotePath, mode = 0o600) {
        const sftp = await this.sftp();
        await writeNew(sftp, remotePath, mode, source).catch((err) => {
            if (err instanceof errors/* BelayError */.oT)
                throw err;
            throw new errors/* BelayError */.oT(`Could not write ${remotePath} on ${this.label}: ${describeSftpError(err)}.`);
        });
    }
    async download(remotePath) {
        const sftp = await this.sftp();
        const handle = await sftpCall((cb) => sftp.open(remotePath, 'r', cb)).catch((err) => {
            throw new errors/* BelayError */.oT(`Could not read ${remotePath} on ${this.label}: ${describeSftpError(err, 'it')}.`);
        });
        return external_node_stream_.Readable.from(pipelinedRead(sftp, handle, `${remotePath} on ${this.label}`), { objectMode: false });
    }
    /** One SFTP session per connection, opened on first use and reopened if the server ends it. */
    sftp() {
        this.sftpSession ??= new Promise((resolve, reject) => {
            try {
                this.client.sftp((err, sftp) => {
                    if (err)
                        return reject(err);
                    sftp.on('close', () => (this.sftpSession = undefined));
                    resolve(sftp);
                });
            }
            catch (err) {
                reject(err);
            }
        }).catch((err) => {
            this.sftpSession = undefined;
            if (this.lostReason)
                throw connectionGone(this.label, this.lostReason, 'start SFTP for an upload');
            throw new errors/* BelayError */.oT(`Could not start SFTP on ${this.label}: ${err.message}. Check sshd's Subsystem sftp line.`);
        });
        return this.sftpSession;
    }
    // ---------------------------------------------------------------------------------------------- forward
    async forward(remoteHost, remotePort) {
        const sockets = new Set();
        const server = (0,external_node_net_.createServer)((socket) => {
            socket.setNoDelay(true);
            sockets.add(socket);
            socket.once('close', () => sockets.delete(socket));
            this.tunnel(socket, remoteHost, remotePort);
        });
        await listen(server);
        const { port } = server.address();
        const forward = {
            localHost: '127.0.0.1',
            localPort: port,
            close: async () => {
                this.forwards.delete(forward);
                for (const socket of sockets)
                    socket.destroy();
                await new Promise((resolve) => server.close(() => resolve()));
            },
        };
        this.forwards.add(forward);
        return forward;
    }
    /** Carry one local TCP connection to `host:port` as seen from the server. */
    tunnel(socket, host, port) {
        socket.on('error', () => socket.destroy());
        forwardOut(this.client, host, port, socket.remotePort).then((channel) => {
            channel.on('error', () => socket.destroy());
            channel.on('close', () => socket.destroy());
            socket.on('close', () => channel.close());
            socket.pipe(channel).pipe(socket);
        }, (err) => {
            this.log.debug(`${this.label}: forward to ${host}:${port} failed: ${err.message}`);
            socket.destroy();
        });
    }
    // ---------------------------------------------------------------------------------------------- close
    close() {
        this.closing ??= (async () => {
            await Promise.all([...this.forwards].map((f) => f.close()));
            const sftp = await this.sftpSession?.catch(() => undefined);
            sftp?.end();
            for (const hop of this.hops)
                await endClient(hop);
        })();
        return this.closing;
    }
}
// ------------------------------------------------------------------------------------------------ connecting
function loadClientKey(privateKey, passphrase) {
    const text = `${privateKey.replace(/\r\n?/g, '\n').trim()}\n`;
    const given = passphrase ? passphrase : undefined;
    const parsed = lib_default().utils.parseKey(text, given);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    // Duck-typed rather than `instanceof Error`: some of ssh2's errors come from node:crypto, another realm in jest.
    if (!key || typeof key.isPrivateKey !== 'function') {
        throw privateKeyUnreadable(text, key, given !== undefined);
    }
    if (!key.isPrivateKey())
        throw notAPrivateKey();
    return { text, ...(given !== undefined ? { passphrase: given } : {}), type: shortKeyType(key.type) };
}
/** Open and authenticate one connection, verifying the host key; `sock` carries it through a jump host. */
async function openClient(endpoint, key, options, log, sock) {
    const { target } = endpoint;
    let verdict;
    const hostVerifier = (presentedKey) => {
        verdict = verifyHostKey({
            host: target.host,
            port: target.port,
            presentedKey,
            ...(options.knownHosts !== undefined ? { knownHosts: options.knownHosts } : {}),
            ...(options.hostFingerprints !== undefined ? { fingerprints: options.hostFingerprints } : {}),
            policy: options.hostKeyPolicy,
        });
        if (verdict.ok && verdict.how === 'accept-new')
            log.warn(acceptedNewHostKey(endpoint, presentedKey, verdict));
        if (verdict.ok)
            log.debug(`${userHostPort(target)}: host key ${verdict.presented} accepted (${verdict.how})`);
        return verdict.ok;
    };
    const config = {
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: key.text,
        ...(key.passphrase !== undefined ? { passphrase: key.passphrase } : {}),
        readyTimeout: options.connectTimeoutMs,
        keepaliveInterval: options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
        hostVerifier,
        ...(sock ? { sock } : {}),
    };
    // A direct connection gets a socket of our own with Nagle's algorithm off from the start: ssh2's pure-JS path
    // writes each packet in pieces, and with Nagle on every round trip of the handshake and the login waits ~40 ms
    // for the server's delayed ACK (about 0.15 s per connection).
    if (!sock)
        config.sock = await openSocket(endpoint, options.connectTimeoutMs, key.type);
    const serverHostKey = preferredHostKeyAlgorithms(options.knownHosts, target);
    if (serverHostKey)
        config.algorithms = { serverHostKey };
    const ssh = new esm/* NodeSSH */.H();
    try {
        await ssh.connect(config);
    }
    catch (err) {
        ssh.dispose();
        if (verdict && !verdict.ok)
            throw hostKeyRefused(endpoint, verdict);
        throw connectFailed(endpoint, err, { keyType: key.type, connectTimeoutMs: options.connectTimeoutMs });
    }
    const client = ssh.connection;
    if (!client)
        throw connectFailed(endpoint, new Error('connection closed right after login'), {
            keyType: key.type,
            connectTimeoutMs: options.connectTimeoutMs,
        });
    // node-ssh stops listening for errors once connected; without a listener a late error would crash the process.
    client.on('error', () => undefined);
    client.once('close', () => closedClients.add(client));
    // ssh2's pure-JS cipher path writes each packet in several small pieces; with Nagle's algorithm on, every
    // request then waits ~40 ms for the server's delayed ACK (an SFTP upload of a 1 KB file took 220 ms).
    client.setNoDelay(true);
    const how = {
        'known-hosts': 'matched known-hosts',
        fingerprint: 'matched host-fingerprint',
        'accept-new': 'trusted on first use',
    };
    const hostKey = verdict?.ok ? `${verdict.presented} (${verdict.presentedType}) ${how[verdict.how]}` : 'verified';
    return { client, hostKey };
}
/** A TCP connection to the endpoint with TCP_NODELAY on; its failures are translated like ssh2's own. */
function openSocket(endpoint, timeoutMs, keyType) {
    const { host, port } = endpoint.target;
    return new Promise((resolve, reject) => {
        const socket = new external_node_net_.Socket();
        socket.setNoDelay(true);
        const fail = (err) => {
            clearTimeout(timer);
            socket.destroy();
            reject(connectFailed(endpoint, err, { keyType, connectTimeoutMs: timeoutMs }));
        };
        const timer = setTimeout(() => fail(Object.assign(new Error('timed out'), { level: 'client-timeout' })), timeoutMs);
        socket.once('error', fail);
        socket.once('connect', () => {
            clearTimeout(timer);
            socket.removeListener('error', fail);
            resolve(socket);
        });
        socket.connect({ host, port });
    });
}
/**
 * Like OpenSSH, ask first for the host key types known_hosts has for this host: a server with several host keys
 * then presents one we can check, instead of an unknown type that would look like a changed key.
 */
function preferredHostKeyAlgorithms(knownHosts, target) {
    if (!knownHosts)
        return undefined;
    const preferred = knownKeyTypes(knownHosts, target.host, target.port)
        .flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]))
        .filter((algorithm) => HOST_KEY_ALGORITHMS.includes(algorithm));
    return preferred.length > 0 ? [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])] : undefined;
}
function forwardOut(client, host, port, sourcePort = 0) {
    return new Promise((resolve, reject) => {
        try {
            client.forwardOut('127.0.0.1', sourcePort, host, port, (err, channel) => (err ? reject(err) : resolve(channel)));
        }
        catch (err) {
            reject(err);
        }
    });
}
/** Clients whose connection has closed (a lost one too): ending them again would wait for a 'close' that is over. */
const closedClients = new WeakSet();
async function endClient(client) {
    // The wait below is on an unref'd timer, so that it never holds the process open. Were the 'close' event already
    // gone, nothing would be left to settle the wait, and Node would end the process in the middle of its work.
    if (closedClients.has(client))
        return;
    const closed = (0,external_node_events_.once)(client, 'close').catch(() => undefined);
    client.end();
    await Promise.race([closed, delay(CLIENT_CLOSE_WAIT_MS)]);
}
// ------------------------------------------------------------------------------------------------ exec helpers
/**
 * The command as sent: report the process group id, then replace the login shell with `sh -c <command>`
 * (so commands run under the same POSIX sh as LocalTransport's, whatever the user's login shell is).
 * `exec` keeps the pid, and sshd made that pid a session and process group leader.
 */
function withGroupReport(rendered) {
    return (0,core_command/* render */.XX)((0,core_command/* seq */.O6)((0,core_command/* script */.K$)(`printf '${PGID_MARKER}%s\\n' "$$"`), (0,core_command/* cmd */.HW)('exec', 'sh', '-c', rendered)));
}
/**
 * TERM the group, wait up to the grace period for it to go, then KILL it; exit 0 once it is gone. The pgid is an
 * argument, never pasted into the script. `kill -SIG -pgid` (no `--`) is the form dash, bash and busybox accept.
 */
const STOP_SCRIPT = [
    'pg=$1',
    'gone() { ! kill -0 -"$pg" 2>/dev/null; }',
    'wait_gone() { i=0; while [ "$i" -lt "$1" ]; do gone && return 0; sleep 0.1; i=$((i+1)); done; gone; }',
    'kill -TERM -"$pg" 2>/dev/null || exit 0',
    `wait_gone ${STOP_GRACE_TENTHS} && exit 0`,
    'kill -KILL -"$pg" 2>/dev/null',
    'wait_gone 20',
].join('\n');
const stopGroup = (pgid) => (0,core_command/* cmd */.HW)('sh', '-c', STOP_SCRIPT, 'belay-stop', String(pgid));
/**
 * Takes the `belay-pgid=N` line off the front of stdout. Anything before it is output of the login shell's
 * start-up files, not of the command. If the marker does not show up in the first few KiB (a ForceCommand, an
 * exotic login shell), everything is passed through untouched and the command cannot be stopped by group.
 */
class PgidReader {
    onNoise;
    pgid;
    pending = Buffer.alloc(0);
    static LIMIT = 4096;
    constructor(onNoise) {
        this.onNoise = onNoise;
    }
    push(chunk) {
        if (!this.pending)
            return [chunk];
        const pending = Buffer.concat([this.pending, chunk]);
        const at = pending.indexOf(PGID_MARKER);
        const end = at >= 0 ? pending.indexOf(0x0a, at) : -1;
        if (end >= 0) {
            const value = pending.subarray(at + PGID_MARKER.length, end).toString('latin1');
            if (/^\d+$/.test(value))
                this.pgid = Number(value);
            if (at > 0)
                this.onNoise(pending.subarray(0, at).toString('utf8').trim());
            this.pending = undefined;
            const rest = pending.subarray(end + 1);
            return rest.length > 0 ? [rest] : [];
        }
        if (pending.length > PgidReader.LIMIT)
            return this.flush(pending);
        this.pending = pending;
        return [];
    }
    /** Give back whatever is held (the marker never came). */
    flush(pending = this.pending) {
        this.pending = undefined;
        return pending && pending.length > 0 ? [pending] : [];
    }
}
/** Shell convention for a command killed by a signal: 128 + its number. */
function exitCodeOfSignal(signal) {
    const name = (signal?.startsWith('SIG') ? signal : `SIG${signal ?? ''}`);
    const number = external_node_os_.constants.signals[name];
    return number ? 128 + number : 255;
}
/** At most `max` tasks at a time; the others wait their turn in order. */
class Limiter {
    max;
    active = 0;
    waiting = [];
    constructor(max) {
        this.max = max;
    }
    async run(task) {
        if (this.active < this.max)
            this.active++;
        else
            await new Promise((resolve) => this.waiting.push(resolve));
        try {
            return await task();
        }
        finally {
            // Hand the slot straight to the next task, or give it back.
            const next = this.waiting.shift();
            if (next)
                next();
            else
                this.active--;
        }
    }
}
// ------------------------------------------------------------------------------------------------ sftp helpers
function sftpCall(call) {
    return new Promise((resolve, reject) => {
        try {
            call((err, value) => (err ? reject(err) : resolve(value)));
        }
        catch (err) {
            reject(err);
        }
    });
}
/** Reads (and writes) kept in flight at once: one at a time would make a transfer crawl at one chunk per RTT. */
const SFTP_DEPTH = 16;
const SFTP_CHUNK = 64 * 1024;
/**
 * The file as chunks, in order, with up to SFTP_DEPTH reads of SFTP_CHUNK in flight ahead of the consumer (1 MiB):
 * nothing more is asked of the server until the consumer takes a chunk. Short reads are completed before moving
 * on, so the bytes are exactly the file's. The handle is closed however the iteration ends.
 */
async function* pipelinedRead(sftp, handle, what) {
    const inflight = [];
    let next = 0;
    let ended = false;
    const readAt = (position, length) => {
        const buffer = Buffer.allocUnsafe(length);
        const data = sftpCall((cb) => sftp.read(handle, buffer, 0, length, position, cb)).then((n) => buffer.subarray(0, n));
        data.catch(() => undefined); // awaited in order below; a failure ahead must not be unhandled meanwhile
        return data;
    };
    try {
        for (;;) {
            while (!ended && inflight.length < SFTP_DEPTH) {
                inflight.push({ position: next, length: SFTP_CHUNK, data: readAt(next, SFTP_CHUNK) });
                next += SFTP_CHUNK;
            }
            const request = inflight.shift();
            if (!request)
                return;
            let chunk = await request.data.catch((err) => {
                throw new errors/* BelayError */.oT(`Reading ${what} failed: ${describeSftpError(err, 'the file')}.`);
            });
            if (chunk.length === 0) {
                ended = true; // end of file: the reads queued after this one find nothing either
                continue;
            }
            // A short read before the end: fetch the rest of this request's range before its successors.
            while (chunk.length < request.length) {
                const more = await readAt(request.position + chunk.length, request.length - chunk.length);
                if (more.length === 0) {
                    ended = true;
                    break;
                }
                yield chunk;
                request.position += chunk.length;
                request.length -= chunk.length;
                chunk = more;
            }
            yield chunk;
        }
    }
    finally {
        await Promise.allSettled(inflight.map((r) => r.data));
        await sftpCall((cb) => sftp.close(handle, cb)).catch(() => undefined);
    }
}
/**
 * An exclusive open (O_EXCL), so the file is created by it with `mode` (the server's umask can only narrow that),
 * fchmod'ed to exactly `mode` before the first byte (a secret never exists with a wider mode), then the chunks;
 * the file is removed again if anything fails.
 */
async function writeNew(sftp, path, mode, source) {
    const handle = await sftpCall((cb) => sftp.open(path, 'wx', { mode }, cb));
    try {
        try {
            await sftpCall((cb) => sftp.fchmod(handle, mode, cb));
            await pipelinedWrite(sftp, handle, source);
        }
        finally {
            await sftpCall((cb) => sftp.close(handle, cb)).catch(() => undefined);
        }
    }
    catch (err) {
        await sftpCall((cb) => sftp.unlink(path, cb)).catch(() => undefined);
        throw err;
    }
}
/** Write the chunks in order at increasing offsets, up to SFTP_DEPTH writes in flight; the first failure wins. */
async function pipelinedWrite(sftp, handle, source) {
    const pending = new Set();
    let failure;
    let position = 0;
    for await (const chunk of source) {
        if (failure !== undefined)
            break;
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        const write = sftpCall((cb) => sftp.write(handle, buffer, 0, buffer.length, position, cb))
            .catch((err) => {
            failure ??= err;
        })
            .finally(() => pending.delete(write));
        pending.add(write);
        position += buffer.length;
        if (pending.size >= SFTP_DEPTH)
            await Promise.race(pending);
    }
    await Promise.all(pending);
    if (failure !== undefined)
        throw failure;
}
/** Atomic replace with OpenSSH's posix-rename extension; plain SFTP rename refuses an existing target. */
async function renameOver(sftp, from, to) {
    try {
        await sftpCall((cb) => sftp.ext_openssh_rename(from, to, cb));
    }
    catch {
        await sftpCall((cb) => sftp.unlink(to, cb)).catch(() => undefined);
        await sftpCall((cb) => sftp.rename(from, to, cb));
    }
}
function describeSftpError(err, missing = 'its directory') {
    const e = err;
    if (e.code === (lib_default()).utils.sftp.STATUS_CODE.NO_SUCH_FILE)
        return `${missing} does not exist`;
    if (e.code === (lib_default()).utils.sftp.STATUS_CODE.PERMISSION_DENIED)
        return 'permission denied';
    return e.message ?? String(err);
}
// ------------------------------------------------------------------------------------------------ misc
function listen(server) {
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
        });
    });
}
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

;// CONCATENATED MODULE: ./src/transport/pool.ts
/**
 * One connection per server per run. Every capability asks the pool for its transport; the first ask connects,
 * every later (or concurrent) ask for the same user@host:port gets the same connection. This keeps a deploy to
 * one TCP connection and one authentication per host, which is what sshd rate limits (MaxStartups, fail2ban)
 * and audit logs expect.
 */

class ConnectionPool {
    options;
    log;
    connect;
    connections = new Map();
    constructor(options, log, connect = (target, options, log) => SshTransport.connect(target, options, log)) {
        this.options = options;
        this.log = log;
        this.connect = connect;
    }
    /**
     * The transport for `target`. Do not close it yourself: it is shared; `closeAll` closes it.
     * A failed connect is forgotten, so a later call tries again instead of repeating a stale error.
     */
    get(target) {
        const key = `${target.user}@${target.host.toLowerCase()}:${target.port}`;
        let connection = this.connections.get(key);
        if (!connection) {
            connection = this.connect(target, this.options, this.log);
            this.connections.set(key, connection);
            connection.catch(() => {
                if (this.connections.get(key) === connection)
                    this.connections.delete(key);
            });
        }
        return connection;
    }
    /** Close every connection (those still connecting too, once they are up). */
    async closeAll() {
        const pending = [...this.connections.values()];
        this.connections.clear();
        const settled = await Promise.allSettled(pending);
        await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    }
}
/**
 * Local forwarding to an address as the first of `targets` sees it, on a connection of its own (health-check
 * via-ssh, migrate through db-host or db-service): nothing else of the run needs that server.
 */
async function forwardThroughFirst(targets, options, log, to) {
    const pool = new ConnectionPool(options, log);
    const server = targets[0];
    try {
        const transport = await pool.get(server);
        const { host, port } = typeof to === 'function' ? await to(transport) : to;
        const forward = await transport.forward(host, port);
        return {
            server,
            remoteHost: host,
            remotePort: port,
            localHost: forward.localHost,
            localPort: forward.localPort,
            close: async () => {
                await forward.close();
                await pool.closeAll();
            },
        };
    }
    catch (err) {
        await pool.closeAll();
        throw err;
    }
}


/***/ })

};
