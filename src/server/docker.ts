/**
 * Docker on the server, as the SSH user sees it: why a docker command failed (in words a user can act on), and
 * where the container of a compose service is, so a database inside compose can be reached, dumped or restored.
 */
import { cmd } from '../core/command.js';
import { BelayError, InputError } from '../core/errors.js';
import type { ExecResult, Transport } from '../transport/types.js';

/** What went wrong with a docker command, and the fix. */
export interface DockerProblem {
  readonly detail: string;
  readonly fix: string;
}

const firstLine = (text: string) => text.trim().split('\n')[0]?.trim() ?? '';

export function dockerProblem(r: ExecResult, user: string): DockerProblem {
  const why = `${r.stderr}\n${r.stdout}`;
  if (r.code === 127 || /command not found|docker: not found/i.test(why)) {
    return {
      detail: 'docker is not installed',
      fix: 'Install Docker Engine on the server (e.g. `sudo apt-get install docker.io`).',
    };
  }
  if (/permission denied/i.test(why)) {
    return {
      detail: `${user} may not use the Docker socket`,
      fix: `Run \`sudo usermod -aG docker ${user}\` on the server, then reconnect.`,
    };
  }
  if (/cannot connect|is the docker daemon running/i.test(why)) {
    return { detail: 'the Docker daemon is not running', fix: 'Start it: `sudo systemctl enable --now docker`.' };
  }
  return {
    detail: `docker failed: ${firstLine(why)}`,
    fix: 'Run `docker version` on the server as the deploy user and fix what it says.',
  };
}

/** Which container: a compose service (in a project, when known) or a container name. */
export type ContainerSpec =
  | { readonly service: string; readonly project?: string }
  | { readonly container: string; readonly service?: undefined };

export interface FoundContainer {
  readonly id: string;
  /** Without the leading slash docker puts there. */
  readonly name: string;
  readonly project?: string;
  readonly service?: string;
  /** IPv4 addresses on the container's networks (none for `network_mode: host`). */
  readonly addresses: readonly string[];
  readonly hostNetwork: boolean;
}

interface Inspected {
  Id: string;
  Name: string;
  State?: { Running?: boolean; Status?: string };
  Config?: { Labels?: Record<string, string> | null };
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> | null };
}

/** The name Compose v2 gives the first container of a service. */
export const composeContainerName = (project: string, service: string) => `${project}-${service}-1`;

const SERVICE_LABEL = 'com.docker.compose.service';
const PROJECT_LABEL = 'com.docker.compose.project';

/**
 * Lists the running containers matching the filters given as arguments and inspects them, in one round trip:
 * nothing when none matches; `docker ps`'s own exit status and message when it fails. The ids are docker's hex ids,
 * split as words on purpose.
 */
const PS_THEN_INSPECT =
  'ids=$(docker ps -q "$@") || exit $?; [ -z "$ids" ] || exec docker inspect --type container $ids';

/**
 * $1 the name Compose v2 gives the service's first container (`<project>-<service>-1`), then the filters of
 * PS_THEN_INSPECT: that container inspected by name (one docker command), else PS_THEN_INSPECT. Whether the
 * container found by name is the right one (its labels, running) is judged by the caller.
 */
const BY_NAME_ELSE_PS = `c=$1; shift
if out=$(docker inspect --type container -- "$c" 2>/dev/null); then printf '%s\n' "$out"; exit 0; fi
${PS_THEN_INSPECT}`;

/** The Docker Engine's socket, where a default install (and the docker CLI without DOCKER_HOST) has it. */
const DOCKER_SOCKET = '/var/run/docker.sock';
const API_TIMEOUT_MS = 5_000;

/**
 * A container as `docker inspect` would print it, asked of the Docker Engine's API through the SSH connection
 * (a forwarded Unix socket): no process starts on the server, where the docker CLI takes 50-150 ms. null: no such
 * container; undefined: the API could not be asked (socket forwarding refused, another socket, no permission),
 * and the caller asks the docker CLI instead, which also says what is wrong in words a user can act on.
 */
