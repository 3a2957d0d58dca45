/**
 * How a command reaches the app's PostgreSQL: `database-url` directly (a managed database), or through the SSH
 * connection to the first host, at `db-host:db-port` as the server sees it, or at the address of the container of
 * `db-service` / `db-container`. The database needs no public port, and the password travels only inside the
 * connection, never in an argv.
 */
import { resolveConnection } from '../config/connection.js';
import type { Face } from '../config/layers.js';
import { missing } from '../config/layers.js';
import type { Values } from '../config/inputs.js';
import { InputError } from '../core/errors.js';
import { secretsOfUrl, type Reporter } from '../report/reporter.js';
import { containerAddress, findContainer, type ContainerSpec, type FoundContainer } from '../server/docker.js';
import type { Transport } from '../transport/types.js';
import { forwardThroughFirst } from '../transport/pool.js';
import { preloadPostgres } from './connect.js';

export interface ReachedDatabase {
  /** A postgres:// URL that works from this machine for as long as the database is open. */
  readonly url: string;
  /** The inputs to check when connecting fails, for the error message. */
  readonly inputs: string;
  close(): Promise<void>;
}

export type DatabaseValues = Partial<
  Pick<
    Values,
    | 'databaseUrl'
    | 'host'
    | 'database'
    | 'dbUser'
    | 'dbPassword'
    | 'dbHost'
    | 'dbPort'
    | 'dbService'
    | 'dbContainer'
    | 'app'
  >
> &
  Parameters<typeof resolveConnection>[0];

/** The database container named by db-service (in project `app`) or db-container, if any. */
export function containerSpec(v: DatabaseValues): ContainerSpec | undefined {
  if (v.dbService && v.dbContainer) {
    throw new InputError('db-container', 'it cannot be combined with db-service', 'Give one of the two.');
  }
  if (v.dbService) return { service: v.dbService, ...(v.app ? { project: v.app } : {}) };
  if (v.dbContainer) return { container: v.dbContainer };
  return undefined;
}

/** Either database-url, or host + database + db-user (through SSH): refused before anything connects. */
export function checkDatabaseInputs(v: DatabaseValues, face: Face): void {
  if (v.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(v.databaseUrl)) {
      throw new InputError('database-url', 'only PostgreSQL is supported here', 'Give a postgres:// URL.');
    }
    return;
  }
  if (!v.host) throw missing('databaseUrl', face, 'it is required (or host, database and db-user, to go through SSH)');
  if (!v.database) throw missing('database', face, 'it is required to reach the database through SSH');
  if (!v.dbUser) throw missing('dbUser', face, 'it is required to reach the database through SSH');
  containerSpec(v);
}

/** Where the database is as the server sees it: db-host:db-port, or the address of its container. */
export async function databaseAddress(
  server: Transport,
  v: DatabaseValues,
  user: string,
): Promise<{ host: string; port: number; container?: FoundContainer }> {
  const port = v.dbPort ?? 5432;
  const spec = containerSpec(v);
  if (!spec) return { host: v.dbHost ?? '127.0.0.1', port };
  const container = await findContainer(server, spec, user);
  return { host: containerAddress(container), port, container };
}

/** The URL for a forward's local end; its secrets are registered with the reporter before anything prints it. */
export function forwardedUrl(v: DatabaseValues, localHost: string, localPort: number, reporter: Reporter): string {
  const auth = `${encodeURIComponent(v.dbUser!)}${v.dbPassword ? `:${encodeURIComponent(v.dbPassword)}` : ''}`;
  const url = `postgres://${auth}@${localHost}:${localPort}/${encodeURIComponent(v.database!)}`;
  for (const secret of secretsOfUrl(url)) reporter.secret(secret);
  return url;
}

/** The inputs to check when connecting fails. */
export function databaseInputs(v: DatabaseValues): string {
  if (v.databaseUrl) return 'database-url';
  if (v.dbService) return 'database, db-user, db-password and db-service';
  if (v.dbContainer) return 'database, db-user, db-password and db-container';
  return 'db-host, db-port, database, db-user and db-password';
}

export async function reachDatabase(v: DatabaseValues, face: Face, reporter: Reporter): Promise<ReachedDatabase> {
  if (v.databaseUrl) return { url: v.databaseUrl, inputs: 'database-url', close: async () => undefined };
  const { targets, options } = resolveConnection(v, face);
  let seenAs = '';
  const forward = await forwardThroughFirst(targets, options, reporter, async (server) => {
    // pg loads while the database is looked up on the server.
    preloadPostgres();
    const address = await databaseAddress(server, v, targets[0]!.user);
    if (address.container) seenAs = ` (container ${address.container.name})`;
    return address;
  });
  const url = forwardedUrl(v, forward.localHost, forward.localPort, reporter);
  reporter.info(
    `database ${v.database} at ${forward.remoteHost}:${forward.remotePort}${seenAs} as seen from ${forward.server.host}, through SSH`,
  );
  return { url, inputs: databaseInputs(v), close: () => forward.close() };
}
