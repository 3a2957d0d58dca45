/**
 * The health gate: poll an HTTP(S) endpoint until it answers as expected several times in a row, or give up at a
 * deadline. Pure Node (node:http, node:https); the SSH tunnel, when the app is only reachable from the server, is
 * handed in by the caller so this file knows nothing about transports.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import type { Reporter } from '../report/reporter.js';
import { bodyMatches, describeBodyMatcher, jsonMismatch } from './matchers.js';

export interface HealthOptions {
  url: string;
  expectStatus: (s: number) => boolean;
  /** The user's text for expectStatus (`2xx`, `200,204`), for messages. */
  expectStatusText: string;
  expectBody?: string | RegExp;
  expectJson?: unknown;
  /** Polling stops once this has elapsed; an attempt in flight then is allowed to finish (see checkHealth). */
  timeoutMs: number;
  /** Start-to-start time between attempts. */
  intervalMs: number;
  /** Limit for one attempt, from connecting to the end of the body. */
  requestTimeoutMs: number;
  /** Consecutive successes needed; one failure starts the count again. */
  healthyThreshold: number;
  headers: Record<string, string>;
  /** Extra trusted CA certificates (PEM) for https, for apps behind a private CA. */
  ca?: string;
}

export interface Tunnel {
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface HealthDeps {
  reporter: Reporter;
  /** via-ssh: returns a local address reaching host:port as seen from the server */
  openTunnel?: (host: string, port: number) => Promise<Tunnel>;
}

export interface Attempt {
  n: number;
  /** Milliseconds from the start of the check to the start of this attempt. */
  atMs: number;
  status?: number;
  error?: string;
  bodyExcerpt?: string;
  ok: boolean;
  /** Why the attempt failed, when it did. */
  reason?: string;
}

export interface HealthResult {
  healthy: boolean;
  attempts: number;
  elapsedMs: number;
  /** Status of the most recent attempt that got one (refused or timed-out attempts get none). */
  lastStatus?: number;
  history: Attempt[];
}

/** Bodies are read up to this size: enough for any health document, bounded against a misrouted download. */
export const BODY_LIMIT = 64 * 1024;
/** Body text kept per attempt for logs and messages. */
const EXCERPT_CHARS = 120;

/**
 * Polls `options.url` every `intervalMs` (start to start) until `healthyThreshold` consecutive attempts succeed, or
 * until `timeoutMs` has elapsed. The wait before an attempt never goes past the deadline, and one last attempt is
 * made at the deadline itself, so the app gets the whole timeout. An attempt still running at the deadline finishes
 * (it is bounded by `requestTimeoutMs`): cutting it short would report "timed out" instead of what the app said.
 * Returns the result either way; deciding what unhealthy means (fail, roll back) is the caller's job.
 */
export async function checkHealth(options: HealthOptions, deps: HealthDeps): Promise<HealthResult> {
  const url = parseTarget(options.url);
  checkTimings(options);
  const started = performance.now();
  const deadline = started + options.timeoutMs;
  const history: Attempt[] = [];
  let streak = 0;
  let elapsedMs: number;
  // One tunnel for the whole check: an SSH forward per attempt would be slow, and its setup time would eat into
  // the interval and the request timeout that are meant for the app.
  const tunnel = deps.openTunnel ? await deps.openTunnel(url.hostname, url.port) : undefined;
  if (tunnel) deps.reporter.debug(`health: requests go through a tunnel at ${tunnel.host}:${tunnel.port}`);
  try {
    for (let n = 1; ; n++) {
      const attemptStart = performance.now();
      const attempt = await attemptOnce(n, attemptStart - started, url, options, tunnel);
      history.push(attempt);
      streak = attempt.ok ? streak + 1 : 0;
      deps.reporter.info(attemptLine(attempt, streak, options.healthyThreshold));
      elapsedMs = Math.round(performance.now() - started);
      if (streak >= options.healthyThreshold) break;
      if (performance.now() >= deadline) break;
      await sleep(Math.max(0, Math.min(attemptStart + options.intervalMs, deadline) - performance.now()));
    }
  } finally {
    await tunnel
      ?.close()
      .catch((err: unknown) => deps.reporter.warn(`health: closing the tunnel failed: ${message(err)}`));
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

export interface Target {
  url: URL;
  /** Without the brackets of an IPv6 literal: what DNS, TLS and the tunnel want. */
  hostname: string;
  port: number;
  secure: boolean;
}

/** Validates the url input (before any work starts, so the caller can call it early) and splits it. */
export function parseTarget(text: string): Target {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The URL is not echoed: it may carry credentials or a token in its query.
    throw new InputError('url', 'not an absolute URL', 'Give the full address, e.g. http://127.0.0.1:3000/health.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError('url', `the scheme ${url.protocol} is not supported`, 'Use an http:// or https:// URL.');
  }
  const secure = url.protocol === 'https:';
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url, hostname, port: url.port ? Number(url.port) : secure ? 443 : 80, secure };
}

function checkTimings(options: HealthOptions): void {
  // The config layer validates these too; a zero interval here would spin, so refuse it rather than trust.
  const positive: [string, number][] = [
    ['interval', options.intervalMs],
    ['request-timeout', options.requestTimeoutMs],
    ['healthy-threshold', options.healthyThreshold],
  ];
  for (const [name, value] of positive) {
    if (!(value > 0))
      throw new InputError(name, `must be above zero (got ${value})`, `Set ${name} to a positive value`);
  }
  if (!(options.timeoutMs >= 0)) throw new InputError('timeout', 'must not be negative', 'Set timeout to e.g. 60s');
}

async function attemptOnce(
  n: number,
  atMs: number,
  target: Target,
  options: HealthOptions,
  tunnel?: Tunnel,
): Promise<Attempt> {
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
function judge(response: Response, options: HealthOptions): string | undefined {
  if (!options.expectStatus(response.status)) {
    return `status ${response.status} is not ${options.expectStatusText.trim() || '2xx'}`;
  }
  if (options.expectBody !== undefined && !bodyMatches(options.expectBody, response.body)) {
    const how = typeof options.expectBody === 'string' ? 'does not contain' : 'does not match';
    return `body ${how} ${describeBodyMatcher(options.expectBody)}${response.truncated ? ' (first 64 KiB read)' : ''}`;
  }
  if (options.expectJson !== undefined) {
    let actual: unknown;
    try {
      actual = JSON.parse(response.body);
    } catch {
      return `body is not JSON${response.truncated ? ' (cut at 64 KiB)' : ''}`;
    }
    const mismatch = jsonMismatch(options.expectJson, actual);
    if (mismatch) return `JSON does not match at ${mismatch}`;
  }
  return undefined;
}

interface Response {
  status: number;
  statusText: string;
  body: string;
  truncated: boolean;
}

type RequestOutcome = Response | { error: string; status?: number };

/**
 * One GET with a hard limit on the whole exchange (connect, headers, body). A fresh connection every time (no
 * keep-alive agent): a health check should see what a new visitor sees, not a socket opened before a restart.
 */
function request(target: Target, options: HealthOptions, tunnel?: Tunnel): Promise<RequestOutcome> {
  return new Promise((resolve) => {
    let status: number | undefined;
    let settled = false;
    const finish = (outcome: RequestOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const fail = (err: unknown) =>
      finish({ error: describeRequestError(err, target, tunnel), ...(status !== undefined ? { status } : {}) });
    const timer = setTimeout(() => fail(new RequestTimeout(options.requestTimeoutMs)), options.requestTimeoutMs);

    const req = (target.secure ? https : http).request(requestOptions(target, options, tunnel), (res) => {
      status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (truncated: boolean) => {
        const body = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, BODY_LIMIT));
        finish({ status: status ?? 0, statusText: res.statusMessage ?? '', body, truncated });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        // Stop reading at the limit instead of waiting for the end: the rest cannot change a health verdict much.
        if (size >= BODY_LIMIT) done(true);
      });
      res.on('end', () => done(false));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

function requestOptions(target: Target, options: HealthOptions, tunnel?: Tunnel): https.RequestOptions {
  const headers: Record<string, string> = { 'user-agent': 'belay-health-check', accept: '*/*' };
  // The user's headers win over the defaults, whatever their case.
  for (const [name, value] of Object.entries(options.headers)) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
    headers[name] = value;
  }
  // Through a tunnel the socket goes to 127.0.0.1:<random>, but the app (or its reverse proxy) routes by the
  // original Host, so send the URL's host explicitly unless the user set one.
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host')) headers.host = target.url.host;
  const base: https.RequestOptions = {
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
    if (!isIP(target.hostname)) base.servername = target.hostname;
    base.checkServerIdentity = (_host, cert) => checkServerIdentity(target.hostname, cert);
    if (options.ca) base.ca = options.ca;
  }
  if (target.url.username || target.url.password) {
    base.auth = `${decodeURIComponent(target.url.username)}:${decodeURIComponent(target.url.password)}`;
  }
  return base;
}

class RequestTimeout extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${formatDuration(ms)}`);
  }
}

/** TLS verification failures Node reports with an OpenSSL code. */
const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

/** A reason a person can act on, from what Node threw. Never includes the URL (it may hold credentials). */
function describeRequestError(err: unknown, target: Target, tunnel?: Tunnel): string {
  if (err instanceof RequestTimeout) return err.message;
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
  if (CERT_ERRORS.test(code)) return `TLS certificate rejected: ${message(err)} (${code})`;
  if (code.startsWith('ERR_SSL') || code === 'EPROTO') return `TLS handshake failed: ${message(err)}`;
  if (code.startsWith('HPE_')) return `not a valid HTTP response: ${message(err)}`;
  return code ? `${message(err)} (${code})` : message(err);
}

function message(err: unknown): string {
  // Duck-typed, not `instanceof Error`: errors from another realm (vm contexts, test runners) are still errors.
  const text = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
  return text.split('\n')[0] ?? '';
}

/** The start of a body on one line, for logs: whitespace collapsed, cut at 120 characters. */
function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}

/** `attempt 3: 503 Service Unavailable — body "starting"` / `attempt 4: healthy (200)`. */
function attemptLine(attempt: Attempt, streak: number, threshold: number): string {
  const head = `attempt ${attempt.n}: `;
  if (attempt.ok)
    return `${head}healthy (${attempt.status})${threshold > 1 ? `, ${streak} of ${threshold} in a row` : ''}`;
  if (attempt.status === undefined) return `${head}${attempt.error ?? attempt.reason}`;
  return `${head}${describeAttempt(attempt)}`;
}

/** Status, the reason when the status alone does not explain it, and the body excerpt. */
function describeAttempt(attempt: Attempt): string {
  const parts = [`${attempt.status} ${http.STATUS_CODES[attempt.status ?? 0] ?? ''}`.trim()];
  const reason = attempt.error ?? attempt.reason;
  if (reason && !reason.startsWith('status ')) parts.push(reason);
  if (attempt.bodyExcerpt !== undefined) parts.push(`body ${JSON.stringify(attempt.bodyExcerpt)}`);
  return parts.join(' — ');
}

/**
 * The message for a failed gate: one headline, then the last three attempts for the log.
 *
 *     Not healthy after 60s (31 attempts): last status 503 (expected 2xx), body "starting"
 *       attempt 29 at 56s: 503 Service Unavailable — body "starting"
 */
export function describeFailure(result: HealthResult, options: HealthOptions): string {
  const last = result.history[result.history.length - 1];
  const head = `Not healthy after ${formatDuration(options.timeoutMs)} (${plural(result.attempts, 'attempt')})`;
  const lines = [last ? `${head}: ${lastWord(last, result, options)}` : `${head}: no attempt was made`];
  for (const attempt of result.history.slice(-3)) {
    const what = attempt.ok
      ? `healthy (${attempt.status})`
      : attempt.status === undefined
        ? attempt.error
        : describeAttempt(attempt);
    lines.push(`  attempt ${attempt.n} at ${formatDuration(attempt.atMs)}: ${what}`);
  }
  return lines.join('\n');
}

function lastWord(last: Attempt, result: HealthResult, options: HealthOptions): string {
  // The last attempt can succeed and still leave the gate closed: the streak was too short when time ran out.
  if (last.ok) {
    return `last status ${last.status} was healthy, but ${options.healthyThreshold} consecutive successes were needed`;
  }
  if (last.status === undefined) {
    const seen = result.lastStatus !== undefined ? `; the last status seen was ${result.lastStatus}` : '';
    return `last attempt failed: ${last.error ?? last.reason}${seen}`;
  }
  const parts = [`last status ${last.status}`];
  if (!options.expectStatus(last.status)) parts[0] += ` (expected ${options.expectStatusText.trim() || '2xx'})`;
  else if (last.reason) parts.push(last.reason);
  if (last.bodyExcerpt !== undefined) parts.push(`body ${JSON.stringify(last.bodyExcerpt)}`);
  return parts.join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
