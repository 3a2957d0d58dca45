/**
 * Just enough of PostgreSQL's lexer to split a migration file into statements and to tell which statements
 * PostgreSQL refuses inside a transaction block. Pure: text in, data out.
 *
 * The lexer knows what can hide a `;` or a keyword: 'strings' (with ''), E'escape\'strings', "identifiers",
 * $tag$dollar bodies$tag$, -- line comments and nestable block comments. It assumes
 * standard_conforming_strings = on (PostgreSQL's default since 9.1), so a backslash only escapes inside E'…'.
 */
import type { Statement } from './types.js';

/** drizzle-kit's separator between statements; drizzle-orm splits on it as plain text. */
export const DRIZZLE_BREAKPOINT = '--> statement-breakpoint';

type TokenKind = 'word' | 'string' | 'quoted' | 'dollar' | 'comment' | 'semicolon' | 'open' | 'close' | 'other';

interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
}

/**
 * Split a plain or Flyway file on top-level `;`. Each statement keeps its text as written, from just after the
 * previous `;` through its own `;` (so a comment above a statement stays with it). Pieces with nothing but
 * whitespace and comments are dropped; the last statement needs no `;`.
 */
export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  const lines = new LineCounter(sql);
  const body = new RoutineBodyTracker();
  let pieceStart = 0;
  let first: Token | undefined;
  let parens = 0;
  for (const token of tokenize(sql)) {
    if (token.kind === 'comment') continue;
    first ??= token;
    if (token.kind === 'open') parens++;
    else if (token.kind === 'close') parens = Math.max(0, parens - 1);
    else if (token.kind === 'word') body.see(sql.slice(token.start, token.end), parens);
    // Like psql: a `;` inside parentheses or inside a BEGIN ATOMIC … END body does not end the statement.
    if (token.kind !== 'semicolon' || parens > 0 || body.depth > 0) continue;
    if (first !== token) statements.push({ sql: sql.slice(pieceStart, token.end), line: lines.lineAt(first.start) });
    pieceStart = token.end;
    first = undefined;
    body.reset();
  }
  if (first) statements.push({ sql: sql.slice(pieceStart), line: lines.lineAt(first.start) });
  return statements;
}

/**
 * Split a drizzle migration exactly as drizzle-orm's migrator does: on the text `--> statement-breakpoint`,
 * wherever it appears, keeping every piece (even a blank one) so belay runs what drizzle would run. The line of a
 * piece is that of its first character that is neither whitespace nor comment.
 */
export function splitOnBreakpoints(sql: string): Statement[] {
  const statements: Statement[] = [];
  const lines = new LineCounter(sql);
  let offset = 0;
  for (const piece of sql.split(DRIZZLE_BREAKPOINT)) {
    const first = tokenize(piece).find((token) => token.kind !== 'comment');
    statements.push({ sql: piece, line: lines.lineAt(offset + (first?.start ?? 0)) });
    offset += piece.length + DRIZZLE_BREAKPOINT.length;
  }
  return statements;
}

export interface NoTransactionReason {
  readonly reason: string;
  readonly line: number;
}

/**
 * Whether a migration must run outside a transaction: the file says so with a line `-- belay:no-transaction`, or
 * one of its statements is one PostgreSQL refuses inside a transaction block (see `refusedInTransaction`). The
 * directive wins, as the author's explicit word; otherwise the first such statement is named.
 */
export function needsNoTransaction(statements: readonly Statement[], text: string): NoTransactionReason | undefined {
  const directive = findDirective(text);
  if (directive !== undefined) {
    return { reason: 'the file has the directive "-- belay:no-transaction"', line: directive };
  }
  for (const statement of statements) {
    // A drizzle piece can hold several statements when its author left out the breakpoints: look at each.
    const inner = splitStatements(statement.sql);
    for (const part of inner) {
      const refused = refusedInTransaction(part.sql);
      if (refused === undefined) continue;
      // `part.line` counts from the start of `statement.sql`, whose first statement is on `statement.line`.
      const line = statement.line + part.line - inner[0]!.line;
      return { reason: `${refused} cannot run inside a transaction block`, line };
    }
  }
  return undefined;
}

