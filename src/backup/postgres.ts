/**
 * PostgreSQL backups on the server. pg_dump runs there (inside the database container, so client and server
 * versions match, or with the host's pg_dump after a version check) and writes straight to the backup directory:
 * the dump never passes through the runner. The password reaches pg_dump through its environment, read from the
 * command's stdin, so it is in no argv and no `ps` output.
 *
 * The dump and the row counts in the manifest come from one snapshot: belay opens a repeatable-read transaction,
 * exports its snapshot, counts every table in it and hands the snapshot to `pg_dump --snapshot`, so the counts are
 * exactly what the file holds even while the app keeps writing.
 */
import type pg from 'pg';
import { cmd, type Command } from '../core/command.js';
import { quoteIdent } from '../database/connect.js';
import { BelayError } from '../core/errors.js';
import type { FoundContainer } from '../server/docker.js';
import type { Transport } from '../transport/types.js';

/** Where pg_dump and pg_restore run: in the database's container, or on the host against db-host:db-port. */
export type PgPlace =
  | { readonly kind: 'container'; readonly container: FoundContainer }
  | { readonly kind: 'host'; readonly host: string; readonly port: number };

export interface PgLogin {
  readonly user: string;
  readonly password?: string;
}

export interface TableCount {
  readonly name: string;
  readonly rows: number;
}

/**
 * Reads the password (first stdin line) into PGPASSWORD, takes stdin from $2 and stdout to $1 when they are set,
 * then runs the rest of the arguments.
 */
const WITH_PASSWORD =
  'out=$1; in=$2; shift 2; IFS= read -r PGPASSWORD || :; export PGPASSWORD; umask 077; ' +
  'if [ -n "$in" ]; then exec < "$in"; else exec < /dev/null; fi; ' +
  'if [ -n "$out" ]; then exec "$@" > "$out"; else exec "$@"; fi';

/**
 * A PostgreSQL client program run at `place` with the login's user and password, optionally reading a file on
 * stdin (pg_restore, so the same command works inside a container) and writing stdout to a file (pg_dump).
 * Run it with `stdin: stdinFor(login)`.
 */
export function pgCommand(
  place: PgPlace,
  login: PgLogin,
  io: { readonly stdoutTo?: string; readonly stdinFrom?: string },
  program: string,
  ...args: string[]
): Command {
  const connection = place.kind === 'host' ? ['-h', place.host, '-p', String(place.port)] : [];
  const argv = [program, ...connection, '-U', login.user, ...args];
  const inner =
    place.kind === 'container' ? ['docker', 'exec', '-i', '-e', 'PGPASSWORD', place.container.id, ...argv] : argv;
  return cmd('sh', '-c', WITH_PASSWORD, 'belay', io.stdoutTo ?? '', io.stdinFrom ?? '', ...inner);
}

export const stdinFor = (login: PgLogin) => `${login.password ?? ''}\n`;

/** The major version of the pg_dump that will run, and refuse one older than the server (it cannot dump it). */
export async function checkPgDumpVersion(
  t: Transport,
  place: PgPlace,
  serverVersion: Promise<number>,
): Promise<string> {
  // Asked while the snapshot is being opened: both are round trips to the server.
  const [r, serverVersionNum] = await Promise.all([
    t.exec(
      place.kind === 'container'
        ? cmd('docker', 'exec', place.container.id, 'pg_dump', '--version')
        : cmd('pg_dump', '--version'),
    ),
    serverVersion,
  ]);
  const where = place.kind === 'container' ? `in container ${place.container.name}` : `on ${t.label}`;
  if (r.code !== 0) {
    throw new BelayError(
      place.kind === 'container'
        ? `pg_dump does not run in container ${place.container.name}: ${lastLine(r.stderr)}. Is it a PostgreSQL image?`
        : `pg_dump is not installed on ${t.label}. Install the PostgreSQL client of the server's version (e.g. postgresql-client-${Math.floor(serverVersionNum / 10000)}), or set db-service so pg_dump runs inside the database container.`,
    );
  }
  const version = /(\d+)(?:\.(\d+))?/.exec(r.stdout)?.[0] ?? '?';
  const major = Number(version.split('.')[0]);
  const serverMajor = Math.floor(serverVersionNum / 10000);
  if (Number.isFinite(major) && major < serverMajor) {
    throw new BelayError(
      `pg_dump ${where} is version ${major}, older than the server's ${serverMajor}: it cannot dump it. Install postgresql-client-${serverMajor} on the server, or set db-service so pg_dump runs inside the database container.`,
    );
  }
  return `pg_dump ${version} ${where}`;
}

/**
 * A repeatable-read transaction whose snapshot pg_dump will use; `release` ends it (after pg_dump has started,
 * PostgreSQL keeps the snapshot alive for pg_dump itself).
 */
export async function openSnapshot(
  client: pg.Client,
): Promise<{ snapshot: string; serverVersion: string; versionNum: number }> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const { rows } = await client.query<{ snapshot: string; version: string; num: string }>(
    "SELECT pg_export_snapshot() AS snapshot, current_setting('server_version') AS version, current_setting('server_version_num') AS num",
  );
  return { snapshot: rows[0]!.snapshot, serverVersion: rows[0]!.version, versionNum: Number(rows[0]!.num) };
}

/** Every ordinary table outside the system schemas with its exact row count, in name order. */
export async function countTables(client: pg.Client): Promise<TableCount[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1, 2`,
  );
  const counts: TableCount[] = [];
  for (const { schema, name } of rows) {
    const q = `SELECT count(*)::bigint AS n FROM ${quoteIdent(schema)}.${quoteIdent(name)}`;
    const n = (await client.query<{ n: string }>(q)).rows[0]!.n;
    counts.push({ name: `${schema}.${name}`, rows: Number(n) });
  }
  return counts;
}

/** Tables whose data the dump's table of contents lists (`TABLE DATA schema name owner`). */
export function tablesWithData(toc: string): Set<string> {
  const names = new Set<string>();
  for (const line of toc.split('\n')) {
    const m = /^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) /.exec(line);
    if (m) names.add(`${m[1]}.${m[2]}`);
  }
  return names;
}

/** Differences between what the manifest says and what a restore holds; empty when they match. */
export function compareCounts(expected: readonly TableCount[], actual: readonly TableCount[]): string[] {
  const got = new Map(actual.map((t) => [t.name, t.rows]));
  const problems: string[] = [];
  for (const t of expected) {
    const n = got.get(t.name);
    if (n === undefined) problems.push(`${t.name} is missing`);
    else if (n !== t.rows) problems.push(`${t.name} has ${n} rows, expected ${t.rows}`);
    got.delete(t.name);
  }
  for (const name of got.keys()) problems.push(`${name} was not in the backup`);
  return problems;
}

export const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop() ?? '';
