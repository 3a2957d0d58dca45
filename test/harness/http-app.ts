/**
 * A tiny controllable web app on 127.0.0.1 for health-check tests, a TCP proxy standing in for an SSH tunnel, and a
 * throwaway self-signed certificate for https. Real sockets everywhere: nothing here mocks node:http.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

/** What a route answers. `hang` never answers; `bodyThenHang` sends the body and keeps the response open. */
export interface AppResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  hang?: boolean;
  bodyThenHang?: boolean;
}

/** One request as the app saw it. */
export interface Hit {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** TLS server name (SNI) the client sent, for https apps. */
  servername?: string;
  /** 1-based number of this request on its route. */
  n: number;
}

export type Route = AppResponse | ((hit: Hit, req: IncomingMessage) => AppResponse | Promise<AppResponse>);

export interface AppOptions {
  host?: string;
  /** Path (without query) → answer. `/health` defaults to the state set with setHealth. */
  routes?: Record<string, Route>;
  /** Serve https with this key and certificate (see selfSignedCert). */
  tls?: { key: string; cert: string };
}

export interface TestApp {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  port: number;
  /** Every request, in order. */
  hits: Hit[];
  /** What `/health` answers from now on (when no route overrides it). */
  setHealth(status: number, body: string): void;
  close(): Promise<void>;
}

export const HEALTHY_BODY = '{"status":"ok","db":{"up":true}}';

export async function startApp(options: AppOptions = {}): Promise<TestApp> {
  let health: AppResponse = { status: 200, body: HEALTHY_BODY, headers: { 'content-type': 'application/json' } };
  const routes: Record<string, Route> = { '/health': () => health, ...options.routes };
  const hits: Hit[] = [];
  const perRoute = new Map<string, number>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const n = (perRoute.get(path) ?? 0) + 1;
    perRoute.set(path, n);
    const servername = (req.socket as Partial<TLSSocket>).servername;
    const hit: Hit = { method: req.method ?? '', path, headers: req.headers, n, ...(servername ? { servername } : {}) };
    hits.push(hit);
    const route = routes[path];
    const answer =
      route === undefined ? { status: 404, body: 'not found' } : typeof route === 'function' ? route(hit, req) : route;
    void Promise.resolve(answer).then((a) => respond(res, a));
  };
  const server = options.tls ? https.createServer(options.tls, handle) : http.createServer(handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    hits,
    setHealth(status, body) {
      health = { status, body };
    },
    close: () => closeServer(server),
  };
}

async function respond(res: ServerResponse, answer: AppResponse): Promise<void> {
  if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
  if (answer.hang) return;
  res.writeHead(answer.status, answer.headers);
  if (answer.bodyThenHang) {
    res.write(answer.body ?? '');
    return;
  }
  res.end(answer.body ?? '');
}

/** Close a server and every connection on it, including requests left hanging on purpose. */
async function closeServer(server: http.Server | https.Server | net.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  if ('closeAllConnections' in server) server.closeAllConnections();
  await closed;
}

/** Answers in order, then keeps answering with the last one: `sequence(503, 503, 200)`. */
export function sequence(...statuses: number[]): Route {
  return (hit) => {
    const status = statuses[Math.min(hit.n, statuses.length) - 1] ?? 500;
    return status < 400 ? { status, body: HEALTHY_BODY } : { status, body: 'starting' };
  };
}

/** 503 "starting" for the first `n` requests, then healthy: an app booting. */
export function unhealthyFor(n: number): Route {
  return (hit) => (hit.n <= n ? { status: 503, body: 'starting' } : { status: 200, body: HEALTHY_BODY });
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

export interface TcpProxy {
  host: string;
  port: number;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** A real TCP proxy to target: what an SSH local forward looks like from the client's side. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: TcpProxy = { host: '127.0.0.1', port: 0, connections: 0, close: () => Promise.resolve() };
  const server = net.createServer((client) => {
    proxy.connections++;
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await closeServer(server);
  };
  return proxy;
}

/**
 * A self-signed certificate for the given DNS names (and 127.0.0.1), made with openssl in a temporary directory
 * that is removed at once: nothing is written to the repository.
 */
export function selfSignedCert(names: string[]): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'belay-cert-'));
  try {
    const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${names[0] ?? 'localhost'}`,
        '-addext',
        `subjectAltName=${san}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
