/**
 * The registry side of a build: log in before, log out after, and ask the registry which manifest a pushed tag
 * names. Credentials live in a temporary DOCKER_CONFIG folder (0700, removed afterwards) and reach docker on
 * stdin (`docker login --password-stdin`); the user's own docker config is never written to.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmd } from '../core/command.js';
import { BelayError } from '../core/errors.js';
import { runCommand } from './process.js';
import type { ImageName } from './refs.js';

export interface Credentials {
  readonly registry: string;
  readonly username: string;
  readonly password: string;
}

/** Where docker keeps its config for this run: the user's own, or a temporary one holding belay's login. */
export interface DockerConfig {
  /** Environment for every docker command of the run. */
  readonly env: Readonly<Record<string, string>>;
  readonly credentials?: Credentials;
  close(): Promise<void>;
}

const userConfigDir = (env: Readonly<Record<string, string | undefined>>) =>
  env.DOCKER_CONFIG ?? join(homedir(), '.docker');

/**
 * A temporary DOCKER_CONFIG holding only belay's login. It keeps what the user's config says about plugins and
 * other registries (without `credsStore`, so the password lands in this folder and not in a keychain), and links
 * the user's buildx builders and CLI plugins, so a builder set up earlier (docker/setup-buildx-action) is used.
 */
export async function loginConfig(
  credentials: Credentials | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<DockerConfig> {
  if (!credentials) return { env: {}, close: async () => undefined };
  const base = userConfigDir(env);
  const dir = mkdtempSync(join(env.RUNNER_TEMP ?? tmpdir(), 'belay-docker-config-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    let config: Record<string, unknown> = {};
    try {
      config = JSON.parse(readFileSync(join(base, 'config.json'), 'utf8')) as Record<string, unknown>;
    } catch {
      // No config of the user's, or not readable: start empty.
    }
    delete config.credsStore;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
    for (const sub of ['buildx', 'cli-plugins', 'contexts']) {
      if (existsSync(join(base, sub))) symlinkSync(join(base, sub), join(dir, sub));
    }
    const dockerEnv = { DOCKER_CONFIG: dir };
    const login = await runCommand(
      cmd('docker', 'login', '--username', credentials.username, '--password-stdin', credentials.registry),
      { env: dockerEnv, stdin: credentials.password },
    );
    if (login.code !== 0) {
      const why = (login.stderr.trim().split('\n').pop() ?? '').replace(/^Error response from daemon:\s*/, '');
      throw new BelayError(
        `Login to ${credentials.registry} as ${credentials.username} failed: ${why || `docker login exited with ${login.code}`}. ` +
          'Check registry-username and registry-password (for ghcr.io a token allowed to write packages).',
      );
    }
    return {
      env: dockerEnv,
      credentials,
      close: async () => {
        await runCommand(cmd('docker', 'logout', credentials.registry), { env: dockerEnv }).catch(() => undefined);
        remove();
      },
    };
  } catch (err) {
    remove();
    throw err;
  }
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const isLoopback = (host: string) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);

/** Docker Hub's API host differs from the name docker uses for it. */
const apiHost = (registry: string) => (registry === 'docker.io' ? 'registry-1.docker.io' : registry);

/**
 * The registry's own answer: the `Docker-Content-Digest` of `<image>:<tag>`, through its token or basic auth.
 * Undefined (with the reason) when the registry cannot be asked, e.g. it needs a login belay was not given.
 */
export async function registryDigest(
  image: ImageName,
  tag: string,
  credentials: Credentials | undefined,
): Promise<{ digest: string } | { reason: string }> {
  const host = apiHost(image.registry);
  const schemes = isLoopback(host) ? ['http', 'https'] : ['https', 'http'];
  const auth = credentials?.registry === image.registry || credentials?.registry === host ? credentials : undefined;
  let reason = 'no answer';
  for (const scheme of schemes) {
    const url = `${scheme}://${host}/v2/${image.repository}/manifests/${encodeURIComponent(tag)}`;
    try {
      // An HTTP answer, good or bad, is the registry's: the other scheme would not change it.
      return await headWithAuth(url, image.repository, auth);
    } catch (err) {
      reason = `${scheme}: ${(err as Error).message}`;
    }
  }
  return { reason };
}

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

type Send = (typeof import('node:http'))['request'];
const clients = new Map<string, Promise<Send>>();

/** node:http or node:https (which brings TLS, some milliseconds to load), loaded when first needed, once. */
function client(protocol: string): Promise<Send> {
  let send = clients.get(protocol);
  if (!send) {
    send =
      protocol === 'https:' ? import('node:https').then((m) => m.request) : import('node:http').then((m) => m.request);
    clients.set(protocol, send);
  }
  return send;
}

/** Loads the HTTP client `registryDigest(image, …)` asks with first, so that it is ready when a push is done. */
export function prepareRegistryDigest(image: ImageName): void {
  client(isLoopback(apiHost(image.registry)) ? 'http:' : 'https:').catch(() => undefined);
}

/**
 * One HTTP request with node:http(s). Not fetch: Node loads its fetch implementation on first use, which costs
 * more than the whole registry check on a no-change rebuild.
 */
async function request(url: string, method: 'HEAD' | 'GET', headers: Record<string, string>): Promise<Answer> {
  const target = new URL(url);
  const send = await client(target.protocol);
  return new Promise((resolve, reject) => {
    const req = send(target, { method, headers, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end();
  });
}

const header = (a: Answer, name: string) => {
  const value = a.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

async function headWithAuth(
  url: string,
  repository: string,
  credentials: Credentials | undefined,
): Promise<{ digest: string } | { reason: string }> {
  const ask = (authorization?: string) =>
    request(url, 'HEAD', { Accept: MANIFEST_TYPES, ...(authorization ? { Authorization: authorization } : {}) });
  const basic = credentials
    ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
    : undefined;
  let answer = await ask();
  if (answer.status === 401) {
    const challenge = header(answer, 'www-authenticate') ?? '';
    if (/^basic/i.test(challenge)) {
      if (!basic) return { reason: 'the registry needs a login' };
      answer = await ask(basic);
    } else if (/^bearer/i.test(challenge)) {
      const token = await bearerToken(challenge, repository, basic);
      if (!token) return { reason: 'the registry gave no token to read the manifest' };
      answer = await ask(`Bearer ${token}`);
    }
  }
  if (answer.status < 200 || answer.status > 299) return { reason: `HTTP ${answer.status} for the manifest` };
  const digest = header(answer, 'docker-content-digest');
  return digest ? { digest } : { reason: 'the registry sent no Docker-Content-Digest' };
}

/** The token flow of the registry API: the realm named in the challenge, with the pull scope of the repository. */
async function bearerToken(
  challenge: string,
  repository: string,
  basic: string | undefined,
): Promise<string | undefined> {
  const params = Object.fromEntries(
    [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!] as const),
  );
  if (!params.realm) return undefined;
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', `repository:${repository}:pull`);
  const answer = await request(url.toString(), 'GET', basic ? { Authorization: basic } : {});
  if (answer.status !== 200) return undefined;
  const body = JSON.parse(answer.body) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}
