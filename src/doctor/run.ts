/** `belay doctor` / the doctor action: every check on every host, a ✓/⚠/✗ table, exit 1 on any ✗. */
import { resolveConnection } from '../config/connection.js';
import { describeError } from '../core/errors.js';
import { hostLabel } from '../core/hosts.js';
import type { RunContext } from '../engine.js';
import { markdownTable } from '../report/reporter.js';
import { appDirFor } from '../deploy/belay-dir.js';
import { ConnectionPool } from '../transport/pool.js';
import type { HostTarget } from '../transport/types.js';
import { checkClock, checkCompose, checkDatabase, checkDisk, checkDocker, type CheckResult } from './checks.js';

export interface HostReport extends CheckResult {
  readonly host: string;
}

const ICON = { ok: '✓', warn: '⚠', fail: '✗' } as const;

export async function runDoctor({ reporter, face, loaded }: RunContext): Promise<boolean> {
  const v = loaded.values;
  const { targets, options } = resolveConnection(v, face);
  const pool = new ConnectionPool(options, reporter);
  const rows: HostReport[] = [];
  try {
    for (const target of targets) {
      const label = hostLabel(target);
      const results = await reporter.group(`Checking ${label}`, () => checkHost(pool, target, loaded.values));
      rows.push(...results.map((r) => ({ host: label, ...r })));
    }
  } finally {
    await pool.closeAll();
  }

  const failures = rows.filter((r) => r.status === 'fail').length;
  const warnings = rows.filter((r) => r.status === 'warn').length;
  reporter.info(textTable(rows));
  reporter.setOutput('ok', failures === 0);
  reporter.setOutput('failures', failures);
  reporter.setOutput('warnings', warnings);
  reporter.setOutput('report', JSON.stringify(rows));
  reporter.summary(
    `### ${failures ? '❌' : '✅'} belay doctor\n\n` +
      markdownTable(
        ['', 'Host', 'Check', 'Result', 'Fix'],
        rows.map((r) => [ICON[r.status], r.host, r.check, r.detail, r.fix ?? '']),
      ),
  );
  const verdict = `${failures} failed, ${warnings} warning(s), ${rows.length - failures - warnings} ok`;
  if (failures > 0) {
    reporter.error(`doctor: ${verdict}. Fix the ✗ rows above and run doctor again.`);
    return false;
  }
  reporter.info(`doctor: ${verdict}`);
  return true;
}

async function checkHost(
  pool: ConnectionPool,
  target: HostTarget,
  v: RunContext['loaded']['values'],
): Promise<CheckResult[]> {
  let transport;
  try {
    transport = await pool.get(target);
  } catch (err) {
    return [
      {
        check: 'connection',
        status: 'fail',
        detail: describeError(err),
        fix: 'See the message: fix the connection inputs, then run doctor again.',
      },
    ];
  }
  const connection: CheckResult = {
    check: 'connection',
    status: 'ok',
    detail: `connected as ${target.user}; host key ${transport.hostKey ?? 'verified'}`,
  };
  // The checks share the one connection; each is its own channel, so they can run side by side.
  const checks: [string, Promise<CheckResult>][] = [
    ['docker', checkDocker(transport, target.user)],
    ['compose', checkCompose(transport)],
    ['disk (app-dir)', checkDisk(transport, target.user, 'app-dir', appDirFor(v), v.minFreeDisk ?? 1024 ** 3)],
    [
      'disk (backup-dir)',
      checkDisk(transport, target.user, 'backup-dir', v.backupDir ?? 'belay/backups', v.minFreeDisk ?? 1024 ** 3),
    ],
    ['clock', checkClock(transport, v.maxClockSkew ?? 30_000)],
  ];
  if (v.databaseUrl) checks.push(['database', checkDatabase(transport, target.user, v.databaseUrl)]);
  const settled = await Promise.allSettled(checks.map(([, check]) => check));
  return [
    connection,
    ...settled.map((s, i): CheckResult =>
      s.status === 'fulfilled'
        ? s.value
        : {
            check: checks[i]![0],
            status: 'fail',
            detail: describeError(s.reason),
            fix: 'Run doctor again; if it persists, check the server.',
          },
    ),
  ];
}

/** A plain-text table for logs and terminals: icon, host, check, result, and the fix on its own line. */
export function textTable(rows: readonly HostReport[]): string {
  const hostWidth = Math.max(4, ...rows.map((r) => r.host.length));
  const checkWidth = Math.max(5, ...rows.map((r) => r.check.length));
  const lines = [`   ${'HOST'.padEnd(hostWidth)}  ${'CHECK'.padEnd(checkWidth)}  RESULT`];
  for (const r of rows) {
    lines.push(`${ICON[r.status]}  ${r.host.padEnd(hostWidth)}  ${r.check.padEnd(checkWidth)}  ${r.detail}`);
    if (r.fix) lines.push(`   ${' '.repeat(hostWidth)}  ${' '.repeat(checkWidth)}  → ${r.fix}`);
  }
  return lines.join('\n');
}
