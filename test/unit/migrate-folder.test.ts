import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BelayError, InputError } from '../../src/core/errors.js';
import { readMigrationFolder } from '../../src/migrate/folder.js';

const FIXTURES = resolve('test/fixtures/migrations');
const DRIZZLE = join(FIXTURES, 'drizzle');
const PLAIN = join(FIXTURES, 'plain');
const FLYWAY = join(FIXTURES, 'flyway');

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

const scratch = mkdtempSync(join(tmpdir(), 'belay-folder-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let folders = 0;
/** A new folder under the scratch dir, with the given files (paths may contain `/`). */
function folder(files: Record<string, string | Buffer> = {}): string {
  const dir = join(scratch, `f${folders++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

function copyOf(source: string): string {
  const dir = join(scratch, `f${folders++}`);
  cpSync(source, dir, { recursive: true });
  return dir;
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('readMigrationFolder: drizzle', () => {
  const folderRead = readMigrationFolder(DRIZZLE, 'auto');

  it('is detected from meta/_journal.json and read in journal order, named by tag', () => {
    expect(folderRead.format).toBe('drizzle');
    expect(folderRead.dir).toBe(DRIZZLE);
    expect(folderRead.migrations.map((m) => [m.index, m.name, m.file])).toEqual([
      [0, '0000_curious_sentinel', '0000_curious_sentinel.sql'],
      [1, '0001_wet_hulk', '0001_wet_hulk.sql'],
      [2, '0002_custom_title_index', '0002_custom_title_index.sql'],
    ]);
  });

  it("records the journal's when and breakpoints, and drizzle-orm's hash of the file text", () => {
    const journal = JSON.parse(readFileSync(join(DRIZZLE, 'meta/_journal.json'), 'utf8')) as {
      entries: { when: number; tag: string; breakpoints: boolean }[];
    };
    for (const [i, migration] of folderRead.migrations.entries()) {
      const entry = journal.entries[i]!;
      const text = readFileSync(join(DRIZZLE, `${entry.tag}.sql`)).toString();
      expect(migration.drizzle).toEqual({ when: entry.when, breakpoints: entry.breakpoints, hash: sha256(text) });
    }
  });

  it("splits statements exactly as drizzle-orm's migrator does", () => {
    for (const migration of folderRead.migrations) {
      const text = readFileSync(join(DRIZZLE, migration.file)).toString();
      expect(migration.statements.map((s) => s.sql)).toEqual(text.split('--> statement-breakpoint'));
    }
    expect(folderRead.migrations[0]!.statements.map((s) => s.line)).toEqual([1, 8, 14]);
  });

  it('marks the custom CONCURRENTLY migration to run outside a transaction', () => {
    expect(folderRead.migrations.map((m) => m.noTransaction)).toEqual([
      undefined,
      undefined,
      { reason: 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block', line: 2 },
    ]);
  });

  it('warns about a .sql file the journal does not list', () => {
    expect(folderRead.warnings).toEqual([{ file: 'scratch.sql', message: expect.stringContaining('not listed') }]);
  });

  it('fails naming the file and the journal when a listed migration is missing', () => {
    const dir = copyOf(DRIZZLE);
    rmSync(join(dir, '0001_wet_hulk.sql'));
    const err = errorOf(() => readMigrationFolder(dir, 'auto'));
    expect(err).toBeInstanceOf(BelayError);
    expect(err.message).toContain(join(dir, '0001_wet_hulk.sql'));
    expect(err.message).toContain(join(dir, 'meta/_journal.json'));
  });

  it('fails with the path on a journal that is not JSON or has the wrong shape', () => {
    const entry = { idx: 0, version: '7', when: 1, tag: '0000_a', breakpoints: true };
    const cases = [
      '{ "entries": [',
      '[]',
      'null',
      JSON.stringify({ entries: [{ ...entry, when: 'yesterday' }] }),
      JSON.stringify({ entries: [{ ...entry, tag: '../elsewhere' }] }),
      JSON.stringify({ entries: [entry, { ...entry, idx: 0, tag: '0001_b' }] }),
      JSON.stringify({ entries: [entry, { ...entry, idx: 1 }] }),
    ];
    for (const journal of cases) {
      const dir = folder({ 'meta/_journal.json': journal, '0000_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 2;' });
      const err = errorOf(() => readMigrationFolder(dir, 'drizzle'));
      expect(err).toBeInstanceOf(BelayError);
      expect(err.message).toContain(join(dir, 'meta/_journal.json'));
      expect(err.message).not.toContain('\n');
    }
  });

  it('refuses format drizzle on a folder without a journal, naming dir', () => {
    const err = errorOf(() => readMigrationFolder(PLAIN, 'drizzle'));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('dir');
  });

  it('refuses a journal with no entries as an empty folder', () => {
    const dir = folder({ 'meta/_journal.json': JSON.stringify({ version: '7', dialect: 'postgresql', entries: [] }) });
    expect(errorOf(() => readMigrationFolder(dir, 'auto')).message).toContain('no migrations');
  });
});

describe('readMigrationFolder: plain', () => {
  const folderRead = readMigrationFolder(PLAIN, 'auto');

  it('reads every .sql but *.down.sql, ordered by file name, named by file name', () => {
    expect(folderRead.format).toBe('plain');
    expect(folderRead.migrations.map((m) => m.name)).toEqual(['0001_init.sql', '0002_users.up.sql', '0010_later.sql']);
    expect(folderRead.migrations.map((m) => m.file)).toEqual(folderRead.migrations.map((m) => m.name));
    expect(folderRead.migrations.map((m) => m.version)).toEqual([undefined, undefined, undefined]);
    expect(folderRead.migrations.map((m) => m.drizzle)).toEqual([undefined, undefined, undefined]);
    expect(folderRead.warnings).toEqual([]);
  });

  it('splits statements on semicolons with their lines', () => {
    const [init, users] = folderRead.migrations;
    expect(init!.statements.map((s) => s.line)).toEqual([2, 7]);
    expect(init!.statements[0]!.sql).toMatch(/^-- The first table\.\nCREATE TABLE accounts/);
    expect(users!.statements.map((s) => s.line)).toEqual([1, 2]);
  });

  it('takes no-transaction from the directive, and nothing from words in strings', () => {
    expect(folderRead.migrations.map((m) => m.noTransaction)).toEqual([
      undefined,
      undefined,
      { reason: 'the file has the directive "-- belay:no-transaction"', line: 1 },
    ]);
  });

  it('orders by code unit, not by locale or number', () => {
    const dir = folder({ 'b.sql': 'SELECT 1;', 'B.sql': 'SELECT 1;', 'a10.sql': 'SELECT 1;', 'a9.sql': 'SELECT 1;' });
    expect(readMigrationFolder(dir, 'plain').migrations.map((m) => m.name)).toEqual([
      'B.sql',
      'a10.sql',
      'a9.sql',
      'b.sql',
    ]);
  });

  it('does not read subfolders or other files', () => {
    const dir = folder({ '1.sql': 'SELECT 1;', 'sub/2.sql': 'SELECT 2;', 'README.md': '# hi', 'notes.txt': 'x' });
    expect(readMigrationFolder(dir, 'auto').migrations.map((m) => m.name)).toEqual(['1.sql']);
  });
});

describe('readMigrationFolder: flyway', () => {
  const folderRead = readMigrationFolder(FLYWAY, 'auto');

  it('is detected from V<version>__ names and ordered by version, part by part', () => {
    expect(folderRead.format).toBe('flyway');
    expect(folderRead.migrations.map((m) => [m.name, m.version])).toEqual([
      ['V1__init.sql', '1'],
      ['V1.1__add_email.sql', '1.1'],
      ['V1.9__add_name.sql', '1.9'],
      ['V1.10__index_email.sql', '1.10'],
      ['V2_1__audit.sql', '2.1'],
    ]);
    expect(folderRead.migrations.map((m) => m.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('warns that repeatable, undo and other files are ignored', () => {
    expect(folderRead.warnings).toEqual([{ file: 'R__view.sql', message: expect.stringContaining('repeatable') }]);
    const dir = folder({ 'V1__a.sql': 'SELECT 1;', 'U1__a.sql': 'SELECT 1;', 'notes.sql': 'SELECT 1;' });
    const read = readMigrationFolder(dir, 'flyway');
    expect(read.migrations.map((m) => m.name)).toEqual(['V1__a.sql']);
    expect(read.warnings).toEqual([
      { file: 'U1__a.sql', message: expect.stringContaining('undo') },
      { file: 'notes.sql', message: expect.stringContaining('not named V<version>__<description>.sql') },
    ]);
  });

  it('fails naming both files when two share a version (1.0 is 1, as in Flyway)', () => {
    const dir = folder({ 'V1__a.sql': 'SELECT 1;', 'V1.0__b.sql': 'SELECT 2;', 'V2__c.sql': 'SELECT 3;' });
    const err = errorOf(() => readMigrationFolder(dir, 'flyway'));
    expect(err).toBeInstanceOf(BelayError);
    expect(err.message).toContain('V1__a.sql');
    expect(err.message).toContain('V1.0__b.sql');
  });

  it('compares versions beyond the range of a double', () => {
    const dir = folder({ 'V20240101120000000001__a.sql': 'SELECT 1;', 'V20240101120000000002__b.sql': 'SELECT 2;' });
    expect(readMigrationFolder(dir, 'flyway').migrations.map((m) => m.version)).toEqual([
      '20240101120000000001',
      '20240101120000000002',
    ]);
  });
});

describe('readMigrationFolder: auto-detection', () => {
  it('reads a folder that mixes Flyway names with other names as plain, with a warning', () => {
    const dir = folder({ 'V1__a.sql': 'SELECT 1;', 'V2__b.sql': 'SELECT 2;', '0003_c.sql': 'SELECT 3;' });
    const read = readMigrationFolder(dir, 'auto');
    expect(read.format).toBe('plain');
    expect(read.migrations.map((m) => m.name)).toEqual(['0003_c.sql', 'V1__a.sql', 'V2__b.sql']);
    expect(read.warnings).toEqual([{ file: '0003_c.sql', message: expect.stringContaining('format: flyway') }]);
  });

  it('prefers the drizzle journal over Flyway names', () => {
    const dir = folder({
      'meta/_journal.json': JSON.stringify({ entries: [{ idx: 0, when: 5, tag: 'V1__a', breakpoints: true }] }),
      'V1__a.sql': 'SELECT 1;',
    });
    expect(readMigrationFolder(dir, 'auto').format).toBe('drizzle');
  });

  it('lets an explicit format override detection', () => {
    const read = readMigrationFolder(FLYWAY, 'plain');
    expect(read.format).toBe('plain');
    expect(read.migrations.map((m) => m.name)).toContain('R__view.sql');
  });
});

describe('readMigrationFolder: bad dir and format', () => {
  it('fails on a missing dir with an InputError naming dir and the absolute path', () => {
    const missing = join(scratch, 'nope');
    const err = errorOf(() => readMigrationFolder(missing, 'auto'));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('dir');
    expect(err.message).toContain(missing);
  });

  it('fails on a file given as dir', () => {
    const err = errorOf(() => readMigrationFolder(join(PLAIN, '0001_init.sql'), 'auto'));
    expect((err as InputError).input).toBe('dir');
    expect(err.message).toContain('not a directory');
  });

  it('fails on a folder without migrations, saying so', () => {
    for (const dir of [folder(), folder({ 'README.md': '# migrations' }), folder({ '1.down.sql': 'DROP TABLE t;' })]) {
      const err = errorOf(() => readMigrationFolder(dir, 'auto'));
      expect(err).toBeInstanceOf(BelayError);
      expect(err.message).toContain(`no migrations in ${dir}`);
    }
    const err = errorOf(() => readMigrationFolder(folder({ 'R__v.sql': 'SELECT 1;' }), 'flyway'));
    expect(err.message).toContain('no migrations');
  });

  it('fails on an unknown format, naming format', () => {
    const err = errorOf(() => readMigrationFolder(PLAIN, 'liquibase' as 'auto'));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).input).toBe('format');
  });
});

describe('readMigrationFolder: checksums', () => {
  const lf = 'CREATE TABLE t (\n  id int\n);\n';
  const crlf = lf.replace(/\n/g, '\r\n');

  it('is the sha256 of the raw bytes, BOM and all', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lf)]);
    const dir = folder({ '1.sql': bytes });
    const [migration] = readMigrationFolder(dir, 'plain').migrations;
    expect(migration!.checksum).toBe(sha256(bytes));
    expect(migration!.equivalentChecksums).toContain(migration!.checksum);
  });

  it('makes a CRLF copy differ in checksum but share an equivalent checksum with the LF original', () => {
    const dir = folder({ '1.sql': lf, '2.sql': crlf });
    const [a, b] = readMigrationFolder(dir, 'plain').migrations;
    expect(a!.checksum).toBe(sha256(lf));
    expect(b!.checksum).toBe(sha256(crlf));
    expect(a!.checksum).not.toBe(b!.checksum);
    expect([...a!.equivalentChecksums].sort()).toEqual([sha256(lf), sha256(crlf)].sort());
    expect([...b!.equivalentChecksums].sort()).toEqual([...a!.equivalentChecksums].sort());
  });

  it('normalizes nothing else: one space more shares no checksum', () => {
    const dir = folder({ '1.sql': lf, '2.sql': lf.replace('id int', 'id  int'), '3.sql': `${lf} ` });
    const [a, b, c] = readMigrationFolder(dir, 'plain').migrations;
    for (const other of [b!, c!]) {
      expect(other.equivalentChecksums.filter((sum) => a!.equivalentChecksums.includes(sum))).toEqual([]);
    }
  });

  it('has a single checksum for a file without line ends', () => {
    const dir = folder({ '1.sql': 'SELECT 1;' });
    expect(readMigrationFolder(dir, 'plain').migrations[0]!.equivalentChecksums).toEqual([sha256('SELECT 1;')]);
  });

  it('hashes a CRLF drizzle file as drizzle-orm does: the text as it is', () => {
    const dir = folder({
      'meta/_journal.json': JSON.stringify({ entries: [{ idx: 0, when: 5, tag: '0000_a', breakpoints: true }] }),
      '0000_a.sql': 'SELECT 1;\r\n--> statement-breakpoint\r\nSELECT 2;',
    });
    const [migration] = readMigrationFolder(dir, 'auto').migrations;
    expect(migration!.drizzle!.hash).toBe(sha256('SELECT 1;\r\n--> statement-breakpoint\r\nSELECT 2;'));
    expect(migration!.statements).toEqual([
      { sql: 'SELECT 1;\r\n', line: 1 },
      { sql: '\r\nSELECT 2;', line: 3 },
    ]);
  });
});

describe('readMigrationFolder: size', () => {
  it('reads 10,000 small files', () => {
    const dir = folder();
    for (let i = 0; i < 10_000; i++) {
      const name = String(i).padStart(5, '0');
      writeFileSync(join(dir, `${name}_m.sql`), `-- migration ${i}\nCREATE TABLE t${i} (id int);\nSELECT 'a;b';\n`);
    }
    const read = readMigrationFolder(dir, 'auto');
    expect(read.migrations).toHaveLength(10_000);
    expect(read.migrations[9_999]!.statements).toHaveLength(2);
  });
});
