/**
 * docker compose on the server, as data: which CLI the server has (v2 `docker compose` or v1 `docker-compose`),
 * the argv of every compose call a deploy makes, and what the containers of the updated services are doing.
 * The compose project is the app; the project directory is app-dir, so a relative bind mount (`./data`) means the
 * same folder in every release.
 */
import { cmd, type Command } from '../core/command.js';
import { BelayError } from '../core/errors.js';
import type { ExecResult, Transport } from '../transport/types.js';

/**
 * How compose is called: `docker compose` (the v2 plugin) or `docker-compose`, which is Compose v1 (Python, 1.x) or,
 * on some servers, v2's standalone binary under the old name. Both take the same arguments for what belay runs.
 */
export type ComposeCli = 'v2' | 'v1';

/**
 * The oldest Compose v1 belay can deploy with: 1.27 is the first to read compose files without a `version:` line
 * (the Compose Specification), which is how belay writes its override file. Debian 11 and Ubuntu 20.04 ship 1.25.
 */
export const COMPOSE_V1_MINIMUM = '1.27';

/** What `docker-compose version --short` printed: `1.29.2` (v1), `2.26.1` (v2 standalone), maybe with a `v`. */
export function dockerComposeVersion(short: string): { version: string; major?: number; supported: boolean } {
  const version = short.trim().split('\n')[0]!.trim().replace(/^v/, '');
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return { version, supported: true }; // it answered; an odd version string is no reason to refuse
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const [minMajor, minMinor] = COMPOSE_V1_MINIMUM.split('.').map(Number) as [number, number];
  return { version, major, supported: major > minMajor || (major === minMajor && minor >= minMinor) };
}

/**
 * Shell text printing `compose plugin` when the docker CLI has the Compose v2 plugin: an executable
 * `docker-compose` as the first of the folders the CLI looks in (the user's, then the system's) that has one
 * (the CLI takes the first it finds, so a user's entry, even a broken one, masks the system's). A file test where
 * `docker compose version` would start two programs; detectCompose is the fallback when it prints nothing.
 */
export const COMPOSE_PLUGIN_PROBE = `for d in "\${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins" /usr/local/lib/docker/cli-plugins \\
  /usr/local/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins; do
  [ -e "$d/docker-compose" ] || [ -L "$d/docker-compose" ] || continue
  if [ -f "$d/docker-compose" ] && [ -x "$d/docker-compose" ]; then echo 'compose plugin'; fi; break
done`;

/** What COMPOSE_PLUGIN_PROBE printed, as the CLI to use: v2 when the plugin is there, else not known yet. */
export const probedCompose = (stdout: string): ComposeCli | undefined =>
  stdout.split('\n').includes('compose plugin') ? 'v2' : undefined;

export async function detectCompose(t: Transport): Promise<ComposeCli> {
  if ((await t.exec(cmd('docker', 'compose', 'version', '--short'))).code === 0) return 'v2';
  const standalone = await t.exec(cmd('docker-compose', 'version', '--short'));
  if (standalone.code === 0) {
    const found = dockerComposeVersion(standalone.stdout);
    if (!found.supported) {
      throw new BelayError(
        `docker-compose ${found.version} on ${t.label} is too old: belay needs Compose v2 (\`docker compose\`) or docker-compose ${COMPOSE_V1_MINIMUM} or newer, which reads compose files without a version: line. Install the Compose plugin (e.g. sudo apt-get install docker-compose-plugin); belay doctor checks this.`,
      );
    }
    return 'v1';
  }
  throw new BelayError(
    `Neither \`docker compose\` (v2) nor \`docker-compose\` (v1) works on ${t.label}. Install the Compose plugin (e.g. sudo apt-get install docker-compose-plugin); belay doctor checks this.`,
  );
}

/**
 * Compose v1 reads env files with python-dotenv, which expands `${NAME}` (to the server's environment, or nothing)
 * and unescapes `\\` even in single-quoted values, where v2 takes them literally. The first variable of a rendered
 * env file (`NAME='value'` lines) whose value v1 would change, if any: a deploy to v1 must refuse it, not change it.
 */
export function changedByComposeV1(env: string): string | undefined {
  for (const line of env.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)='(.*)'$/.exec(line);
    if (m && /\$\{|\\\\|\\$/.test(m[2]!)) return m[1];
  }
  return undefined;
}

/** Everything that says which stack: the CLI, the project (app), its directory, the files and the env file. */
export interface Stack {
  readonly cli: ComposeCli;
  readonly project: string;
  readonly projectDir: string;
  readonly files: readonly string[];
  readonly envFile?: string;
}

export function compose(stack: Stack, ...args: string[]): Command {
  const base = stack.cli === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
  const flags = ['-p', stack.project, '--project-directory', stack.projectDir];
  for (const f of stack.files) flags.push('-f', f);
  if (stack.envFile) flags.push('--env-file', stack.envFile);
  return cmd(base[0]!, ...base.slice(1), ...flags, ...args);
}

/** One container of an updated service, as `docker inspect` sees it. */
export interface ServiceState {
  readonly service: string;
  readonly name: string;
  readonly status: string;
  /** `healthy`, `unhealthy`, `starting`, or undefined when the service has no healthcheck. */
  readonly health?: string;
  readonly restarts: number;
  readonly image: string;
  /** The last lines of the healthcheck's own log, for the failure report. */
  readonly healthLog: readonly string[];
}