/** 1-based line of the first `-- belay:no-transaction` comment that stands on its own line. */
function findDirective(text: string): number | undefined {
  // Cheap test first: nearly every file has no directive, and this runs once per migration.
  if (!/belay:no-transaction/i.test(text)) return undefined;
  const lines = new LineCounter(text);
  for (const token of tokenize(text)) {
    if (token.kind !== 'comment' || !/^--\s*belay:no-transaction\s*$/i.test(text.slice(token.start, token.end))) {
      continue;
    }
    const lineStart = text.lastIndexOf('\n', token.start - 1) + 1;
    if (text.slice(lineStart, token.start).trim() === '') return lines.lineAt(token.start);
  }
  return undefined;
}

/**
 * The statements PostgreSQL 15 refuses inside a transaction block ("… cannot run inside a transaction block"),
 * each checked with BEGIN; <statement>; ROLLBACK; against a real server. Returns the name of the command, or
 * undefined when the statement may run in a transaction.
 *
 * Deliberately not here, because PostgreSQL accepts them in a transaction:
 * - `ALTER TYPE … ADD VALUE`: refused only before PostgreSQL 12; since then allowed, though the new value cannot
 *   be used until the transaction commits (so use it in the next migration).
 * - `REFRESH MATERIALIZED VIEW CONCURRENTLY`, `ANALYZE`, `CLUSTER <table>`, `REINDEX TABLE|INDEX` without
 *   CONCURRENTLY, and `ALTER TABLE … DETACH PARTITION … FINALIZE`.
 * - `CREATE/ALTER/DROP SUBSCRIPTION`: refused or not depending on their options and on the server's replication
 *   slots, which a file cannot tell; PostgreSQL's own error names the problem and the migration rolls back whole.
 */
export function refusedInTransaction(statement: string): string | undefined {
  const words = significantWords(statement);
  const [first, second] = words;
  switch (first) {
    case 'VACUUM':
      return 'VACUUM';
    case 'CLUSTER':
      return clusterWithoutTable(words) ? 'CLUSTER without a table' : undefined;
    case 'DISCARD':
      return second === 'ALL' ? 'DISCARD ALL' : undefined;
    case 'REINDEX':
      return reindexRefused(words);
    case 'CREATE': {
      if (second === 'DATABASE' || second === 'TABLESPACE') return `CREATE ${second}`;
      const index = second === 'UNIQUE' ? 2 : 1;
      return words[index] === 'INDEX' && words[index + 1] === 'CONCURRENTLY' ? 'CREATE INDEX CONCURRENTLY' : undefined;
    }
    case 'DROP':
      if (second === 'DATABASE' || second === 'TABLESPACE') return `DROP ${second}`;
      return second === 'INDEX' && words[2] === 'CONCURRENTLY' ? 'DROP INDEX CONCURRENTLY' : undefined;
    case 'ALTER':
      if (second === 'SYSTEM') return 'ALTER SYSTEM';
      if (second === 'DATABASE' && words[3] === 'SET' && words[4] === 'TABLESPACE') {
        return 'ALTER DATABASE … SET TABLESPACE';
      }
      return second === 'TABLE' && detachesConcurrently(words)
        ? 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY'
        : undefined;
    default:
      return undefined;
  }
}

/**
 * The statement's tokens outside comments, as the classifier needs them: keywords upper-cased, every other token
 * (a string, a quoted identifier, punctuation) as written, so that nothing inside a string reads as a keyword.
 */
function significantWords(statement: string): string[] {
  const words: string[] = [];
  for (const token of tokenize(statement)) {
    if (token.kind === 'comment' || token.kind === 'semicolon') continue;
    const text = statement.slice(token.start, token.end);
    words.push(token.kind === 'word' ? text.toUpperCase() : text);
  }
  return words;
}

/** `CLUSTER` and `CLUSTER VERBOSE` re-cluster every table and are refused; `CLUSTER <table>` is not. */
function clusterWithoutTable(words: readonly string[]): boolean {
  return words.slice(1).every((word) => word === 'VERBOSE');
}

