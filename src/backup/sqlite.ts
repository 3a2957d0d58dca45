/**
 * SQLite backups on the server: an online copy made by SQLite itself (`.backup`, which copies a consistent
 * snapshot page by page while the app keeps writing), never a plain `cp` of a live file. The copy is checked with
 * `PRAGMA integrity_check` and its tables counted; those counts are the manifest's, exact by construction.
 *
 * The sqlite3 shell takes file names inside its dot-commands, where shell quoting does not apply, so belay only
 * ever names files there that it named itself (`<id>.sqlite.partial`, in a directory it `cd`s into through a
 * quoted argument). The database path the user gave is an ordinary argv word.
 */
import { cmd } from '../core/command.js';
import { byCodeUnits } from '../core/order.js';
import { BelayError } from '../core/errors.js';
import { containerSpec, type DatabaseValues } from '../database/reach.js';
import { findContainer, type FoundContainer } from '../server/docker.js';
import type { Transport } from '../transport/types.js';
import { lastLine, type TableCount } from './postgres.js';

/** Where sqlite3 runs: on the host, or inside the app's container (which must have the sqlite3 shell). */
export type SqlitePlace =
  { readonly kind: 'host' } | { readonly kind: 'container'; readonly container: FoundContainer };

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

/** In the container of db-service / db-container when one is named, else on the host. */
export async function sqlitePlace(t: Transport, v: DatabaseValues, user: string): Promise<SqlitePlace> {
  const spec = containerSpec(v);
  return spec ? { kind: 'container', container: await findContainer(t, spec, user) } : { kind: 'host' };
}

/** A SQLite database's name in manifests and for confirm: `database` when given, else the file's name. */
export const sqliteName = (v: { readonly database?: string; readonly sqlitePath?: string }) =>
  v.database ?? (v.sqlitePath ?? '').split('/').pop() ?? '';

/** sqlite3's own version, refusing a server (or container) without the shell. */
export async function sqliteVersion(t: Transport, place: SqlitePlace): Promise<string> {
  const r = await t.exec(inPlace(place, ['sqlite3', '--version']));
  const where = place.kind === 'container' ? `in container ${place.container.name}` : `on ${t.label}`;
  if (r.code !== 0) {
    throw new BelayError(
      place.kind === 'container'
        ? `sqlite3 does not run in container ${place.container.name}. Give sqlite-path as the database's path on the host (its volume) and leave db-service unset, or add the sqlite3 shell to the image.`
        : `sqlite3 is not installed on ${t.label}. Install it (e.g. sudo apt-get install sqlite3).`,
    );
  }
  return `sqlite3 ${r.stdout.trim().split(' ')[0]} ${where}`;
}

/**
 * Copy the live database at `dbPath` to `dir/name` with SQLite's online backup, check the copy where it was made
 * and return its tables with their row counts. In a container the copy is made and checked in its /tmp, then
 * moved out with `docker cp`.
 */
export async function sqliteCopy(
  t: Transport,
  place: SqlitePlace,
  dbPath: string,
  dir: string,
  name: string,
): Promise<TableCount[]> {
  if (!SAFE_NAME.test(name)) throw new Error(`unsafe copy name ${name}`);
  if (place.kind === 'host') {
    // The file must exist: sqlite3 would create an empty database for a typo.
    const script =
      'cd -- "$1" && { [ -f "$2" ] || { echo "no such file: $2" >&2; exit 3; }; } && exec sqlite3 -bail "$2" "$3"';
    const r = await t.exec(cmd('sh', '-c', script, 'belay', dir, dbPath, `.backup '${name}'`));
    if (r.code !== 0)
      throw new BelayError(`sqlite3 .backup of ${dbPath} failed: ${lastLine(r.stderr) || `exit ${r.code}`}.`);
    return checkSqliteFile(t, place, `${dir}/${name}`);
  }
  const inside = `/tmp/belay-${name}`;
  const id = place.container.id;
  const exists = await t.exec(cmd('docker', 'exec', id, 'test', '-f', dbPath));
  if (exists.code !== 0)
    throw new BelayError(`sqlite-path ${dbPath} does not exist in container ${place.container.name}.`);
  try {
    const r = await t.exec(cmd('docker', 'exec', id, 'sqlite3', '-bail', dbPath, `.backup '${inside}'`));
    if (r.code !== 0)
      throw new BelayError(`sqlite3 .backup of ${dbPath} failed: ${lastLine(r.stderr) || `exit ${r.code}`}.`);
    const tables = await checkSqliteFile(t, place, inside);
    const cp = await t.exec(cmd('docker', 'cp', `${id}:${inside}`, `${dir}/${name}`));
    if (cp.code !== 0) throw new BelayError(`docker cp of the SQLite copy failed: ${lastLine(cp.stderr)}.`);
    return tables;
  } finally {
    await t.exec(cmd('docker', 'exec', id, 'rm', '-f', inside)).catch(() => undefined);
  }
}

/** `PRAGMA integrity_check` must say ok; then every table is counted (on belay's own copy, never the live file). */
export async function checkSqliteFile(t: Transport, place: SqlitePlace, path: string): Promise<TableCount[]> {
  const sqlite = (...args: string[]) => t.exec(inPlace(place, ['sqlite3', '-bail', ...args]));
  const integrity = await sqlite(path, 'PRAGMA integrity_check;');
  if (integrity.code !== 0 || integrity.stdout.trim() !== 'ok') {
    throw new BelayError(
      `The SQLite copy fails its integrity check: ${lastLine(integrity.stdout) || lastLine(integrity.stderr)}.`,
    );
  }
  const list = await sqlite(
    path,
    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name;",
  );
  if (list.code !== 0) throw new BelayError(`Cannot list the tables of the SQLite copy: ${lastLine(list.stderr)}.`);
  const names = list.stdout.split('\n').filter(Boolean);
  if (names.length === 0) return [];
  const query = names.map((n) => `SELECT '${n.replace(/'/g, "''")}', count(*) FROM "${n.replace(/"/g, '""')}"`);
  const counted = await sqlite('-separator', '\t', path, `${query.join(' UNION ALL ')};`);
  if (counted.code !== 0)
    throw new BelayError(`Cannot count the rows of the SQLite copy: ${lastLine(counted.stderr)}.`);
  return counted.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const tab = line.lastIndexOf('\t');
      return { name: line.slice(0, tab), rows: Number(line.slice(tab + 1)) };
    })
    .sort((a, b) => byCodeUnits(a.name, b.name));
}

function inPlace(place: SqlitePlace, argv: string[]) {
  return place.kind === 'container'
    ? cmd('docker', 'exec', place.container.id, ...argv)
    : cmd(argv[0]!, ...argv.slice(1));
}
