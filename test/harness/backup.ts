/**
 * What the backup and restore tests share: the inputs of a run against the test host's sshd and a compose
 * PostgreSQL (`db` service, user and database `shop`), and the `::error` lines of a run.
 */
import { readFileSync } from 'node:fs';

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
