/**
 * What the backup and restore tests share: the inputs of a run against the test host's sshd and a compose
 * PostgreSQL (`db` service, user and database `shop`), and the `::error` lines of a run.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ComposePostgres } from './pg-image.js';
import { testHost } from './test-host.js';

/** The connection to the test host's sshd, pinned by its known_hosts. */
export function sshInputs(): Record<string, string> {
  const host = testHost();
  return {
    host: `${host.user}@${host.sshHost}:${host.sshPort}`,
    'ssh-key': readFileSync(host.keys.ed25519, 'utf8'),
    'known-hosts': readFileSync(host.knownHosts, 'utf8'),
  };
}

/** A backup of database `shop` in the compose project `app`, into `dir` on the server. */
export function backupInputs(
  app: string,
  password: string,
  dir: string,
  over: Record<string, string> = {},
): Record<string, string> {
  return {
    ...sshInputs(),
    app,
    'db-service': 'db',
    database: 'shop',
    'db-user': 'shop',
    'db-password': password,
    'backup-dir': dir,
    ...over,
  };
}

export const errorsOf = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('::error'));

/**
 * pgrep / pkill arguments matching `pattern` only among the processes of `db`'s container (its PID namespace,
 * which `docker exec` joins): other test files run their own pg_dump with the same arguments at the same time.
 */
export function inContainerOf(db: ComposePostgres, pattern: string): string[] {
  const id = db.compose('ps', '-q', 'db').trim();
  const pid = execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', id], { encoding: 'utf8' }).trim();
  return ['--ns', pid, '--nslist', 'pid', '-f', pattern];
}

/** A new directory `name` in `root`, both owned by the test host's deploy user, like a backup-dir on a server. */
export function deployOwnedDir(root: string, name: string): string {
  const user = testHost().user;
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  const dir = join(root, name);
  mkdirSync(dir);
  chownSync(root, uid, gid);
  chownSync(dir, uid, gid);
  return dir;
}
