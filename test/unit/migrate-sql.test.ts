import {
  needsNoTransaction,
  refusedInTransaction,
  splitOnBreakpoints,
  splitStatements,
} from '../../src/migrate/sql.js';

/** The statements' text, trimmed, for compact expectations. */
const texts = (sql: string) => splitStatements(sql).map((s) => s.sql.trim());

describe('splitStatements', () => {
  it('splits on top-level semicolons and keeps each statement as written, with its semicolon', () => {
    const sql = 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n';
    expect(splitStatements(sql)).toEqual([
      { sql: 'CREATE TABLE a (id int);', line: 1 },
      { sql: '\nCREATE TABLE b (id int);', line: 2 },
    ]);
  });

  it('keeps a final statement that has no semicolon', () => {
    expect(texts('SELECT 1;\nSELECT 2')).toEqual(['SELECT 1;', 'SELECT 2']);
  });

  it('does not split inside single-quoted strings, with doubled quotes', () => {
    expect(texts(`INSERT INTO t VALUES ('a;b', 'it''s; fine');SELECT 2;`)).toEqual([
      `INSERT INTO t VALUES ('a;b', 'it''s; fine');`,
      'SELECT 2;',
    ]);
  });

  it("reads a backslash as an escape only in E'…' strings", () => {
    expect(texts(`SELECT E'it\\'s; still the string';SELECT 2;`)).toEqual([
      `SELECT E'it\\'s; still the string';`,
      'SELECT 2;',
    ]);
    // With standard_conforming_strings a backslash is a plain character: 'a\' is a complete string.
    expect(texts(`SELECT 'a\\';SELECT 2;`)).toEqual([`SELECT 'a\\';`, 'SELECT 2;']);
    // An identifier ending in e is not an E prefix.
    expect(texts(`SELECT some'x\\';SELECT 2;`)).toEqual([`SELECT some'x\\';`, 'SELECT 2;']);
  });

  it('does not split inside double-quoted identifiers', () => {
    expect(texts('CREATE TABLE "odd;name"" table" (id int);SELECT 2;')).toEqual([
      'CREATE TABLE "odd;name"" table" (id int);',
      'SELECT 2;',
    ]);
  });

  it('does not split inside dollar-quoted bodies, with or without tags', () => {
    const fn = `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM 1; -- $$ inside a tagged body is text
  RETURN NEW;
END;
$fn$;`;
    const block = `DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0);
EXCEPTION WHEN duplicate_object THEN null;
END $$;`;
    expect(texts(`${fn}\n${block}\nSELECT $1;`)).toEqual([fn, block, 'SELECT $1;']);
  });

  it('reads $ inside an identifier as part of it, not as a dollar quote', () => {
    expect(texts('SELECT a$b$ FROM t;SELECT 2;')).toEqual(['SELECT a$b$ FROM t;', 'SELECT 2;']);
  });

  it('ignores semicolons in line comments and nested block comments', () => {
    const sql = `-- first; not a statement
SELECT 1; /* outer; /* inner; */ still comment; */ SELECT 2;
-- trailing; comment`;
    expect(splitStatements(sql)).toEqual([
      { sql: '-- first; not a statement\nSELECT 1;', line: 2 },
      { sql: ' /* outer; /* inner; */ still comment; */ SELECT 2;', line: 2 },
    ]);
  });

  it('drops pieces that are only whitespace, comments or empty statements', () => {
    expect(texts(';;\n  ;-- nothing\n/* nothing */;SELECT 1;\n\n-- end\n')).toEqual(['SELECT 1;']);
    expect(splitStatements('-- only a comment\n')).toEqual([]);
    expect(splitStatements('')).toEqual([]);
  });

  it('records the line of the first character that is not whitespace or comment', () => {
    const sql =
      '\n\n-- comment\n\n  CREATE TABLE a (\n  id int\n);\n/* c\n */\nCREATE TABLE b (id int);\r\n\r\nSELECT 3';
    expect(splitStatements(sql).map((s) => s.line)).toEqual([5, 10, 12]);
  });

  it('keeps the semicolons of a BEGIN ATOMIC routine body inside the statement, as psql does', () => {
    const fn = `CREATE OR REPLACE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;
  SELECT a + b;
END;`;
    expect(texts(`${fn}\nSELECT 2;`)).toEqual([fn, 'SELECT 2;']);
    // Outside CREATE FUNCTION/PROCEDURE, BEGIN is a statement of its own.
    expect(texts('BEGIN; SELECT 1; END;')).toEqual(['BEGIN;', 'SELECT 1;', 'END;']);
  });

  it('does not split inside parentheses', () => {
    const rule = 'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));';
    expect(texts(`${rule}SELECT 2;`)).toEqual([rule, 'SELECT 2;']);
  });

  it('runs an unterminated string or comment to the end instead of inventing statements', () => {
    expect(texts(`SELECT 'open; SELECT 2;`)).toEqual([`SELECT 'open; SELECT 2;`]);
    expect(texts('SELECT 1; /* open; SELECT 2;')).toEqual(['SELECT 1;']);
  });
});

