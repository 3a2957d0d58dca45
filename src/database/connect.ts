/** Connecting to PostgreSQL from this machine, and quoting names for its SQL. */
import pg from 'pg';
import { BelayError } from '../core/errors.js';

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
  const client = new pg.Client({
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
