/**
 * Reads a migrations folder into the list belay verifies and applies, without any database.
 *
 * Formats:
 * - drizzle: drizzle-kit's `meta/_journal.json` plus `<tag>.sql`, in journal order, split on
 *   `--> statement-breakpoint` exactly as drizzle-orm's migrator splits them.
 * - plain: every `*.sql` directly in the folder (`*.up.sql` included, `*.down.sql` ignored), ordered by file name,
 *   compared code unit by code unit: name files so they sort, like `0001_init.sql` or `20240501T1200_init.sql`.
 * - flyway: `V<version>__<description>.sql`, ordered by version, numerically part by part (1.9 < 1.10).
 *
 * `auto` picks drizzle when the journal exists. Otherwise it picks flyway when there is at least one
 * `V<version>__` file and every `.sql` file is named the Flyway way (versioned, undo `U…__` or repeatable `R__`);
 * a folder that mixes Flyway names with other names is read as plain, with a warning, because ordering half of it
 * by version and half by name would be a guess.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { BelayError, InputError } from '../core/errors.js';
import { byCodeUnits } from '../core/order.js';
import { needsNoTransaction, splitOnBreakpoints, splitStatements } from './sql.js';
import type { FolderWarning, Migration, MigrationFolder, MigrationFormat, Statement } from './types.js';

const FORMATS: readonly MigrationFormat[] = ['drizzle', 'plain', 'flyway'];
const JOURNAL = 'meta/_journal.json';
const FIX_DIR = 'Point "dir" at the folder that holds your migration .sql files (relative to the repository root)';

/** `V1__init.sql`, `V1.1__x.sql`, `V2_1__y.sql`: the version is digits separated by `.` or `_`. */
const FLYWAY_VERSIONED = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/;
/** Undo (`U1__…`, Flyway Teams) and repeatable (`R__…`) migrations, which belay does not run. */
const FLYWAY_UNDO = /^U\d+(?:[._]\d+)*__.+\.sql$/;
const FLYWAY_REPEATABLE = /^R__.+\.sql$/;

/** What a format reader decides for each file, before the file is read. */
interface Entry {
  readonly file: string;
  readonly name: string;
  readonly version?: string;
  readonly drizzle?: { readonly when: number; readonly breakpoints: boolean };
}

interface Listing {
  readonly entries: readonly Entry[];
  readonly warnings: readonly FolderWarning[];
}

export function readMigrationFolder(dir: string, format: 'auto' | MigrationFormat): MigrationFolder {
  const requested = format === 'auto' ? format : checkFormat(format);
  const root = resolve(dir);
  const sqlFiles = listSqlFiles(root);
  const chosen = requested === 'auto' ? detectFormat(root, sqlFiles) : requested;
  const listing = listFormat(root, chosen, sqlFiles, requested === 'auto');
  if (listing.entries.length === 0) throw noMigrations(root, chosen);
  const migrations = listing.entries.map((entry, index) => readMigration(root, entry, index, chosen));
  return { dir: root, format: chosen, migrations, warnings: listing.warnings };
}

function checkFormat(format: string): MigrationFormat {
  if ((FORMATS as readonly string[]).includes(format)) return format as MigrationFormat;
  throw new InputError('format', `"${format}" is not a migrations format`, 'Use auto, drizzle, plain or flyway');
}

/** Names of the regular `.sql` files directly in `root` (symlinks to files count), read with one readdir. */
function listSqlFiles(root: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError('dir', `${root} does not exist`, FIX_DIR);
    if (code === 'ENOTDIR') throw new InputError('dir', `${root} is not a directory`, FIX_DIR);
    throw new InputError('dir', `${root} cannot be read (${code ?? String(err)})`, 'Check its permissions');
  }
  return entries
    .filter((entry) => entry.name.endsWith('.sql') && (entry.isFile() || isFileLink(root, entry)))
    .map((entry) => entry.name);
}

function isFileLink(root: string, entry: Dirent): boolean {
  return entry.isSymbolicLink() && (statSync(join(root, entry.name), { throwIfNoEntry: false })?.isFile() ?? false);
}

function detectFormat(root: string, sqlFiles: readonly string[]): MigrationFormat {
  if (statSync(join(root, JOURNAL), { throwIfNoEntry: false })?.isFile()) return 'drizzle';
  const versioned = sqlFiles.some((file) => FLYWAY_VERSIONED.test(file));
  return versioned && sqlFiles.every(isFlywayNamed) ? 'flyway' : 'plain';
}

function isFlywayNamed(file: string): boolean {
  return FLYWAY_VERSIONED.test(file) || FLYWAY_UNDO.test(file) || FLYWAY_REPEATABLE.test(file);
}

