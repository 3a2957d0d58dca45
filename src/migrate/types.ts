/** What belay knows about one migration file, read from the folder without touching a database. */

export type MigrationFormat = 'drizzle' | 'plain' | 'flyway';

export interface Statement {
  /** The SQL text of the statement, as written (no trimming beyond the split points). */
  readonly sql: string;
  /** 1-based line in the file where the statement starts, for error messages and annotations. */
  readonly line: number;
}

export interface Migration {
  /** The name recorded in the ledger: drizzle tag (`0001_add_users`), plain file name, or flyway file name. */
  readonly name: string;
  /** Path of the file relative to the migrations folder, with `/` separators. */
  readonly file: string;
  /** Position in the folder's order (0-based), after sorting by the format's rule. */
  readonly index: number;
  /** Flyway version (`1.2.3`), for messages; undefined for other formats. */
  readonly version?: string;
  /** sha256 (hex) of the file's bytes exactly as they are. */
  readonly checksum: string;
  /**
   * Checksums that count as the same file: the bytes with every CRLF turned into LF, and with every lone LF
   * turned into CRLF. A checkout with `core.autocrlf` must not look like an edited migration.
   */
  readonly equivalentChecksums: readonly string[];
  readonly text: string;
  readonly statements: readonly Statement[];
  /** Set when the migration must run outside a transaction, with the reason (statement or directive). */
  readonly noTransaction?: { readonly reason: string; readonly line: number };
  /** For drizzle folders: what drizzle-orm's migrator records for this migration. */
  readonly drizzle?: { readonly when: number; readonly hash: string; readonly breakpoints: boolean };
}

export interface FolderWarning {
  readonly file: string;
  readonly message: string;
}

export interface MigrationFolder {
  readonly dir: string;
  readonly format: MigrationFormat;
  readonly migrations: readonly Migration[];
  /** e.g. `.sql` files that a drizzle journal does not list. */
  readonly warnings: readonly FolderWarning[];
}
