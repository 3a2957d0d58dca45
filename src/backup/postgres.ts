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
import type { ExecResult, Transport } from '../transport/types.js';
import { SHA256_FUNCTION } from './store.js';

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

/**
 * The dump and its checks in one command, started before the snapshot it dumps exists, so that neither its round
 * trip nor the `docker exec` that runs pg_dump waits for the database session (see dumpCommand). Arguments: the
 * backup folder (made when missing), the partial file, `toc` or not, the container pg_restore runs in ('' on the
 * host), who reads stdin (`here`: this script, `inside`: the command, a shell in the container), then the command.
 * Stdin holds the password and the snapshot's id, a line each, once they are known: here, they are read before
 * pg_dump starts, which is given `--snapshot`; inside, the command is started at once with this stdin (it reads
 * them itself, see IN_CONTAINER).
 *
 * pg_dump writes straight to the partial, a seekable file, so it can go back and record where each table's data
 * starts (what `pg_restore -j` and selective restores need); a pipe would lose that, which is why the sha256 is
 * read from the finished file rather than from the stream. What belay needs from the run comes on stderr as
 * `belay-<name>=<value>` lines, pg_dump's own messages around them:
 * - `belay-dir-failed`, alone: the backup folder could not be made (mkdir's message before it); nothing ran;
 * - `belay-inside` (IN_CONTAINER), alone: the shell in the container started;
 * - `belay-dump-writing` (DUMP_STARTED), alone: pg_dump has written its first bytes (it has its snapshot and
 *   locks, and is past its own start);
 * - `belay-dump-exit`: pg_dump's exit status (`none` when stdin ended before the snapshot came); nothing else is
 *   done unless it is 0;
 * - `belay-size`, `belay-sha256`: of the file as it is on disk once pg_dump has exited;
 * - `belay-toc-exit`: with `toc`, the status of `pg_restore --list` reading the same file; its listing (and its
 *   messages) are the command's stdout. It is started once pg_dump writes (a line `go` on its stdin lets it
 *   start) and then waits on its stdin for the file, so its own start (a `docker exec`) is paid neither at
 *   pg_dump's start nor after the dump.
 * An asynchronous command's stdin is /dev/null unless redirected, hence fd 3 for the one that reads it.
 */
const DUMP_AND_CHECK =
  'dir=$1; partial=$2; toc=$3; container=$4; reads=$5; shift 5; umask 077; ' +
  '[ -d "$dir" ] || mkdir -p -- "$dir" || { echo belay-dir-failed >&2; exit 0; }; ' +
  'if [ "$reads" = here ]; then ' +
  'IFS= read -r PGPASSWORD && IFS= read -r snapshot || { echo belay-dump-exit=none >&2; exit 0; }; ' +
  'export PGPASSWORD; set -- "$@" "--snapshot=$snapshot"; exec 3< /dev/null; ' +
  'else exec 3<&0; fi; exec < /dev/null; ' +
  SHA256_FUNCTION +
  'belay_sums() { printf \'belay-size=%s\\nbelay-sha256=%s\\n\' "$(wc -c < "$partial")" "$(belay_sha256 "$partial")" >&2; }; ' +
  'belay_list() { if [ -n "$container" ]; then docker exec -i "$container" pg_restore --list; else pg_restore --list; fi; }; ' +
  'belay_dump() { "$@" <&3 > "$partial" & pid=$!; exec 3<&-; ' +
  'while [ ! -s "$partial" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05 2>/dev/null || sleep 1; done; ' +
  '[ -s "$partial" ] && { echo belay-dump-writing >&2; [ "$toc" = toc ] && echo go; }; ' +
  'wait "$pid"; rc=$?; echo "belay-dump-exit=$rc" >&2; [ "$rc" -eq 0 ] || return 0; ' +
  'if [ "$toc" = toc ]; then belay_sums & cat -- "$partial"; wait; else belay_sums; fi; }; ' +
  'if [ "$toc" = toc ]; then ' +
  'belay_dump "$@" | { IFS= read -r go && { belay_list 2>&1; echo "belay-toc-exit=$?" >&2; }; }; ' +
  'else belay_dump "$@"; fi; exit 0';

/**
 * The shell in the database container that runs pg_dump (`sh -c IN_CONTAINER belay pg_dump …`): it says it
 * started, reads the password and the snapshot's id from its stdin, and only then runs pg_dump, so the
 * `docker exec` is paid while belay still opens the snapshot. Exit 99 when stdin ends first.
 */
