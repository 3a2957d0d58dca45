/**
 * docker compose on the server, as data: which CLI the server has (v2 `docker compose` or v1 `docker-compose`),
 * the argv of every compose call a deploy makes, and what the containers of the updated services are doing.
 * The compose project is the app; the project directory is app-dir, so a relative bind mount (`./data`) means the
 * same folder in every release.
 */
import { cmd, type Command } from '../core/command.js';
import { BelayError } from '../core/errors.js';
import type { Transport } from '../transport/types.js';

export type ComposeCli = 'v2' | 'v1';

export async function detectCompose(t: Transport): Promise<ComposeCli> {
  if ((await t.exec(cmd('docker', 'compose', 'version', '--short'))).code === 0) return 'v2';
  if ((await t.exec(cmd('docker-compose', 'version', '--short'))).code === 0) return 'v1';
  throw new BelayError(
    `Neither \`docker compose\` (v2) nor \`docker-compose\` (v1) works on ${t.label}. Install the Compose plugin (e.g. sudo apt-get install docker-compose-plugin); belay doctor checks this.`,
  );
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

/** The containers of `services` in the project (all of them when the list is empty). */
export async function serviceStates(t: Transport, stack: Stack, services: readonly string[]): Promise<ServiceState[]> {
  const ids = await t.exec(compose(stack, 'ps', '-q', ...services));
  const list = ids.stdout.split('\n').filter(Boolean);
  if (ids.code !== 0 || list.length === 0) return [];
  const r = await t.exec(cmd('docker', 'inspect', '--type', 'container', ...list));
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout) as Inspected[]).map((c) => ({
    service: c.Config?.Labels?.['com.docker.compose.service'] ?? '?',
    name: c.Name.replace(/^\//, ''),
    status: c.State?.Status ?? 'unknown',
    ...(c.State?.Health?.Status ? { health: c.State.Health.Status } : {}),
    restarts: c.RestartCount ?? 0,
    image: c.Config?.Image ?? c.Image,
    healthLog: (c.State?.Health?.Log ?? []).slice(-3).map((l) => `exit ${l.ExitCode}: ${(l.Output ?? '').trim()}`),
  }));
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