function listFormat(root: string, format: MigrationFormat, sqlFiles: readonly string[], detected: boolean): Listing {
  switch (format) {
    case 'drizzle':
      return listDrizzle(root, sqlFiles);
    case 'flyway':
      return listFlyway(sqlFiles);
    case 'plain':
      return listPlain(sqlFiles, detected);
  }
}

function noMigrations(root: string, format: MigrationFormat): InputError {
  const what = {
    drizzle: `its ${JOURNAL} lists no migrations`,
    flyway: 'it has no V<version>__<description>.sql file',
    plain: 'it has no .sql file (other than *.down.sql)',
  }[format];
  // An empty folder is nearly always a wrong path, not a project without migrations.
  return new InputError('dir', `no migrations in ${root}: ${what}`, FIX_DIR);
}

// ---------------------------------------------------------------------------------------------------- drizzle

interface JournalEntry {
  readonly idx: number;
  readonly when: number;
  readonly tag: string;
  readonly breakpoints: boolean;
}

function listDrizzle(root: string, sqlFiles: readonly string[]): Listing {
  const journalPath = join(root, JOURNAL);
  if (!statSync(journalPath, { throwIfNoEntry: false })?.isFile()) {
    throw new InputError(
      'dir',
      `${root} has no ${JOURNAL}, which format "drizzle" needs`,
      'Point "dir" at drizzle-kit\'s out folder (the one that holds meta/), or set "format" to auto, plain or flyway',
    );
  }
  const journal = readJournal(journalPath);
  const present = new Set(sqlFiles);
  const entries = journal.map((entry): Entry => {
    const file = `${entry.tag}.sql`;
    if (!present.has(file)) {
      throw new BelayError(
        `The drizzle journal ${journalPath} lists "${entry.tag}" but ${join(root, file)} does not exist. ` +
          'Restore the file from git, or regenerate the migrations with drizzle-kit.',
      );
    }
    return { file, name: entry.tag, drizzle: { when: entry.when, breakpoints: entry.breakpoints } };
  });
  const listed = new Set(entries.map((entry) => entry.file));
  const warnings = sortByName(sqlFiles.filter((file) => !listed.has(file))).map((file) => ({
    file,
    message: `${file} is not listed in ${JOURNAL}, so neither drizzle nor belay runs it; add it with drizzle-kit generate (--custom) or delete it`,
  }));
  return { entries, warnings };
}

/** The journal's entries, checked: drizzle-orm trusts it blindly, belay refuses one it cannot make sense of. */
function readJournal(journalPath: string): JournalEntry[] {
  const fail = (problem: string) =>
    new BelayError(`The drizzle journal ${journalPath} ${problem}. Fix it, or regenerate it with drizzle-kit.`);
  let journal: unknown;
  try {
    journal = JSON.parse(readFile(journalPath).toString());
  } catch (err) {
    if (err instanceof BelayError) throw err;
    throw fail(`is not valid JSON (${(err as Error).message})`);
  }
  const entries = (journal as { entries?: unknown } | null)?.entries;
  if (typeof journal !== 'object' || !Array.isArray(entries)) throw fail('has no "entries" list');
  const seen = new Set<string>();
  let previousIdx = -Infinity;
  return entries.map((raw: unknown, position) => {
    const entry = raw as Partial<Record<keyof JournalEntry, unknown>> | null;
    if (
      typeof entry?.idx !== 'number' ||
      typeof entry.when !== 'number' ||
      typeof entry.tag !== 'string' ||
      typeof entry.breakpoints !== 'boolean'
    ) {
      throw fail(`has an entry at position ${position} without a numeric idx and when, a tag and breakpoints`);
    }
    // drizzle-orm applies entries in array order; an idx out of step means a hand-edited or merged journal.
    if (entry.idx <= previousIdx) throw fail(`has entry "${entry.tag}" (idx ${entry.idx}) out of idx order`);
    // A tag names a file next to the journal's folder, never a path elsewhere.
    if (!/^[^/\\]+$/.test(entry.tag) || entry.tag === '.' || entry.tag === '..') {
      throw fail(`has an entry whose tag "${entry.tag}" is not a file name`);
    }
    if (seen.has(entry.tag)) throw fail(`lists "${entry.tag}" twice`);
    seen.add(entry.tag);
    previousIdx = entry.idx;
    return { idx: entry.idx, when: entry.when, tag: entry.tag, breakpoints: entry.breakpoints };
  });
}

// ---------------------------------------------------------------------------------------------------- plain

function listPlain(sqlFiles: readonly string[], detected: boolean): Listing {
  const files = sortByName(sqlFiles.filter((file) => !file.endsWith('.down.sql')));
  const entries = files.map((file) => ({ file, name: file }));
  return { entries, warnings: detected ? mixedNamingWarning(files) : [] };
}

