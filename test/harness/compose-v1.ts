/**
 * The test host's server with only Compose v1, set up by `scripts/test-host up`: a second login (user deploy1, in
 * group docker) on the same sshd, for which sshd sets a PATH whose `docker-compose` is Debian's docker-compose 1.29
 * (unpacked in the state dir) and a DOCKER_CONFIG whose plugin dir masks the compose plugin, so its `docker` has no
 * `compose` command. Read from env.json's `composeV1`; null there means `up` could not set it up (it said why).
 */
import { execFileSync } from 'node:child_process';
import { testHost, type TestHost } from './test-host.js';

export interface ComposeV1Login {
  /** The login whose server has only Compose v1. */
  user: string;
  /** `docker-compose version --short` as that login sees it, e.g. 1.29.2. */
  version: string;
  /** The v1 launcher (a shell script that runs the unpacked docker-compose with /usr/bin/python3). */
  command: string;
  /** The PATH and DOCKER_CONFIG sshd gives that login. */
  path: string;
  dockerConfig: string;
}

export function composeV1Login(): ComposeV1Login {
  const v1 = (testHost() as TestHost & { composeV1?: ComposeV1Login | null }).composeV1;
  if (!v1) {
    throw new Error(
      'The test host has no Compose v1 login (composeV1 in env.json is null or missing). Run as root: bash scripts/test-host up, and read its warnings.',
    );
  }
  return v1;
}

/** docker-compose v1 run here, in `cwd`, as that login runs it (its PATH and DOCKER_CONFIG); stdout. */
export function composeV1(args: readonly string[], cwd: string): string {
  const v1 = composeV1Login();
  return execFileSync(v1.command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: v1.path, DOCKER_CONFIG: v1.dockerConfig },
  });
}
