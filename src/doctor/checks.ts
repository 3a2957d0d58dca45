/**
 * What a deploy needs on a server, checked over one SSH connection. Each check turns command results into a
 * verdict with the fix spelled out; the remote commands are built as data (paths reach the shell only as quoted
 * positional arguments of constant scripts).
 */
import { cmd, or, redirect } from '../core/command.js';
import { formatDuration, formatSize } from '../core/duration.js';
import { COMPOSE_V1_MINIMUM, dockerComposeVersion } from '../deploy/compose.js';
import { dockerProblem } from '../server/docker.js';
import type { Transport } from '../transport/types.js';

export type Status = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  readonly check: string;
  readonly status: Status;
  readonly detail: string;
  readonly fix?: string;
}

const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail });
const warn = (check: string, detail: string, fix: string): CheckResult => ({ check, status: 'warn', detail, fix });
const fail = (check: string, detail: string, fix: string): CheckResult => ({ check, status: 'fail', detail, fix });

const firstLine = (text: string) => text.trim().split('\n')[0]?.trim() ?? '';

export async function checkDocker(t: Transport, user: string): Promise<CheckResult> {
  const r = await t.exec(cmd('docker', 'version', '--format', '{{.Server.Version}}'));
  if (r.code === 0) return ok('docker', `Docker Engine ${r.stdout.trim()}, usable by ${user}`);
  const problem = dockerProblem(r, user);
  return fail('docker', problem.detail, problem.fix);
}

export async function checkCompose(t: Transport): Promise<CheckResult> {
  const v2 = await t.exec(cmd('docker', 'compose', 'version', '--short'));
  if (v2.code === 0) return ok('compose', `Compose v2 ${v2.stdout.trim().replace(/^v/, '')} (docker compose)`);
  const v1 = await t.exec(cmd('docker-compose', 'version', '--short'));
  if (v1.code === 0) {
    const found = dockerComposeVersion(v1.stdout);
    const install =
      'Install the Compose v2 plugin (`sudo apt-get install docker-compose-plugin` or docker-compose-v2).';
    // Some servers have v2's standalone binary under the old name: that is Compose v2, called as docker-compose.
    if ((found.major ?? 1) >= 2) return ok('compose', `Compose v2 ${found.version} (standalone docker-compose)`);
    if (!found.supported) {
      return fail(
        'compose',
        `Compose v1 ${found.version} (docker-compose) is too old: belay needs ${COMPOSE_V1_MINIMUM} or newer, which reads compose files without a version: line`,
        install,
      );
    }
    return warn(
      'compose',
      `Compose v1 ${found.version} (docker-compose); belay supports it, but it is end-of-life`,
      install,
    );
  }
  return fail(
    'compose',
    'neither `docker compose` (v2) nor `docker-compose` (v1) works',
    'Install the Compose v2 plugin on the server.',
  );
}

/**
 * Free space where a directory is or will be: a directory that does not exist yet is measured at its nearest
 * existing parent, which must then be writable so the deploy can create it.
 */
const DISK_PROBE =
  'case $1 in /*) d=$1 ;; *) d=$HOME/$1 ;; esac; want=$d; ' +
  'while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; ' +
  'if [ -w "$d" ]; then w=writable; else w=readonly; fi; ' +
  'printf "%s\\n%s\\n%s\\n" "$want" "$d" "$w"; df -Pk -- "$d" | tail -n 1';

export async function checkDisk(
  t: Transport,
  user: string,
  label: string,
  dir: string,
  minFree: number,
): Promise<CheckResult> {
  const name = `disk (${label})`;
  const r = await t.exec(cmd('sh', '-c', DISK_PROBE, 'sh', dir));
  const [wanted, existing, writable, dfLine] = r.stdout.trim().split('\n');
  const availableKb = Number(dfLine?.trim().split(/\s+/)[3]);
  if (r.code !== 0 || !existing || !Number.isFinite(availableKb)) {
    return fail(
      name,
      `could not measure free space of ${dir}: ${firstLine(r.stderr) || 'no df output'}`,
      'Check that df works on the server.',
    );
  }
  const free = availableKb * 1024;
  const where = existing === wanted ? wanted : `${wanted} (not created yet; measured at ${existing})`;
  if (writable !== 'writable') {
    return fail(
      name,
      `${where} is not writable`,
      `Run \`sudo mkdir -p ${wanted} && sudo chown ${user} ${wanted}\` on the server.`,
    );
  }
  const detail = `${formatSize(free)} free in ${where}`;
  if (free < Math.min(minFree, 100 * 1024 ** 2))
    return fail(name, detail, 'Free disk space (old images: `docker image prune -a`).');
  if (free < minFree)
    return warn(
      name,
      `${detail}, below min-free-disk ${formatSize(minFree)}`,
      'Free disk space (`docker image prune -a`, old backups).',
    );
  return ok(name, detail);
}

