/**
 * The deploy action on a server that has only Compose v1 (`docker-compose` 1.29, Python): the test host's second
 * login, whose `docker` has no compose plugin and whose `docker-compose` is Debian's 1.29 (see
 * test/harness/compose-v1.ts). belay must find v1 by itself, deploy with it, roll back with it, and doctor must say
 * which Compose it found. The containers' own compose label proves which Compose made them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { changedByComposeV1, dockerComposeVersion } from '../../src/deploy/compose.js';
import { composeV1, composeV1Login } from '../harness/compose-v1.js';
import { runAction, runCli } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';
import { buildWebImage, type WebImage } from '../harness/web-image.js';

const host = testHost();
const v1Login = composeV1Login();
const target = `${v1Login.user}@${host.sshHost}:${host.sshPort}`;
const id = randomBytes(3).toString('hex');
const app = `legacy-${id}`;
const port = 20000 + Math.floor(Math.random() * 20000);
const secret = `tok-${randomBytes(8).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'belay-deploy-v1-'));
const appDir = join(root, 'app');
const workspace = join(root, 'repo');
const uid = Number(execFileSync('id', ['-u', v1Login.user], { encoding: 'utf8' }));
const gid = Number(execFileSync('id', ['-g', v1Login.user], { encoding: 'utf8' }));
let healthy: WebImage; // release 1
let broken: WebImage; // release 2: /health never answers

const get = async (path: string) => {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    return `${r.status} ${(await r.text()).trim()}`;
  } catch {
    return 'down';
  }
};

const connection = () => ({
  host: target,
  'ssh-key': readFileSync(host.keys.ed25519, 'utf8'),
  'known-hosts': readFileSync(host.knownHosts, 'utf8'),
  app,
  'app-dir': appDir,
});

const inputs = (image: WebImage) => ({
  ...connection(),
  'compose-file': 'deploy/compose.yml',
  images: `web=${image.ref}`,
  // v1 reads env files with python-dotenv: `$` in a single-quoted value stays literal there too (but see
  // changedByComposeV1 for what v1 does change).
  env: `PORT=${port}\nSECRET_TOKEN=${secret}\nPRICE=costs $5, not $HOME`,
  'health-url': `http://127.0.0.1:${port}/health`,
  'health-via-ssh': 'true',
  'health-timeout': '6s',
  'health-interval': '500ms',
});

const cliConnection = () => [
  '--host',
  target,
  '--ssh-key-file',
  host.keys.ed25519,
  '--known-hosts-file',
  host.knownHosts,
];

/** The containers of the app: name, image and the version of the Compose that created them (its own label). */
const containers = () => {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${app}`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return [];
  return execFileSync(
    'docker',
    [
      'inspect',
      '--format',
      '{{.Name}} {{.Config.Image}} {{index .Config.Labels "com.docker.compose.version"}}',
      ...ids,
    ],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n')
    .map((l) => l.replace(/^\//, ''));
};

const errorsOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::error'));
const shown = (all: string) =>
  all
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

beforeAll(() => {
  healthy = buildWebImage({ name: 'web', version: `r1-${id}`, healthy: true });
  broken = buildWebImage({ name: 'web', version: `r2-${id}`, healthy: false });
  execFileSync('mkdir', ['-p', appDir, join(workspace, 'deploy')]);
  chownSync(root, uid, gid);
  chownSync(appDir, uid, gid);
  writeFileSync(
    join(workspace, 'deploy', 'compose.yml'),
    // busybox httpd as PID 1 ignores SIGTERM: without a short grace period every recreate waits 10 s.
    ['services:', '  web:', '    image: placeholder', '    network_mode: host', '    stop_grace_period: 1s', ''].join(
      '\n',
    ),
  );
}, 120_000);

afterAll(() => {
  // By label: docker-compose v1 cannot `down` a project without its compose files.
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${app}`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});