const IN_CONTAINER =
  'echo belay-inside >&2; IFS= read -r PGPASSWORD && IFS= read -r s || exit 99; export PGPASSWORD; ' +
  'exec "$@" "--snapshot=$s" < /dev/null';

/** The line DUMP_AND_CHECK writes on stderr once pg_dump has written its first bytes. */
export const DUMP_STARTED = 'belay-dump-writing';
/** The line DUMP_AND_CHECK writes on stderr when pg_dump has succeeded, before the checks of the file. */
export const DUMP_SUCCEEDED = 'belay-dump-exit=0\n';

/**
 * Where a dump runs: on the host against host:port, or in a container (by id or name). `shell`: through a shell
 * in the container, which reads the snapshot itself (most images have one); without, pg_dump is started by the
 * script on the host once the snapshot is known.
 */
export type DumpPlace =
  | { readonly kind: 'host'; readonly host: string; readonly port: number }
  | { readonly kind: 'container'; readonly ref: string; readonly shell: boolean };

/**
 * pg_dump of `database` at `place` into `partial` (a path on the server, in `dir`), with the checks of
 * DUMP_AND_CHECK. Run it with `stdin: dumpInput(login, snapshot)`, which may come after it started.
 */
export function dumpCommand(
  place: DumpPlace,
  login: PgLogin,
  dir: string,
  partial: string,
  toc: boolean,
  ...args: string[]
): Command {
  const connection = place.kind === 'host' ? ['-h', place.host, '-p', String(place.port)] : [];
  const argv = ['pg_dump', ...connection, '-U', login.user, ...args];
  const ref = place.kind === 'container' ? place.ref : '';
  const [reads, inner] =
    place.kind === 'host'
      ? ['here', argv]
      : place.shell
        ? ['inside', ['docker', 'exec', '-i', ref, 'sh', '-c', IN_CONTAINER, 'belay', ...argv]]
        : ['here', ['docker', 'exec', '-i', '-e', 'PGPASSWORD', ref, ...argv]];
  return cmd('sh', '-c', DUMP_AND_CHECK, 'belay', dir, partial, toc ? 'toc' : '', ref, reads, ...inner);
}

/** What a dump command reads on stdin: the password and the snapshot to dump. */
export const dumpInput = (login: PgLogin, snapshot: string) => `${login.password ?? ''}\n${snapshot}\n`;

/** What a run of dumpCommand says. `ok` is pg_dump's success; the rest is known only when it is true. */
export interface DumpRun {
  readonly ok: boolean;
  /** The shell in the container started (a run through one that never did says nothing of pg_dump). */
  readonly inside: boolean;
  /** The backup folder could not be made; nothing ran. */
  readonly noDir: boolean;
  /** pg_dump's exit status (or the command's, or its signal, when pg_dump's is unknown). */
  readonly exit: string;
  /** pg_dump's (or the command's) messages, without belay's own lines. */
  readonly stderr: string;
  readonly size?: number;
  readonly sha256?: string;
  /** `pg_restore --list`: its status and output, when it ran. */
  readonly toc?: { readonly ok: boolean; readonly output: string };
}

export function readDumpRun(r: ExecResult): DumpRun {
  const values = new Map<string, string>();
  const messages: string[] = [];
  let inside = false;
  let noDir = false;
  for (const line of r.stderr.split('\n')) {
    if (line === DUMP_STARTED) continue;
    if (line === 'belay-inside') {
      inside = true;
      continue;
    }
    if (line === 'belay-dir-failed') {
      noDir = true;
      continue;
    }
    const m = /^belay-(dump-exit|size|sha256|toc-exit)=(.*)$/.exec(line);
    if (m) values.set(m[1]!, m[2]!);
    else messages.push(line);
  }
  const stderr = messages.join('\n');
  const exit = values.get('dump-exit');
  if (exit !== '0') return { ok: false, inside, noDir, exit: exit ?? r.signal ?? String(r.code), stderr };
  const size = Number(values.get('size') ?? 'x');
  const sha256 = /^([0-9a-f]{64})\b/.exec(values.get('sha256') ?? '')?.[1];
  const tocExit = values.get('toc-exit');
  return {
    ok: true,
    inside,
    noDir,
    exit,
    stderr,
    ...(Number.isSafeInteger(size) ? { size } : {}),
    ...(sha256 ? { sha256 } : {}),
    ...(tocExit !== undefined ? { toc: { ok: tocExit === '0', output: r.stdout } } : {}),
  };
}