interface Inspected {
  Name: string;
  Image: string;
  RestartCount?: number;
  State?: { Status?: string; Health?: { Status?: string; Log?: { Output?: string; ExitCode?: number }[] } };
  Config?: { Labels?: Record<string, string> | null; Image?: string };
}

/**
 * `docker ps` of the containers of `services` in the project (all of them when the list is empty): found by the
 * labels compose (v1 and v2) puts on them, with `-a` for named services so that one that already exited counts
 * (a crash is then seen at once, not as "not started yet" until the timeout). All of the project (no services
 * named): running ones only, since a one-shot service that exited is fine.
 */
function findArgs(stack: Stack, services: readonly string[]): string[] {
  return [
    'docker',
    'ps',
    services.length ? '-aq' : '-q',
    '--filter',
    `label=com.docker.compose.project=${stack.project}`,
    ...services.flatMap((s) => ['--filter', `label=com.docker.compose.service=${s}`]),
  ];
}

// The ids are docker's own hex ids, so they are split on purpose; everything given arrives as "$@". `failed`: the
// status when `docker ps` fails.
const look = (failed: number) =>
  `ids=$("$@") || exit ${failed}; [ -n "$ids" ] || exit 0; exec docker inspect --type container $ids`;

/** `docker inspect` output as ServiceStates; one-off containers of `compose run` left out. */
function parseStates(json: string): ServiceState[] {
  if (!json.trim()) return [];
  const containers = (JSON.parse(json) as Inspected[]).filter(
    (c) => c.Config?.Labels?.['com.docker.compose.oneoff'] !== 'True',
  );
  return containers.map((c) => ({
    service: c.Config?.Labels?.['com.docker.compose.service'] ?? '?',
    name: c.Name.replace(/^\//, ''),
    status: c.State?.Status ?? 'unknown',
    ...(c.State?.Health?.Status ? { health: c.State.Health.Status } : {}),
    restarts: c.RestartCount ?? 0,
    image: c.Config?.Image ?? c.Image,
    healthLog: (c.State?.Health?.Log ?? []).slice(-3).map((l) => `exit ${l.ExitCode}: ${(l.Output ?? '').trim()}`),
  }));
}

/** The containers of `services` (see findArgs), found and inspected in one round trip. */
export async function serviceStates(t: Transport, stack: Stack, services: readonly string[]): Promise<ServiceState[]> {
  const r = await t.exec(cmd('sh', '-c', look(1), 'belay', ...findArgs(stack, services)));
  return r.code === 0 ? parseStates(r.stdout) : [];
}

/**
 * $1 the number n of the command's arguments, then the command, then the look's `docker ps` argv. The command is
 * run from references to its positional parameters (`"${1}" "${2}" …`, so eval sees only those, never a value);
 * when it succeeds, a marker line and then the look on the rest (whose own failure is not the command's).
 */
export const THEN_LOOK = `n=$1; shift; c=; i=1
while [ "$i" -le "$n" ]; do c="$c \\"\\\${$i}\\""; i=$((i + 1)); done
eval "$c" || exit $?
shift "$n"
echo belay-look
${look(0)}`;

/**
 * `up -d` of `services`, and in the same round trip, once it succeeded, the first look at their containers (what
 * the health gate asks first): undefined when that look did not work, and the gate then asks again.
 */
export async function upThenLook(
  t: Transport,
  stack: Stack,
  services: readonly string[],
): Promise<{ up: ExecResult; states?: ServiceState[] }> {
  const up = compose(stack, 'up', '-d', ...services);
  if (up.kind !== 'argv' || up.env) return { up: await t.exec(up) };
  const r = await t.exec(
    cmd('sh', '-c', THEN_LOOK, 'belay', String(up.argv.length), ...up.argv, ...findArgs(stack, services)),
  );
  const at = r.stdout.indexOf('belay-look\n');
  if (r.code !== 0 || at < 0) return { up: r };
  const result = { ...r, stdout: r.stdout.slice(0, at) };
  try {
    return { up: result, states: parseStates(r.stdout.slice(at + 'belay-look\n'.length)) };
  } catch {
    return { up: result };
  }
}

/**
 * Ready when every updated service has a container, all are running, none restarted since this release started
 * them, and those with a healthcheck say healthy. Unhealthy or exited is final: no point waiting longer.
 */
export function containersVerdict(
  states: readonly ServiceState[],
  services: readonly string[],
): { ready: boolean; final: boolean; why: string } {
  const missing = services.filter((s) => !states.some((c) => c.service === s));
  if (missing.length) return { ready: false, final: false, why: `no container yet for ${missing.join(', ')}` };
  const down = states.find((c) => c.status !== 'running');
  if (down)
    return {
      ready: false,
      final: down.status === 'exited' || down.status === 'dead',
      why: `${down.name} is ${down.status}`,
    };
  const restarted = states.find((c) => c.restarts > 0);
  if (restarted) return { ready: false, final: true, why: `${restarted.name} restarted ${restarted.restarts} time(s)` };
  const sick = states.find((c) => c.health === 'unhealthy');
  if (sick) return { ready: false, final: true, why: `${sick.name} is unhealthy` };
  const starting = states.find((c) => c.health === 'starting');
  if (starting) return { ready: false, final: false, why: `${starting.name} is starting` };
  return { ready: true, final: true, why: 'all running' + (states.some((c) => c.health) ? ' and healthy' : '') };
}