/**
 * `REINDEX [(options)] {INDEX|TABLE|SCHEMA|DATABASE|SYSTEM} [CONCURRENTLY] name`: refused when concurrent (the
 * keyword, or the option `CONCURRENTLY` not set to false), and for SCHEMA, DATABASE and SYSTEM in any case.
 */
function reindexRefused(words: readonly string[]): string | undefined {
  let i = 1;
  let concurrentOption = false;
  if (words[i] === '(') {
    const close = words.indexOf(')', i);
    const options = words.slice(i + 1, close === -1 ? words.length : close);
    concurrentOption = options.some((word, at) => word === 'CONCURRENTLY' && !isFalse(options[at + 1]));
    i = close === -1 ? words.length : close + 1;
  }
  const kind = words[i];
  if (concurrentOption || words[i + 1] === 'CONCURRENTLY') return 'REINDEX CONCURRENTLY';
  if (kind === 'SCHEMA' || kind === 'DATABASE' || kind === 'SYSTEM') return `REINDEX ${kind}`;
  return undefined;
}

function isFalse(value: string | undefined): boolean {
  const bare = value?.replace(/^'|'$/g, '').toUpperCase();
  return bare === 'FALSE' || bare === 'OFF' || bare === '0';
}

/** `ALTER TABLE … DETACH PARTITION <name> CONCURRENTLY` (FINALIZE, which completes one, is allowed). */
function detachesConcurrently(words: readonly string[]): boolean {
  for (let i = 2; i < words.length - 1; i++) {
    if (words[i] !== 'DETACH' || words[i + 1] !== 'PARTITION') continue;
    return words[skipQualifiedName(words, i + 2)] === 'CONCURRENTLY';
  }
  return false;
}

/** Index just past `name` or `schema.name` (each part a word or a "quoted" identifier). */
function skipQualifiedName(words: readonly string[], at: number): number {
  let i = at + 1;
  while (words[i] === '.' && i + 1 < words.length) i += 2;
  return i;
}

/**
 * psql's rule for SQL-standard routine bodies (`CREATE FUNCTION … BEGIN ATOMIC …; …; END`): in a statement that
 * starts with CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN opens a block, CASE inside a block opens one too (it
 * also closes with END), and END closes one. Semicolons inside a block belong to the body.
 */
class RoutineBodyTracker {
  depth = 0;
  private head: string[] = [];

  see(word: string, parens: number): void {
    const upper = word.toUpperCase();
    if (this.head.length < 4) this.head.push(upper);
    if (parens > 0 || !this.isRoutine()) return;
    if (upper === 'BEGIN' || (upper === 'CASE' && this.depth > 0)) this.depth++;
    else if (upper === 'END' && this.depth > 0) this.depth--;
  }

  reset(): void {
    this.depth = 0;
    this.head = [];
  }

  private isRoutine(): boolean {
    const [create, kind, replace, orKind] = this.head;
    const routine = (word: string | undefined) => word === 'FUNCTION' || word === 'PROCEDURE';
    return create === 'CREATE' && (routine(kind) || (kind === 'OR' && replace === 'REPLACE' && routine(orKind)));
  }
}

/** Turns offsets into 1-based line numbers; offsets must be asked in increasing order, which keeps it linear. */
class LineCounter {
  private offset = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  lineAt(offset: number): number {
    for (let i = this.text.indexOf('\n', this.offset); i !== -1 && i < offset; i = this.text.indexOf('\n', i + 1)) {
      this.line++;
    }
    this.offset = Math.max(this.offset, offset);
    return this.line;
  }
}

const enum Char {
  Tab = 9,
  LineFeed = 10,
  VerticalTab = 11,
  FormFeed = 12,
  CarriageReturn = 13,
  Space = 32,
  DoubleQuote = 34,
  Dollar = 36,
  Quote = 39,
  OpenParen = 40,
  CloseParen = 41,
  Star = 42,
  Minus = 45,
  Slash = 47,
  Digit0 = 48,
  Digit9 = 57,
  Semicolon = 59,
  UpperA = 65,
  UpperE = 69,
  UpperZ = 90,
  Backslash = 92,
  Underscore = 95,
  LowerA = 97,
  LowerE = 101,
  LowerZ = 122,
  ByteOrderMark = 0xfeff,
}

