/** Connecting to PostgreSQL from this machine, and quoting names for its SQL. */
import type pg from 'pg';
import { BelayError } from '../core/errors.js';

let loading: Promise<typeof pg> | undefined;

/**
 * The pg module, loaded on first use: a command that connects asks for it early (preloadPostgres), so that it
 * loads while the SSH connection or a server command is under way rather than before. While it loads, Node 20
 * (which has no `navigator`, unlike Node 21 and later) is given one saying it is Node: pg asks at load whether it
 * runs on Cloudflare Workers, and without `navigator` it builds a fetch Response to find out, which loads Node's
 * whole fetch implementation (about 30 ms) for nothing. It is removed again once pg has loaded.
 */
function loadPg(): Promise<typeof pg> {
  loading ??= (async () => {
    const lent = !('navigator' in globalThis);
    if (lent) {
      Object.defineProperty(globalThis, 'navigator', {
        value: { userAgent: `Node.js/${process.versions.node}` },
        configurable: true,
      });
    }
    try {
      return (await import('pg')).default;
    } finally {
      if (lent) delete (globalThis as { navigator?: unknown }).navigator;
    }
  })();
  return loading;
}

/** Start loading pg now, beside other work; connectPostgres waits for it. */
export function preloadPostgres(): void {
  loadPg().catch(() => undefined);
}

/** A PostgreSQL identifier, quoted: schema, table and database names come from inputs, so they are never pasted raw. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** PostgreSQL's own limits for a session, in milliseconds (0 or absent leaves the server's setting). */
export interface SessionSettings {
  readonly statementTimeoutMs?: number;
  readonly lockTimeoutMs?: number;
  /** The inputs to check when the connection fails (default: database-url). */
  readonly hint?: string;
}

/** Connect with a one-line error that names the server but never the password. */
export async function connectPostgres(
  url: string,
  applicationName = 'belay',
  limits: SessionSettings = {},
): Promise<pg.Client> {
  const { Client } = await loadPg();
  const client = new Client({
    connectionString: url,
    application_name: applicationName,
    // Sent in the startup message, so they hold from the first statement on.
    ...(limits.statementTimeoutMs ? { statement_timeout: limits.statementTimeoutMs } : {}),
    ...(limits.lockTimeoutMs ? { lock_timeout: limits.lockTimeoutMs } : {}),
  });
  // A connection that drops later must not crash the process; the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const where = describeServer(url);
    await client.end().catch(() => undefined);
    throw new BelayError(
      `Could not connect to PostgreSQL at ${where}: ${(err as Error).message}. Check ${limits.hint ?? 'database-url'}.`,
    );
  }
  return client;
}

/** `user@host:port/db`, without the password. */
export function describeServer(url: string): string {
  try {
    const u = new URL(url);
    return `${decodeURIComponent(u.username)}@${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured server';
  }
}
