/**
 * The real drizzle tools, for compatibility tests: drizzle-kit generates a migrations folder from a schema file, and
 * drizzle-orm's own migrator applies it. Nothing here imitates drizzle; it runs the installed devDependencies.
 *
 * Projects live under node_modules/.cache/belay-tests/: inside the repository, so the schema file resolves
 * `drizzle-orm/pg-core` from the repository's node_modules, and ignored by git with the rest of node_modules.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type pg from 'pg';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const DRIZZLE_KIT = join(ROOT, 'node_modules/.bin/drizzle-kit');
const run = promisify(execFile);

export interface DrizzleProject {
  /** The project's directory, holding `schema.ts`. */
  readonly dir: string;
  /** drizzle-kit's `out` folder: the migrations folder (`meta/_journal.json` + `<tag>.sql`). */
  readonly out: string;
  /** The PostgreSQL schema the project's tables live in (`app` in the schema source). */
  readonly appSchema: string;
  /** Delete the project's directory. */
  remove(): void;
}

/** A new empty project whose tables go in `appSchema`, so that tests never share tables. */
export function drizzleProject(appSchema: string): DrizzleProject {
  const dir = join(ROOT, 'node_modules/.cache/belay-tests', `drizzle-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  return { dir, out: join(dir, 'drizzle'), appSchema, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Write the schema file and run `drizzle-kit generate`, which diffs it against the previous snapshot and writes
 * the next migration. `tables` is TypeScript that declares tables with `app.table(…)`; `app`
 * (`pgSchema(appSchema)`) and the column builders serial, integer, text and timestamp are in scope.
 * Returns the journal entry drizzle-kit added.
 */
export async function generateMigration(
  project: DrizzleProject,
  tables: string,
  name: string,
): Promise<{ tag: string; when: number }> {
  const before = journal(project).length;
  writeFileSync(
    join(project.dir, 'schema.ts'),
    "import { integer, pgSchema, serial, text, timestamp } from 'drizzle-orm/pg-core';\n" +
      `export const app = pgSchema(${JSON.stringify(project.appSchema)});\n${tables}\n`,
  );
  // cwd is the project, so no drizzle.config.* of the repository is picked up; flags say everything.
  const args = ['generate', '--dialect', 'postgresql', '--schema', 'schema.ts', '--out', 'drizzle', '--name', name];
  const { stdout, stderr } = await run(DRIZZLE_KIT, args, { cwd: project.dir, env: { ...process.env, NO_COLOR: '1' } });
  const entries = journal(project);
  const added = entries[entries.length - 1];
  if (entries.length !== before + 1 || !added) {
    throw new Error(`drizzle-kit generate wrote no new migration:\n${stdout}\n${stderr}`);
  }
  return { tag: added.tag, when: added.when };
}

function journal(project: DrizzleProject): { tag: string; when: number }[] {
  const path = join(project.out, 'meta/_journal.json');
  if (!existsSync(path)) return [];
  return (JSON.parse(readFileSync(path, 'utf8')) as { entries: { tag: string; when: number }[] }).entries;
}

export interface DrizzleMigratorConfig {
  readonly migrationsFolder: string;
  readonly migrationsSchema: string;
  readonly migrationsTable: string;
}

/**
 * Run drizzle-orm's own migrator (`migrate` from drizzle-orm/node-postgres/migrator), as an app does on start.
 * Returns how many rows drizzle's table held before and after.
 */
export async function runDrizzleMigrator(
  client: pg.Client,
  config: DrizzleMigratorConfig,
): Promise<{ before: number; after: number }> {
  const before = await countRows(client, config);
  await migrate(drizzle({ client }), config);
  return { before, after: await countRows(client, config) };
}

async function countRows(client: pg.Client, config: DrizzleMigratorConfig): Promise<number> {
  const table = `"${config.migrationsSchema}"."${config.migrationsTable}"`;
  const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [table]);
  if (rows[0]?.found == null) return 0;
  return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
}
