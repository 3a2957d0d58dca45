/**
 * Registries for the build tests: a second Debian `docker-registry` on a free loopback port, started by the test
 * itself, optionally behind htpasswd (bcrypt) basic auth; and a look at what a registry says about a tag.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';

export interface TestRegistry {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  stop(): Promise<void>;
}

const REGISTRY_BIN = '/usr/bin/docker-registry';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startRegistry(auth?: { user: string; password: string }): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'belay-test-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log: { level: warn, accesslog: { disabled: true } }',
    `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} } }`,
    `http: { addr: "${address}", secret: belay-test }`,
  ];
  if (auth) {
    writeFileSync(join(dir, 'htpasswd'), `${auth.user}:${bcrypt.hashSync(auth.password, 5)}\n`);
    lines.push(`auth: { htpasswd: { realm: belay-test, path: ${join(dir, 'htpasswd')} } }`);
  }
  writeFileSync(join(dir, 'config.yml'), lines.join('\n') + '\n');
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    const answer = await fetch(`http://${address}/v2/`).catch(() => undefined);
    if (answer && (answer.status === 200 || answer.status === 401)) return { address, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`docker-registry did not answer on ${address} within 10 s`);
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/** The registry's `Docker-Content-Digest` for `<repository>:<tag>` (plain HTTP on loopback, basic auth if given). */
export async function digestInRegistry(
  address: string,
  repository: string,
  tag: string,
  basic?: { user: string; password: string },
): Promise<string | null> {
  const headers: Record<string, string> = { Accept: MANIFEST_TYPES.join(', ') };
  if (basic) headers.Authorization = `Basic ${Buffer.from(`${basic.user}:${basic.password}`).toString('base64')}`;
  const answer = await fetch(`http://${address}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers });
  if (!answer.ok) throw new Error(`HEAD ${repository}:${tag} on ${address}: HTTP ${answer.status}`);
  return answer.headers.get('docker-content-digest');
}