/**
 * The pg_dump that runs, asked with `pg_dump --version` (one more `docker exec` in a container): for a dump whose
 * table of contents is not read (verify: checksum), and to say why a dump failed. It refuses a pg_dump older than
 * the server, which cannot dump it (and stops by itself at once when it tries).
 */
export async function checkPgDumpVersion(t: Transport, place: PgPlace, serverVersionNum: number): Promise<string> {
  const r = await t.exec(
    place.kind === 'container'
      ? cmd('docker', 'exec', place.container.id, 'pg_dump', '--version')
      : cmd('pg_dump', '--version'),
  );
  if (r.code !== 0) {
    throw new BelayError(
      place.kind === 'container'
        ? `pg_dump does not run in container ${place.container.name}: ${lastLine(r.stderr)}. Is it a PostgreSQL image?`
        : `pg_dump is not installed on ${t.label}. Install the PostgreSQL client of the server's version (e.g. postgresql-client-${Math.floor(serverVersionNum / 10000)}), or set db-service so pg_dump runs inside the database container.`,
    );
  }
  return pgDumpTool(r.stdout, t, place, serverVersionNum);
}

/**
 * The pg_dump that made a dump, from its table of contents (`Dumped by pg_dump version: 15.18 …`), as the dump
 * itself records it; undefined when the listing does not say.
 */
export function pgDumpToolOfToc(
  toc: string,
  t: Transport,
  place: PgPlace,
  serverVersionNum: number,
): string | undefined {
  const line = /^;\s*Dumped by pg_dump version:\s*(\S.*)$/m.exec(toc)?.[1];
  return line === undefined ? undefined : pgDumpTool(line, t, place, serverVersionNum);
}

/** `pg_dump 15.18 in container shop-db-1` from a version text; refused when older than the server. */
function pgDumpTool(text: string, t: Transport, place: PgPlace, serverVersionNum: number): string {
  const where = place.kind === 'container' ? `in container ${place.container.name}` : `on ${t.label}`;
  const version = /(\d+)(?:\.(\d+))?/.exec(text)?.[0] ?? '?';
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
 * A repeatable-read transaction whose snapshot pg_dump will use, opened in one round trip; COMMIT ends it (once
 * pg_dump has imported the snapshot it holds it itself). The row counts taken in it run beside pg_dump, so they
 * are kept to one process (no parallel workers), not JIT-compiled (a count(*) is costly enough to trigger JIT,
 * whose compiling is pure overhead for it) and made by reading the table, not an index: pg_dump reads every table
 * from start to end, and a count reading the same table at the same time joins that scan (synchronized scans), so
 * the table comes from disk once; walking a primary key instead costs about twice the CPU of a plain read when the
 * table is cached (7 million pgbench rows: 0.8-1.1 s against 0.55 s), and the planner cannot know the dump is
 * reading the table anyway. They then take a little longer but leave more of the server's CPU to the dump, which
 * is what the backup waits for.
 */
export async function openSnapshot(
  client: pg.Client,
): Promise<{ snapshot: string; serverVersion: string; versionNum: number }> {
  const results = (await client.query(
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL max_parallel_workers_per_gather = 0; ' +
      'SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; SET LOCAL enable_bitmapscan = off; ' +
      "SELECT set_config('jit', 'off', true) WHERE current_setting('server_version_num')::int >= 110000; " +
      "SELECT pg_export_snapshot() AS snapshot, current_setting('server_version') AS version, current_setting('server_version_num') AS num",
  )) as unknown as pg.QueryResult<{ snapshot: string; version: string; num: string }>[];
  const row = results[results.length - 1]!.rows[0]!;
  return { snapshot: row.snapshot, serverVersion: row.version, versionNum: Number(row.num) };
}

/**
 * Every ordinary table outside the system schemas with its exact row count, in name order. `stopped`, asked before
 * each table, ends the counting early (with an error) once the counts are of no use.
 */
export async function countTables(client: pg.Client, stopped = () => false): Promise<TableCount[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1, 2`,
  );
  const counts: TableCount[] = [];
  for (const { schema, name } of rows) {
    if (stopped()) throw new BelayError('The row counts were stopped.');
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