describe('a server with only Compose v1 (docker-compose 1.29)', () => {
  let first: string;

  it('belay doctor finds Compose v1, not v2, and says it is end-of-life', async () => {
    const r = await runCli(['doctor', ...cliConnection(), '--app-dir', appDir, '--json']);
    const out = JSON.parse(r.stdout) as { ok: string; warnings: string; report: string };
    const rows = JSON.parse(out.report) as { check: string; status: string; detail: string; fix?: string }[];
    expect(rows.find((x) => x.check === 'compose')).toEqual({
      host: target,
      check: 'compose',
      status: 'warn',
      detail: `Compose v1 ${v1Login.version} (docker-compose); belay supports it, but it is end-of-life`,
      fix: expect.stringContaining('Install the Compose v2 plugin'),
    });
    expect(rows.find((x) => x.check === 'docker')?.status).toBe('ok');
    expect(r.stderr).toMatch(/⚠ +deploy1@127\.0\.0\.1:\d+ +compose +Compose v1 1\.29\.\d/);
    // A warning, not a failure: the server can be deployed to.
    expect(r.code).toBe(0);
    expect(out.ok).toBe('true');
  });

  it('deploys release 1 with docker-compose v1: healthy, its container made by Compose 1.29', async () => {
    // Only in the registry, as after a build elsewhere: no compose pull for a digest, v1's up -d fetches it.
    for (const ref of [healthy.tag, healthy.ref])
      spawnSync('docker', ['image', 'rm', '--force', ref], { stdio: 'ignore' });
    expect(spawnSync('docker', ['image', 'inspect', healthy.ref], { stdio: 'ignore' }).status).not.toBe(0);
    const r = await runAction('deploy', inputs(healthy), { cwd: workspace });
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('deployed');
    first = r.outputs['release-id']!;
    expect(await get('/version')).toBe(`200 r1-${id}`);
    // v1 names containers project_service_1 and labels them with its own version.
    expect(containers()).toEqual([`${app}_web_1 ${healthy.ref} ${v1Login.version}`]);
    const inspect = ['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', `${app}_web_1`];
    const env = execFileSync('docker', inspect, { encoding: 'utf8' }).split('\n');
    expect(env).toEqual(expect.arrayContaining([`SECRET_TOKEN=${secret}`, 'PRICE=costs $5, not $HOME']));
    expect(readlinkSync(join(appDir, '.belay', 'current'))).toContain(first);
    expect(shown(r.all)).not.toContain(secret);
  });

  it('deploys release 2, whose health never passes: release 1 serves again by itself, exit 1, release 2 said why', async () => {
    const r = await runAction('deploy', inputs(broken), { cwd: workspace });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('rolled-back');
    expect(await get('/version')).toBe(`200 r1-${id}`);
    expect(containers()).toEqual([`${app}_web_1 ${healthy.ref} ${v1Login.version}`]);
    // Release 2's own log, through docker-compose v1's `logs` (its prefix is service_1).
    expect(r.stdout).toContain(`web_1  | web r2-${id} starting on port ***`);
    expect(errorsOf(r.stdout).join('\n')).toContain('is not healthy');
    expect(errorsOf(r.stdout).join('\n')).toContain(`${first} is serving again`);
    const failed = JSON.parse(
      readFileSync(join(appDir, '.belay', 'releases', r.outputs['release-id']!, 'release.json'), 'utf8'),
    );
    expect(failed.outcome).toBe('rolled-back');
    expect(readlinkSync(join(appDir, '.belay', 'current'))).toContain(first);
    expect(shown(r.all)).not.toContain(secret);
  });

  it('refuses, before writing a release, an env value docker-compose v1 would change', async () => {
    const before = readlinkSync(join(appDir, '.belay', 'current'));
    const r = await runAction('deploy', { ...inputs(healthy), env: 'GREETING=a${HOME}b' }, { cwd: workspace });
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toEqual([
      expect.stringContaining('Invalid input "env": the value of GREETING contains ${ or a backslash'),
    ]);
    expect(readlinkSync(join(appDir, '.belay', 'current'))).toBe(before);
    expect(existsSync(join(appDir, '.belay', 'lock'))).toBe(false);
    expect(await get('/version')).toBe(`200 r1-${id}`);
  });

  it('belay releases lists both, the first current', async () => {
    const r = await runCli(['releases', '--app', app, '--app-dir', appDir, ...cliConnection(), '--json']);
    expect(r.code).toBe(0);
    const releases = JSON.parse(JSON.parse(r.stdout).releases) as {
      id: string;
      outcome: string;
      current: boolean;
      images: Record<string, string>;
    }[];
    expect(releases.map((x) => [x.outcome, x.current, x.images.web])).toEqual([
      ['deployed', true, healthy.ref],
      ['rolled-back', false, broken.ref],
    ]);
    expect(releases[0]!.id).toBe(first);
  });
});

describe('what belay knows about docker-compose v1, checked against the real one', () => {
  it('changedByComposeV1 flags exactly the env values docker-compose 1.29 reads differently', () => {
    const values = [
      'plain',
      'costs $5, not $HOME',
      'a$$b',
      'x # not a comment',
      'one\\backslash',
      'expands ${HOME}',
      '${UNSET_BELAY_VAR:-fallback}',
      'two \\\\ backslashes',
      'ends with a backslash\\',
    ];
    const dir = mkdtempSync(join(tmpdir(), 'belay-v1-env-'));
    try {
      // One service and env file per value, written as belay writes them, with another variable after it.
      const services: string[] = ['services:'];
      values.forEach((value, i) => {
        writeFileSync(join(dir, `env${i}`), `VALUE='${value}'\nNEXT='next'\n`);
        services.push(`  s${i}:`, '    image: scratch', `    env_file: [env${i}]`);
      });
      writeFileSync(join(dir, 'compose.yml'), services.join('\n') + '\n');
      const config = parse(composeV1(['-f', 'compose.yml', 'config'], dir)) as {
        services: Record<string, { environment?: Record<string, string> }>;
      };
      const read = (i: number) => config.services[`s${i}`]?.environment ?? {};
      const seen = values.map((_, i) => [read(i).VALUE?.replaceAll('$$', '$'), read(i).NEXT]);
      const changed = values.filter((value, i) => seen[i]![0] !== value || seen[i]![1] !== 'next');
      expect(changed).toEqual([
        'expands ${HOME}',
        '${UNSET_BELAY_VAR:-fallback}',
        'two \\\\ backslashes',
        'ends with a backslash\\',
      ]);
      expect(values.filter((value) => changedByComposeV1(`VALUE='${value}'`) === 'VALUE')).toEqual(changed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dockerComposeVersion: this v1 is supported, v1 before 1.27 is not, 2.x is v2 standalone', () => {
    expect(dockerComposeVersion(`${v1Login.version}\n`)).toEqual({
      version: v1Login.version,
      major: 1,
      supported: true,
    });
    expect(dockerComposeVersion('1.25.0')).toMatchObject({ major: 1, supported: false });
    expect(dockerComposeVersion('1.27.0')).toMatchObject({ major: 1, supported: true });
    expect(dockerComposeVersion('v2.26.1')).toEqual({ version: '2.26.1', major: 2, supported: true });
  });
});
