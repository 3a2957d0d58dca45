/**
 * What backup, list and restore share: one SSH connection to the first host with the app's backup folder on it,
 * and a PostgreSQL session through that connection (plus where pg_dump / pg_restore run for that database).
 */
import { resolveConnection } from '../config/connection.js';
import type { Face } from '../config/layers.js';
import type { Values } from '../config/inputs.js';
import { connectPostgres, preloadPostgres } from '../database/connect.js';
import { databaseAddress, databaseInputs, forwardedUrl } from '../database/reach.js';
import type { Reporter } from '../report/reporter.js';
import { ConnectionPool } from '../transport/pool.js';
import type { Transport } from '../transport/types.js';
import type { PgLogin, PgPlace } from './postgres.js';
import { BackupStore } from './store.js';
import type pg from 'pg';

type V = Partial<Values>;

export interface OnServer {
  readonly t: Transport;
  readonly store: BackupStore;
  /** The SSH user, for messages about docker permissions. */
  readonly user: string;
}

/** Run `work` with a connection to the first host and `<backup-dir>/<app>` there; the connection closes after. */
export async function onServer<T>(v: V, face: Face, reporter: Reporter, work: (s: OnServer) => Promise<T>): Promise<T> {
  const { targets, options } = resolveConnection(v, face);
  const target = targets[0]!;
  if (targets.length > 1) reporter.info(`using the database and backups on the first host, ${target.host}`);
  const pool = new ConnectionPool(options, reporter);
  try {
    const t = await pool.get(target);
    return await work({
      t,
      store: new BackupStore(t, `${v.backupDir ?? 'belay/backups'}/${v.app}`),
      user: target.user,
    });
  } finally {
    await pool.closeAll();
  }
}

/** Who pg_dump, pg_restore and the session log in as. */
export const loginOf = (v: V): PgLogin => ({ user: v.dbUser!, ...(v.dbPassword ? { password: v.dbPassword } : {}) });

export interface PgSession {
  readonly place: PgPlace;
  readonly login: PgLogin;
  /** URL of `database` through the forward; other databases of the server by changing its path. */
  readonly url: string;
  /** The database `client` is connected to. */
  readonly database: string;
  readonly client: pg.Client;
  /** The same server, another database (scratch copies). */
  connectTo(database: string, purpose: string): Promise<pg.Client>;
  close(): Promise<void>;
}

/** A session on `database` (default: the database input) through a forward on the server's connection. */
export async function openPgSession(
  s: OnServer,
  v: V,
  reporter: Reporter,
  purpose: string,
  database = v.database!,
): Promise<PgSession> {
  // pg loads while the database is looked up on the server.
  preloadPostgres();
  const address = await databaseAddress(s.t, v, s.user);
  const place: PgPlace = address.container
    ? { kind: 'container', container: address.container }
    : { kind: 'host', host: address.host, port: address.port };
  const login = loginOf(v);
  const forward = await s.t.forward(address.host, address.port);
  const url = forwardedUrl({ ...v, database }, forward.localHost, forward.localPort, reporter);
  const hint = { hint: databaseInputs(v) };
  const connectTo = (name: string, why: string) => {
    const other = new URL(url);
    other.pathname = `/${encodeURIComponent(name)}`;
    return connectPostgres(other.toString(), why, hint);
  };
  let client: pg.Client;
  try {
    client = await connectPostgres(url, purpose, hint);
  } catch (err) {
    await forward.close().catch(() => undefined);
    throw err;
  }
  return {
    place,
    login,
    url,
    database,
    client,
    connectTo,
    close: async () => {
      await client.end().catch(() => undefined);
      await forward.close().catch(() => undefined);
    },
  };
}