describe('splitOnBreakpoints', () => {
  it("splits exactly like drizzle-orm's migrator, blank pieces included", () => {
    const sql =
      'CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);--> statement-breakpoint\n';
    const pieces = splitOnBreakpoints(sql);
    expect(pieces.map((p) => p.sql)).toEqual(sql.split('--> statement-breakpoint'));
    expect(pieces.map((p) => p.line)).toEqual([1, 3, 3]);
  });

  it('finds the line of the first real character of each piece', () => {
    const sql = '-- header\nSELECT 1;\n--> statement-breakpoint\n\n/* why */\nSELECT 2;';
    expect(splitOnBreakpoints(sql).map((p) => p.line)).toEqual([2, 6]);
  });
});

describe('refusedInTransaction', () => {
  // Each of these was run as BEGIN; <statement>; ROLLBACK; on PostgreSQL 15: all are refused.
  const refused: [string, string][] = [
    ['CREATE INDEX CONCURRENTLY i ON t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['create unique index concurrently if not exists i on t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['CREATE\n  INDEX\tCONCURRENTLY ON t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY IF EXISTS i', 'DROP INDEX CONCURRENTLY'],
    ['REINDEX INDEX CONCURRENTLY i', 'REINDEX CONCURRENTLY'],
    ['REINDEX (VERBOSE) TABLE CONCURRENTLY t', 'REINDEX CONCURRENTLY'],
    ['REINDEX (CONCURRENTLY) TABLE t', 'REINDEX CONCURRENTLY'],
    ['REINDEX SCHEMA public', 'REINDEX SCHEMA'],
    ['REINDEX DATABASE app', 'REINDEX DATABASE'],
    ['REINDEX SYSTEM app', 'REINDEX SYSTEM'],
    ['VACUUM', 'VACUUM'],
    ['vacuum (analyze) t', 'VACUUM'],
    ['VACUUM FULL', 'VACUUM'],
    ["ALTER SYSTEM SET work_mem = '8MB'", 'ALTER SYSTEM'],
    ['ALTER SYSTEM RESET ALL', 'ALTER SYSTEM'],
    ['CREATE DATABASE other', 'CREATE DATABASE'],
    ['DROP DATABASE IF EXISTS other', 'DROP DATABASE'],
    ["CREATE TABLESPACE fast LOCATION '/ssd'", 'CREATE TABLESPACE'],
    ['DROP TABLESPACE fast', 'DROP TABLESPACE'],
    ['ALTER DATABASE app SET TABLESPACE fast', 'ALTER DATABASE … SET TABLESPACE'],
    ['ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY', 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY'],
    [
      'ALTER TABLE IF EXISTS ONLY "s"."p" DETACH PARTITION "s".p1 CONCURRENTLY',
      'ALTER TABLE … DETACH PARTITION … CONCURRENTLY',
    ],
    ['CLUSTER', 'CLUSTER without a table'],
    ['CLUSTER VERBOSE', 'CLUSTER without a table'],
    ['DISCARD ALL', 'DISCARD ALL'],
  ];
  it.each(refused)('%j → %s', (statement, command) => {
    expect(refusedInTransaction(statement)).toBe(command);
    expect(refusedInTransaction(`/* lead */ -- comment\n${statement};`)).toBe(command);
  });

  // Each of these runs inside a transaction on PostgreSQL 15.
  const allowed = [
    'CREATE INDEX i ON t (a)',
    'CREATE UNIQUE INDEX i ON t (a)',
    'DROP INDEX i',
    'REINDEX TABLE t',
    'REINDEX (CONCURRENTLY false) TABLE t',
    'REINDEX (VERBOSE) INDEX i',
    'ANALYZE t',
    "ALTER TYPE mood ADD VALUE 'happy'", // refused only before PostgreSQL 12
    'REFRESH MATERIALIZED VIEW CONCURRENTLY mv',
    'ALTER TABLE p DETACH PARTITION p1',
    'ALTER TABLE p DETACH PARTITION p1 FINALIZE',
    "ALTER DATABASE app SET work_mem = '8MB'",
    'CLUSTER t USING t_pkey',
    'DISCARD PLANS',
    'CREATE TABLE "vacuum" (id int)',
    "COMMENT ON TABLE t IS 'run VACUUM later'",
    "SELECT 'CREATE INDEX CONCURRENTLY i ON t (a)'",
    '-- VACUUM\nSELECT 1',
    '/* DROP DATABASE x */ SELECT 1',
    'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ VACUUM $$',
    'SELECT "CONCURRENTLY" FROM t',
  ];
  it.each(allowed)('%j → allowed', (statement) => {
    expect(refusedInTransaction(statement)).toBeUndefined();
  });
});

describe('needsNoTransaction', () => {
  const check = (text: string) => needsNoTransaction(splitStatements(text), text);

  it('names the first refused statement and its line', () => {
    const text = 'CREATE TABLE t (a int);\n\n-- speed up lookups\nCREATE INDEX CONCURRENTLY i ON t (a);\nVACUUM t;\n';
    expect(check(text)).toEqual({ reason: 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block', line: 4 });
  });

  it('honours the directive on its own line, anywhere in the file, before any statement', () => {
    const text = 'CREATE TABLE t (a int);\n  -- belay:no-transaction  \nVACUUM t;\n';
    expect(check(text)).toEqual({ reason: 'the file has the directive "-- belay:no-transaction"', line: 2 });
    expect(check('SELECT 1;\r\n-- BELAY:no-transaction\r\nSELECT 2;\r\n')?.line).toBe(2);
    expect(check('--belay:no-transaction\nSELECT 1;')).toEqual({
      reason: 'the file has the directive "-- belay:no-transaction"',
      line: 1,
    });
  });

  it('ignores the directive when it is not alone on its line or sits in a string', () => {
    expect(check('SELECT 1; -- belay:no-transaction\n')).toBeUndefined();
    expect(check("SELECT '\n-- belay:no-transaction\n';")).toBeUndefined();
    expect(check('-- belay:no-transaction please\nSELECT 1;')).toBeUndefined();
  });

  it('is not fooled by keywords in strings, identifiers or comments', () => {
    const text = `COMMENT ON TABLE t IS 'run VACUUM later';
-- VACUUM t;
/* CREATE INDEX CONCURRENTLY i ON t (a); */
SELECT E'\\'; VACUUM';
CREATE TABLE "DROP DATABASE x" (id int);
`;
    expect(check(text)).toBeUndefined();
  });

  it('looks at every statement of a drizzle piece, with the line in the whole file', () => {
    const text =
      'CREATE TABLE t (a int);\n--> statement-breakpoint\nSELECT 1;\n\nCREATE INDEX CONCURRENTLY i ON t (a);';
    expect(needsNoTransaction(splitOnBreakpoints(text), text)).toEqual({
      reason: 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block',
      line: 5,
    });
  });
});