/** Plain code-unit order, the same on every machine and locale. */
function sortByName(files: readonly string[]): string[] {
  return [...files].sort(byCodeUnits);
}

/** When auto-detection read a folder with Flyway-named files as plain, say that their versions are not what orders them. */
function mixedNamingWarning(files: readonly string[]): FolderWarning[] {
  if (!files.some((file) => FLYWAY_VERSIONED.test(file))) return [];
  const other = files.find((file) => !isFlywayNamed(file));
  if (other === undefined) return [];
  return [
    {
      file: other,
      message: `${other} is not named V<version>__<description>.sql, so this folder is read as plain and ordered by file name, not by Flyway version; rename it, or set format: flyway to ignore it`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------- flyway

function listFlyway(sqlFiles: readonly string[]): Listing {
  const warnings: FolderWarning[] = [];
  const versioned: { file: string; parts: bigint[] }[] = [];
  for (const file of sortByName(sqlFiles)) {
    const match = FLYWAY_VERSIONED.exec(file);
    if (match) versioned.push({ file, parts: match[1]!.split(/[._]/).map(BigInt) });
    else warnings.push({ file, message: flywayIgnored(file) });
  }
  versioned.sort((a, b) => compareVersions(a.parts, b.parts));
  versioned.forEach((current, i) => {
    const previous = versioned[i - 1];
    if (previous && compareVersions(previous.parts, current.parts) === 0) {
      throw new BelayError(
        `Two Flyway migrations have version ${current.parts.join('.')}: ${previous.file} and ${current.file}. ` +
          'Give one of them the next free version.',
      );
    }
  });
  const entries = versioned.map(({ file, parts }) => ({ file, name: file, version: parts.join('.') }));
  return { entries, warnings };
}

function flywayIgnored(file: string): string {
  if (FLYWAY_REPEATABLE.test(file))
    return `${file} is a repeatable migration; belay does not run repeatable migrations`;
  if (FLYWAY_UNDO.test(file)) return `${file} is an undo migration; belay does not run undo migrations`;
  return `${file} is not named V<version>__<description>.sql, so belay does not run it`;
}

/** Part by part as numbers, a missing part counting as 0, as Flyway does: 1.9 < 1.10, and 1 = 1.0. */
function compareVersions(a: readonly bigint[], b: readonly bigint[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------- files

function readMigration(root: string, entry: Entry, index: number, format: MigrationFormat): Migration {
  const bytes = readFile(join(root, entry.file));
  // Buffer#toString() is what drizzle-orm decodes with: UTF-8, BOM kept, invalid bytes replaced.
  const text = bytes.toString();
  const statements: Statement[] = format === 'drizzle' ? splitOnBreakpoints(text) : splitStatements(text);
  const checksum = sha256(bytes);
  const noTransaction = needsNoTransaction(statements, text);
  return {
    name: entry.name,
    file: entry.file,
    index,
    ...(entry.version !== undefined ? { version: entry.version } : {}),
    checksum,
    equivalentChecksums: equivalentChecksums(bytes, checksum),
    text,
    statements,
    ...(noTransaction ? { noTransaction } : {}),
    ...(entry.drizzle
      ? {
          drizzle: {
            when: entry.drizzle.when,
            // drizzle-orm (0.45) hashes the decoded text without touching line endings; match it to the byte.
            // (Its main branch has started to turn CRLF into LF first: adopting a ledger may meet either hash.)
            hash: sha256(text),
            breakpoints: entry.drizzle.breakpoints,
          },
        }
      : {}),
  };
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new BelayError(`Cannot read ${path} (${code}). Check that the file exists and is readable.`);
  }
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');
/**
 * The file as it was, with CRLF turned into LF, and with that LF-only form's line ends turned into CRLF: what git's
 * `core.autocrlf` does to a checkout. Nothing else is normalized, so any other edit still changes every checksum.
 */
function equivalentChecksums(bytes: Buffer, checksum: string): string[] {
  if (!bytes.includes(LF)) return [checksum]; // no line ends: every form is the file itself
  const lf = bytes.includes(CR) ? crlfToLf(bytes) : bytes;
  const crlf = lfToCrlf(lf);
  const sums = new Set([checksum, lf === bytes ? checksum : sha256(lf), sha256(crlf)]);
  return [...sums];
}

/** Every CR directly followed by LF dropped, in one pass (`\r\r\n` becomes `\r\n`, as git does). */
function crlfToLf(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF) continue;
    out[length++] = bytes[i]!;
  }
  return out.subarray(0, length);
}

function lfToCrlf(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = bytes.indexOf(LF); at !== -1; at = bytes.indexOf(LF, at + 1)) {
    parts.push(bytes.subarray(from, at), CRLF);
    from = at + 1;
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}
