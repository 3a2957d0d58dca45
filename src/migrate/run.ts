/** `belay migrate` / the migrate action: read the folder, verify against the ledger, apply, report. */
import { join, relative, resolve } from 'node:path';
import { missing } from '../config/load.js';
import { formatDuration } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import type { RunContext } from '../engine.js';
import { markdownTable } from '../report/reporter.js';
import { migrateDatabase, type MigrateResult } from './engine.js';
import { readMigrationFolder } from './folder.js';
import { MigrationFailed } from './postgres.js';

export async function runMigrate({ reporter, face, loaded, cwd }: RunContext): Promise<boolean> {
  const v = loaded.values;
  if (!v.databaseUrl) throw missing('databaseUrl', face);
  if (!/^postgres(ql)?:\/\//.test(v.databaseUrl)) {
    throw new InputError('database-url', 'migrate supports PostgreSQL only', 'Give a postgres:// URL.');
  }
  const dir = resolve(cwd, v.dir ?? 'migrations');
  const folder = readMigrationFolder(dir, v.format ?? 'auto');
  // Annotations point at files relative to the workspace, as the pull request shows them.
  const fileOf = (file: string) => relative(cwd, join(dir, file));
  for (const w of folder.warnings) reporter.warn(w.message, { file: fileOf(w.file), title: 'Migration folder' });
  reporter.info(`${folder.migrations.length} migration(s) in ${relative(cwd, dir) || '.'} (${folder.format})`);

  const mode = v.mode ?? 'apply';
  let result: MigrateResult;
  try {
    result = await reporter.group(`migrate (${mode})`, () =>
      migrateDatabase({
        url: v.databaseUrl!,
        migrations: folder.migrations,
        mode,
        ledger: { schema: v.ledgerSchema ?? 'belay', table: v.ledgerTable ?? 'schema_migrations' },
        lockTimeoutMs: v.lockTimeout ?? 5 * 60_000,
        allowOutOfOrder: v.allowOutOfOrder ?? false,
        appliedBy: actor(),
        reporter,
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

/** Who applied it, for the ledger: the workflow run on GitHub, the local user in a terminal. */
function actor(): string {
  const e = process.env;
  if (e.GITHUB_ACTIONS === 'true') {
    return `${e.GITHUB_ACTOR ?? 'github'} (${e.GITHUB_REPOSITORY ?? ''} run ${e.GITHUB_RUN_ID ?? '?'})`;
  }
  return `${e.USER ?? 'unknown'} (belay cli)`;
}