function isSpace(c: number): boolean {
  return (
    c === Char.Space || (c >= Char.Tab && c <= Char.CarriageReturn) || c === Char.ByteOrderMark // an editor's BOM is not SQL
  );
}

/** PostgreSQL identifiers start with a letter, `_` or any non-ASCII character. */
function isIdentStart(c: number): boolean {
  return (
    (c >= Char.LowerA && c <= Char.LowerZ) ||
    (c >= Char.UpperA && c <= Char.UpperZ) ||
    c === Char.Underscore ||
    c >= 0x80
  );
}

/** …and go on with those, digits and `$` (so `a$b$` is one identifier, not a dollar quote). */
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= Char.Digit0 && c <= Char.Digit9) || c === Char.Dollar;
}

/** Dollar-quote tags are identifiers without `$`. */
function isTagPart(c: number): boolean {
  return isIdentStart(c) || (c >= Char.Digit0 && c <= Char.Digit9);
}

/** Tokens of `sql`, whitespace left out. An unterminated string, identifier or comment runs to the end. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    let kind: TokenKind;
    if (c === Char.Minus && sql.charCodeAt(i + 1) === Char.Minus) {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol;
      kind = 'comment';
    } else if (c === Char.Slash && sql.charCodeAt(i + 1) === Char.Star) {
      i = endOfBlockComment(sql, i);
      kind = 'comment';
    } else if (c === Char.Quote) {
      i = endOfQuoted(sql, i + 1, Char.Quote, false);
      kind = 'string';
    } else if (c === Char.DoubleQuote) {
      i = endOfQuoted(sql, i + 1, Char.DoubleQuote, false);
      kind = 'quoted';
    } else if (isIdentStart(c)) {
      do i++;
      while (i < n && isIdentPart(sql.charCodeAt(i)));
      // E'…' is a string with backslash escapes; the E must be a word of its own (`name'x'` is no such thing).
      if (i === start + 1 && (c === Char.UpperE || c === Char.LowerE) && sql.charCodeAt(i) === Char.Quote) {
        i = endOfQuoted(sql, i + 1, Char.Quote, true);
        kind = 'string';
      } else {
        kind = 'word';
      }
    } else if (c === Char.Dollar && dollarTagEnd(sql, i) !== -1) {
      // The body runs to the same tag: `$fn$ … $$ … $fn$` is one token.
      const tag = sql.slice(i, dollarTagEnd(sql, i));
      const close = sql.indexOf(tag, i + tag.length);
      i = close === -1 ? n : close + tag.length;
      kind = 'dollar';
    } else {
      i++;
      kind =
        c === Char.Semicolon ? 'semicolon' : c === Char.OpenParen ? 'open' : c === Char.CloseParen ? 'close' : 'other';
    }
    tokens.push({ kind, start, end: i });
  }
  return tokens;
}

/** `/* … *\/` with PostgreSQL's nesting; returns the index just past the closing `*\/`. */
function endOfBlockComment(sql: string, at: number): number {
  let depth = 0;
  let i = at;
  while (i < sql.length) {
    if (sql.charCodeAt(i) === Char.Slash && sql.charCodeAt(i + 1) === Char.Star) {
      depth++;
      i += 2;
    } else if (sql.charCodeAt(i) === Char.Star && sql.charCodeAt(i + 1) === Char.Slash) {
      i += 2;
      if (--depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** From just after an opening quote to just past the closing one; a doubled quote stands for itself. */
function endOfQuoted(sql: string, at: number, quote: number, backslashEscapes: boolean): number {
  let i = at;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (backslashEscapes && c === Char.Backslash) {
      i += 2;
    } else if (c === quote) {
      if (sql.charCodeAt(i + 1) !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** If a dollar-quote opener (`$$` or `$tag$`) starts at `at`, the index just past it; otherwise -1 (`$1`). */
function dollarTagEnd(sql: string, at: number): number {
  let i = at + 1;
  if (isIdentStart(sql.charCodeAt(i))) {
    while (i < sql.length && isTagPart(sql.charCodeAt(i))) i++;
  }
  return sql.charCodeAt(i) === Char.Dollar ? i + 1 : -1;
}
