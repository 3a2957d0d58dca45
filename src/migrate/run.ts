/** `belay migrate` / the migrate action: read the folder, verify against the ledger, apply, report. */
import { join, relative, resolve } from 'node:path';
import { formatDuration } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import type { RunContext } from '../engine.js';
import { markdownTable } from '../report/reporter.js';
import { checkDatabaseInputs, reachDatabase } from '../database/reach.js';
import { acceptMigration, migrateDatabase, type MigrateResult } from './engine.js';
import { compareWithBase, readFolderAtRef } from './against-ref.js';
import { readMigrationFolder } from './folder.js';
import { MigrationFailed } from './postgres.js';

export async function runMigrate({ reporter, face, loaded, cwd }: RunContext): Promise<boolean> {
  const v = loaded.values;
  if (v.againstRef) return reviewAgainstRef({ reporter, face, loaded, cwd });
  checkDatabaseInputs(v, face);
  const dir = resolve(cwd, v.dir ?? 'migrations');
  const folder = readMigrationFolder(dir, v.format ?? 'auto');
  // Annotations point at files relative to the workspace, as the pull request shows them.
  const fileOf = (file: string) => relative(cwd, join(dir, file));
  for (const w of folder.warnings) reporter.warn(w.message, { file: fileOf(w.file), title: 'Migration folder' });
  reporter.info(`${folder.migrations.length} migration(s) in ${relative(cwd, dir) || '.'} (${folder.format})`);

  const mode = v.mode ?? 'apply';
  if (v.accept && !v.reason?.trim()) {
    throw new InputError(
      'reason',
      'accepting a changed migration needs a reason',
      'Add --reason "why it was changed" (it is kept in the ledger).',
    );
  }
  const database = await reachDatabase(v, face, reporter);
  // What every database run shares: where the ledger is, how long to wait for the lock, who is applying.
  const shared = {
    url: database.url,
    migrations: folder.migrations,
    ledger: { schema: v.ledgerSchema ?? 'belay', table: v.ledgerTable ?? 'schema_migrations' },
    lockTimeoutMs: v.lockTimeout ?? 5 * 60_000,
    session: {
      statementTimeoutMs: v.statementTimeout ?? 0,
      lockTimeoutMs: v.dbLockTimeout ?? 0,
      hint: database.inputs,
    },
    appliedBy: actor(),
    reporter,
  };
  if (v.accept) {
    try {
      const outcome = await acceptMigration({ ...shared, name: v.accept, reason: v.reason!.trim() });
      reporter.setOutput('status', outcome === 'accepted' ? 'accepted' : 'up-to-date');
      if (outcome === 'unchanged') reporter.info(`${v.accept} matches the ledger already: nothing to accept`);
      return true;
    } finally {
      await database.close();
    }
  }
  let result: MigrateResult;
  try {
    result = await reporter.group(`migrate (${mode})`, () =>
      migrateDatabase({
        ...shared,
        mode,
        allowOutOfOrder: v.allowOutOfOrder ?? false,
        ...(folder.format === 'drizzle'
          ? { drizzle: { schema: v.drizzleSchema ?? 'drizzle', table: v.drizzleTable ?? '__drizzle_migrations' } }
          : {}),
      }),
    );
  } catch (err) {
    if (!(err instanceof MigrationFailed)) throw err;
    reporter.error(err.message, { file: fileOf(err.migration.file), line: err.line, title: 'Migration failed' });
    reporter.setOutput('status', 'failed');
    return false;
  } finally {
    await database.close();
  }

  const { plan, applied } = result;
  const appliedNames = new Set(applied.map((a) => a.name));
  const ms = new Map(applied.map((a) => [a.name, a.ms]));
  const stillPending = plan.pending.filter((m) => !appliedNames.has(m.name)).map((m) => m.name);
  reporter.summary(
    `### belay migrate (${mode})\n\n` +
      markdownTable(
        ['Migration', 'Checksum', 'Status', 'Duration'],
        plan.entries.map((e) => [
          e.name,
          (e.migration?.checksum ?? e.row?.checksum ?? '').slice(0, 12),
          appliedNames.has(e.name) ? 'applied now' : e.status,
          ms.has(e.name) ? formatDuration(ms.get(e.name)!) : '',
        ]),
      ),
  );
  reporter.setOutput('applied', JSON.stringify([...appliedNames]));
  reporter.setOutput('pending', JSON.stringify(stillPending));

  if (plan.problems.length > 0) {
    for (const p of plan.problems) {
      reporter.error(p.message, { ...(p.file ? { file: fileOf(p.file) } : {}), title: `Migration ${p.status}` });
    }
    reporter.setOutput('status', 'drift');
    return false;
  }
  const status =
    applied.length > 0 ? 'applied' : stillPending.length > 0 && mode !== 'apply' ? 'pending' : 'up-to-date';
  reporter.setOutput('status', status);
  reporter.info(
    applied.length > 0
      ? `✓ applied ${applied.length} migration(s)`
      : stillPending.length > 0
        ? `${stillPending.length} migration(s) pending: ${stillPending.join(', ')}`
        : '✓ up to date: every applied migration verified',
  );
  return true;
}

/**
 * Review time, no database: the folder against the base branch. What a pull request changes in migrations that
 * are already on the base is exactly what the database check would refuse at deploy, only later.
 */
async function reviewAgainstRef({ reporter, loaded, cwd }: RunContext): Promise<boolean> {
  const v = loaded.values;
  if ((v.mode ?? 'apply') !== 'verify') {
    throw new InputError('against-ref', 'it only works with mode: verify', 'Set mode: verify, or drop against-ref.');
  }
  const dir = resolve(cwd, v.dir ?? 'migrations');
  const head = readMigrationFolder(dir, v.format ?? 'auto');
  const base = await readFolderAtRef(cwd, v.againstRef!, dir, head.format);
  const problems = compareWithBase(base, head);
  const fileOf = (file: string) => relative(cwd, join(dir, file));
  const known = new Set(base?.migrations.map((m) => m.name) ?? []);
  const added = head.migrations.filter((m) => !known.has(m.name)).map((m) => m.name);
  reporter.summary(
    `### belay migrate: ${v.againstRef} → this branch\n\n` +
      markdownTable(
        ['Migration', 'Problem'],
        problems.length ? problems.map((p) => [p.file, `${p.kind}: ${p.message}`]) : [['(all)', 'none']],
      ),
  );
  reporter.setOutput('applied', '[]');
  reporter.setOutput('pending', JSON.stringify(added));
  for (const p of problems) reporter.error(p.message, { file: fileOf(p.file), title: `Migration ${p.kind}` });
  reporter.setOutput('status', problems.length ? 'drift' : 'up-to-date');
  if (problems.length) return false;
  reporter.info(
    `✓ ${known.size} migration(s) of ${v.againstRef} unchanged; ${added.length} new: ${added.join(', ') || 'none'}`,
  );
  return true;
}

/** Who applied it, for the ledger: the workflow run on GitHub, the local user in a terminal. */
function actor(): string {
  const e = process.env;
  if (e.GITHUB_ACTIONS === 'true') {
    return `${e.GITHUB_ACTOR ?? 'github'} (${e.GITHUB_REPOSITORY ?? ''} run ${e.GITHUB_RUN_ID ?? '?'})`;
  }
  return `${e.USER ?? 'unknown'} (belay cli)`;
}