export async function checkClock(t: Transport, maxSkewMs: number, now: () => number = Date.now): Promise<CheckResult> {
  const before = now();
  const r = await t.exec(cmd('date', '-u', '+%s'));
  const after = now();
  const remote = Number(r.stdout.trim()) * 1000;
  if (r.code !== 0 || !Number.isFinite(remote))
    return warn('clock', 'could not read the server clock', 'Check that `date` works on the server.');
  // The server read its clock somewhere during the round trip; its second resolution adds up to 1 s of doubt.
  const skew = remote + 500 - (before + after) / 2;
  const detail = `server clock ${skew >= 0 ? 'ahead' : 'behind'} by ${formatDuration(Math.abs(skew))} (±${formatDuration(after - before + 500)})`;
  if (Math.abs(skew) - (after - before) / 2 - 500 > maxSkewMs) {
    return fail('clock', detail, 'Enable time sync on the server: `sudo timedatectl set-ntp true`.');
  }
  return ok('clock', detail);
}

/** Whether the database answers where the server would reach it. */
export async function checkDatabase(t: Transport, user: string, url: string): Promise<CheckResult> {
  if (url.startsWith('sqlite:')) return checkSqlite(t, user, sqlitePath(url));
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(parsed.port || 5432);
  const forward = await t.forward(host, port);
  try {
    const answer = await postgresProbe(forward.localHost, forward.localPort);
    if (answer === 'postgres') return ok('database', `PostgreSQL answers at ${host}:${port} (as seen from the server)`);
    return fail(
      'database',
      `${host}:${port} answered, but not as PostgreSQL`,
      'Check the host and port in database-url.',
    );
  } catch (err) {
    const why = (err as Error).message;
    return fail(
      'database',
      `PostgreSQL at ${host}:${port} is not reachable from the server: ${why}`,
      'Start the database, or fix the host and port in database-url (they are seen from the server).',
    );
  } finally {
    await forward.close();
  }
}

/** `sqlite:///srv/app/db.sqlite` (absolute), `sqlite://data/db.sqlite` or `sqlite:data/db.sqlite` (relative). */
export function sqlitePath(url: string): string {
  return decodeURIComponent(url.replace(/^sqlite:(\/\/)?/, ''));
}

async function checkSqlite(t: Transport, user: string, path: string): Promise<CheckResult> {
  const r = await t.exec(
    or(
      redirect(cmd('test', '-w', path), '>/dev/null 2>&1'),
      cmd('sh', '-c', 'test -e "$1" && echo exists || echo missing', 'sh', path),
    ),
  );
  if (r.code === 0 && r.stdout.trim() === '') return ok('database', `SQLite file ${path} exists and is writable`);
  if (r.stdout.trim() === 'missing')
    return warn(
      'database',
      `SQLite file ${path} does not exist yet`,
      'Check database-url if the app should already have created it.',
    );
  return fail(
    'database',
    `SQLite file ${path} is not writable by the SSH user`,
    `Fix its owner or mode on the server (e.g. \`sudo chown ${user} ${path}\`).`,
  );
}

/**
 * PostgreSQL's SSLRequest: 8 bytes that any PostgreSQL server answers with one byte, `S` or `N`, before any
 * authentication. Tells "a PostgreSQL server listens there" without credentials or a driver.
 */
async function postgresProbe(host: string, port: number, timeoutMs = 5000): Promise<'postgres' | 'other'> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(
      () => socket.destroy(new Error(`no answer within ${formatDuration(timeoutMs)}`)),
      timeoutMs,
    );
    socket.once('connect', () => socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])));
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data.length === 1 && (data[0] === 0x53 || data[0] === 0x4e) ? 'postgres' : 'other');
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error((err as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'connection refused' : err.message));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('the connection was closed without an answer'));
    });
  });
}
