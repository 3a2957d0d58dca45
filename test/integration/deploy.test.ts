/**
 * The deploy action end to end on the test host: real sshd, dockerd, registry and compose, FROM-scratch images.
 * v1 deploys healthy; v2, whose /health never answers, is rolled back by itself to v1, with v2's own log on
 * screen; the release history says what happened; a manual rollback goes to a named release.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction, runCli } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';
import { buildWebImage, type WebImage } from '../harness/web-image.js';

const host = testHost();
const id = randomBytes(3).toString('hex');
const app = `shop-${id}`;
const port = 20000 + Math.floor(Math.random() * 20000);
const secret = `tok-${randomBytes(8).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'belay-deploy-'));
const appDir = join(root, 'app');
const workspace = join(root, 'repo');
const uid = Number(execFileSync('id', ['-u', host.user], { encoding: 'utf8' }));
const gid = Number(execFileSync('id', ['-g', host.user], { encoding: 'utf8' }));
let v1: WebImage;
let v2: WebImage;
let v3: WebImage;

const get = async (path: string) => {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    return `${r.status} ${(await r.text()).trim()}`;
  } catch {
    return 'down';
  }
};

const inputs = (image: WebImage, over: Record<string, string> = {}) => ({
  host: `${host.user}@${host.sshHost}:${host.sshPort}`,
  'ssh-key': readFileSync(host.keys.ed25519, 'utf8'),
  'known-hosts': readFileSync(host.knownHosts, 'utf8'),
  app,
  'app-dir': appDir,
  'compose-file': 'deploy/compose.yml',
  images: `web=${image.ref}`,
  env: `PORT=${port}\nSECRET_TOKEN=${secret}`,
  'health-url': `http://127.0.0.1:${port}/health`,
  'health-via-ssh': 'true',
  'health-timeout': '6s',
  'health-interval': '500ms',
  ...over,
});

const errorsOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::error'));
const shown = (all: string) =>
  all
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

beforeAll(() => {
  v1 = buildWebImage({ name: 'web', version: `v1-${id}`, healthy: true });
  v2 = buildWebImage({ name: 'web', version: `v2-${id}`, healthy: false });
  v3 = buildWebImage({ name: 'web', version: `v3-${id}`, healthy: true });
  execFileSync('mkdir', ['-p', appDir, join(workspace, 'deploy')]);
  chownSync(root, uid, gid);
  chownSync(appDir, uid, gid);
  writeFileSync(
    join(workspace, 'deploy', 'compose.yml'),
    ['services:', '  web:', '    image: placeholder', '    network_mode: host', '    init: true', ''].join('\n'),
  );
}, 120_000);

afterAll(() => {
  try {
    execFileSync('docker', ['compose', '-p', app, 'down', '--timeout', '1'], { stdio: 'ignore' });
  } catch {
    // nothing running
  }
  rmSync(root, { recursive: true, force: true });
});

describe('deploy with a health gate and automatic rollback', () => {
  let first: string;

  it('deploys v1: healthy, a release record, current pointing at it, env 0600 and never printed', async () => {
    const r = await runAction('deploy', inputs(v1), { cwd: workspace });
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('deployed');
    first = r.outputs['release-id']!;
    expect(await get('/version')).toBe(`200 v1-${id}`);
    const release = join(appDir, '.belay', 'releases', first);
    expect(lstatSync(join(appDir, '.belay', 'current')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(appDir, '.belay', 'current'))).toContain(first);
    expect(statSync(join(release, 'env')).mode & 0o777).toBe(0o600);
    const record = JSON.parse(readFileSync(join(release, 'release.json'), 'utf8'));
    expect(record).toMatchObject({ id: first, app, outcome: 'deployed', images: { web: v1.ref } });
    expect(record.envHash).toMatch(/^[0-9a-f]{64}$/);
    expect(shown(r.all)).not.toContain(secret);
    expect(r.summary).toContain(`belay deploy ${app} ${first}: deployed`);
  });

  it('deploys v2, whose health never passes: v1 serves again by itself, exit 1, v2 said why', async () => {
    const r = await runAction('deploy', inputs(v2), { cwd: workspace });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('rolled-back');
    expect(await get('/version')).toBe(`200 v1-${id}`);
    // v2's own log, on screen (the port is an env value, so it is masked like every other).
    expect(r.stdout).toContain(`web-1  | web v2-${id} starting on port ***`);
    expect(errorsOf(r.stdout).join('\n')).toContain(`is not healthy`);
    expect(errorsOf(r.stdout).join('\n')).toContain(`${first} is serving again`);
    const failed = JSON.parse(
      readFileSync(join(appDir, '.belay', 'releases', r.outputs['release-id']!, 'release.json'), 'utf8'),
    );
    expect(failed.outcome).toBe('rolled-back');
    expect(readlinkSync(join(appDir, '.belay', 'current'))).toContain(first);
    expect(shown(r.all)).not.toContain(secret);
    // The job summary: the timeline, what the gate saw, and what was rolled back.
    expect(r.summary).toContain('| health gate (new release) |');
    expect(r.summary).toContain('new release: not healthy');
    expect(r.summary).toContain(`rolled back from ${r.outputs['release-id']} to ${first}`);
    expect(r.summary).toMatch(/rollback: http:\/\/127\.0\.0\.1:\*\*\*\/health healthy after \d+ attempt/); // the port is an env value
    // Nor any line of the SSH key.
    for (const line of readFileSync(host.keys.ed25519, 'utf8')
      .split('\n')
      .filter((l) => l.length > 20)) {
      expect(shown(r.all)).not.toContain(line);
    }
  });

  it('belay releases lists them, newest last, with status and images', async () => {
    const r = await runCli([
      'releases',
      '--app',
      app,
      '--app-dir',
      appDir,
      '--host',
      `${host.user}@${host.sshHost}:${host.sshPort}`,
      '--ssh-key-file',
      host.keys.ed25519,
      '--known-hosts-file',
      host.knownHosts,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const releases = JSON.parse(JSON.parse(r.stdout).releases) as { id: string; outcome: string; current: boolean }[];
    expect(releases.map((x) => [x.outcome, x.current])).toEqual([
      ['deployed', true],
      ['rolled-back', false],
    ]);
  });

  it('rollback to a named release: v3 deployed, then back to v1 by id, through the same gate', async () => {
    const r3 = await runAction('deploy', inputs(v3), { cwd: workspace });
    expect(r3.outputs.status).toBe('deployed');
    expect(await get('/version')).toBe(`200 v3-${id}`);
    const connection: Record<string, string> = inputs(v1);
    for (const name of ['images', 'env', 'compose-file']) delete connection[name];
    const back = await runAction('rollback', { ...connection, release: first }, { cwd: workspace });
    expect(errorsOf(back.stdout)).toEqual([]);
    expect(back.code).toBe(0);
    expect(back.outputs).toMatchObject({
      status: 'deployed',
      'release-id': first,
      'previous-release-id': r3.outputs['release-id'],
    });
    expect(await get('/version')).toBe(`200 v1-${id}`);
    expect(readlinkSync(join(appDir, '.belay', 'current'))).toContain(first);
    // v1's images are pinned by digest and still on the server: used as they are, not pulled again.
    expect(back.stdout).toContain(`the images of ${first} (pinned by digest) are on`);
    expect(back.summary).not.toContain('pull (rollback');

    const unknown = await runAction(
      'rollback',
      { ...connection, release: '20200101T000000Z-0000' },
      { cwd: workspace },
    );
    expect(unknown.code).toBe(1);
    expect(errorsOf(unknown.stdout)).toEqual([expect.stringContaining('there is no release 20200101T000000Z-0000')]);
    expect(await get('/version')).toBe(`200 v1-${id}`);
  });

  it('rollback to a release whose images are neither on the server nor in the registry: refused, nothing changed', async () => {
    const registry = v1.ref.slice(0, v1.ref.indexOf('/'));
    const gone = `${registry}/belay-test/never-pushed-${id}@sha256:${'0'.repeat(64)}`;
    const failed = await runAction('deploy', inputs(v1, { images: `web=${gone}` }), { cwd: workspace });
    expect(failed.code).toBe(1);
    const before = readlinkSync(join(appDir, '.belay', 'current'));
    const connection: Record<string, string> = inputs(v1);
    for (const name of ['images', 'env', 'compose-file']) delete connection[name];
    const back = await runAction(
      'rollback',
      { ...connection, release: failed.outputs['release-id']! },
      { cwd: workspace },
    );
    expect(back.code).toBe(1);
    expect(errorsOf(back.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(`The images of ${failed.outputs['release-id']} cannot be pulled .*: nothing was changed`),
      ),
    ]);
    expect(readlinkSync(join(appDir, '.belay', 'current'))).toBe(before);
    expect(await get('/version')).toBe(`200 v1-${id}`);
  });
});

describe('deploy refuses bad input before connecting, in one line', () => {
  it.each([
    [{ images: 'web ghcr.io/x' }, 'Invalid input "images": "web ghcr.io/x" is not service=image-ref'],
    [{ env: 'PORT=1\nTOKEN hunter2' }, 'Invalid input "env": line 2 is not NAME=value. Write one NAME=value'],
    [{ env: "TOKEN=it's" }, 'Invalid input "env": the value of TOKEN contains a single quote'],
    [{ services: 'web;reboot' }, 'Invalid input "services": "web;reboot" is not a compose service name'],
    [{ 'compose-file': '' }, 'Invalid input "compose-file": no compose file given'],
    [{ health: 'url', 'health-url': '' }, 'Invalid input "health-url": health: url needs it'],
  ])('%j', async (over, message) => {
    const r = await runAction('deploy', { ...inputs(v1), ...over }, { cwd: workspace });
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toEqual([expect.stringContaining(message)]);
    expect(shown(r.all)).not.toContain(secret);
    expect(shown(r.all)).not.toContain('hunter2');
  });
});