async function inspectByApi(t: Transport, ref: string): Promise<Inspected | null | undefined> {
  const stream = await t.openSocket?.(DOCKER_SOCKET).catch(() => undefined);
  if (!stream) return undefined;
  const answer = await new Promise<HttpAnswer | undefined>((resolve) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => finish(undefined), API_TIMEOUT_MS);
    const finish = (value: HttpAnswer | undefined) => {
      clearTimeout(timer);
      stream.destroy();
      resolve(value);
    };
    // Read as soon as the answer is whole: the connection's close comes ~40 ms after it over SSH.
    stream.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const whole = httpAnswer(received);
      if (whole) finish(whole);
    });
    stream.once('end', () => finish(httpAnswer(received, true)));
    stream.once('close', () => finish(httpAnswer(received, true)));
    stream.once('error', () => finish(undefined));
    // Written, not ended: a half-closed connection reads to the Engine as a client that went away.
    stream.write(
      `GET /containers/${encodeURIComponent(ref)}/json HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n`,
    );
  });
  if (answer?.status === 404) return null;
  if (answer?.status !== 200) return undefined;
  try {
    const info = JSON.parse(answer.body) as Inspected;
    return typeof info?.Id === 'string' && typeof info.Name === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * An HTTP/1.1 answer from the bytes received so far, once it is whole (by Content-Length, the last chunk of a
 * chunked body, or `closed`); undefined until then.
 */
export function httpAnswer(bytes: Buffer, closed = false): HttpAnswer | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = bytes.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  if (!status) return undefined;
  let rest = bytes.subarray(end + 4);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
  if (length !== undefined) {
    return rest.length >= Number(length)
      ? { status, body: rest.subarray(0, Number(length)).toString('utf8') }
      : undefined;
  }
  if (!/\r\ntransfer-encoding:\s*chunked/i.test(head))
    return closed ? { status, body: rest.toString('utf8') } : undefined;
  const parts: Buffer[] = [];
  for (;;) {
    const line = rest.indexOf('\r\n');
    if (line < 0) return undefined;
    const size = parseInt(rest.subarray(0, line).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    // The last chunk, then the empty line that ends the body (the Engine sends no trailers).
    if (size === 0)
      return rest.length >= line + 4 ? { status, body: Buffer.concat(parts).toString('utf8') } : undefined;
    if (rest.length < line + 2 + size + 2) return undefined;
    parts.push(rest.subarray(line + 2, line + 2 + size));
    rest = rest.subarray(line + 2 + size + 2);
  }
}

/**
 * The running container of `spec` on the server. A compose service running in several projects needs `app` to
 * say which; a stopped or unknown one is an error that lists what does run. No command on the server when the
 * Engine's API answers for the container named like the service's; else one, two when that container is not it.
 */
export async function findContainer(t: Transport, spec: ContainerSpec, user: string): Promise<FoundContainer> {
  const input = spec.service !== undefined ? 'db-service' : 'db-container';
  let info: Inspected;
  if (spec.service !== undefined) {
    const filters = ['--filter', `label=${SERVICE_LABEL}=${spec.service}`];
    if (spec.project) filters.push('--filter', `label=${PROJECT_LABEL}=${spec.project}`);
    const look = async (script: string, ...args: string[]) => {
      const r = await t.exec(cmd('sh', '-c', script, 'belay', ...args));
      if (r.code !== 0) {
        const p = dockerProblem(r, user);
        throw new BelayError(`docker on ${t.label}: ${p.detail}. ${p.fix}`);
      }
      // In `docker ps` order, newest first, as the id list was given.
      return r.stdout.trim() ? (JSON.parse(r.stdout) as Inspected[]) : [];
    };
    // With the project known, the container Compose v2 names `<project>-<service>-1` is asked for by name first
    // (of the Engine's API, with no process on the server; else one docker command instead of two); kept only when
    // its labels say it is that service and it runs.
    const ofSpec = (c: Inspected) =>
      c.Config?.Labels?.[SERVICE_LABEL] === spec.service &&
      c.Config?.Labels?.[PROJECT_LABEL] === spec.project &&
      c.State?.Running === true;
    let found: Inspected[];
    const named = spec.project ? composeContainerName(spec.project, spec.service) : undefined;
    const asked = named === undefined ? undefined : await inspectByApi(t, named);
    if (asked && ofSpec(asked)) found = [asked];
    else if (named === undefined || asked !== undefined) found = await look(PS_THEN_INSPECT, ...filters);
    else {
      found = await look(BY_NAME_ELSE_PS, named, ...filters);
      if (found.length === 1 && !ofSpec(found[0]!)) found = await look(PS_THEN_INSPECT, ...filters);
    }
    const projects = [...new Set(found.map((c) => c.Config?.Labels?.[PROJECT_LABEL] ?? ''))];
    if (found.length === 0) {
      const where = spec.project ? ` of compose project ${spec.project}` : '';
      throw new InputError(
        input,
        `no running container of service "${spec.service}"${where} on ${t.label}`,
        `Start it (docker compose up -d), or name a running service: ${await runningServices(t, user)}.`,
      );
    }
    if (projects.length > 1) {
      throw new InputError(
        input,
        `service "${spec.service}" runs in several compose projects (${projects.join(', ')}) on ${t.label}`,
        'Set app to the compose project to use.',
      );
    }
    info = found[0]!;
  } else {
    const asked = await inspectByApi(t, spec.container);
    info = asked ?? (await inspectByCli(t, spec.container, input, user));
  }
  return described(info, input, t);
}

/** `docker inspect` of a container named by the user, with errors that say what to give instead. */
async function inspectByCli(t: Transport, container: string, input: string, user: string): Promise<Inspected> {
  const r = await t.exec(cmd('docker', 'inspect', '--type', 'container', container));
  if (r.code !== 0) {
    if (/no such (object|container)/i.test(r.stderr)) {
      throw new InputError(
        input,
        `no container "${container}" on ${t.label}`,
        `Give the name \`docker ps\` shows; running: ${await runningServices(t, user, 'names')}.`,
      );
    }
    const p = dockerProblem(r, user);
    throw new BelayError(`Cannot inspect the database container on ${t.label}: ${p.detail}. ${p.fix}`);
  }
  return (JSON.parse(r.stdout) as Inspected[])[0]!;
}

/** The container found, for its callers; refused when it does not run. */
function described(info: Inspected, input: string, t: Transport): FoundContainer {
  const name = info.Name.replace(/^\//, '');
  if (!info.State?.Running) {
    throw new InputError(
      input,
      `container ${name} on ${t.label} is ${info.State?.Status ?? 'not running'}`,
      'Start it (docker compose up -d, or docker start).',
    );
  }
  const labels = info.Config?.Labels ?? {};
  const networks = Object.values(info.NetworkSettings?.Networks ?? {});
  return {
    id: info.Id,
    name,
    ...(labels[PROJECT_LABEL] ? { project: labels[PROJECT_LABEL] } : {}),
    ...(labels[SERVICE_LABEL] ? { service: labels[SERVICE_LABEL] } : {}),
    addresses: networks.map((n) => n.IPAddress ?? '').filter(Boolean),
    hostNetwork: info.HostConfig?.NetworkMode === 'host',
  };
}

/** Where the server reaches a port of the container: its first network address, or loopback for host networking. */
export function containerAddress(c: FoundContainer): string {
  if (c.hostNetwork) return '127.0.0.1';
  const address = c.addresses[0];
  if (!address) {
    throw new BelayError(
      `Container ${c.name} has no network address (network_mode none?): attach it to a network, or use db-host with a published port.`,
    );
  }
  return address;
}

async function runningServices(t: Transport, user: string, what: 'services' | 'names' = 'services'): Promise<string> {
  const format = what === 'services' ? `{{.Label "${PROJECT_LABEL}"}}/{{.Label "${SERVICE_LABEL}"}}` : '{{.Names}}';
  const listed = await docker(t, user, 'ps', '--format', format);
  const items = [...new Set(listed.split('\n').filter((l) => l && l !== '/'))].sort();
  return items.length ? items.slice(0, 10).join(', ') : 'none is running';
}

async function docker(t: Transport, user: string, ...args: string[]): Promise<string> {
  const r = await t.exec(cmd('docker', ...args));
  if (r.code !== 0) {
    const p = dockerProblem(r, user);
    throw new BelayError(`docker on ${t.label}: ${p.detail}. ${p.fix}`);
  }
  return r.stdout;
}
