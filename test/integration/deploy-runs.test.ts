/**
 * Deploys meeting the real world, end to end on the test host (real sshd, dockerd, registry, compose): two deploys
 * at once, a runner that vanishes with the lock held, a cancelled job whose post step releases the lock, the sshd
 * process serving a deploy killed half way, hostile values, and GitHub Deployments.
 *
 * GitHub's REST API cannot be reached from here: the Deployments test answers its calls with a local HTTP server
 * that speaks the same endpoints (POST /repos/{owner}/{repo}/deployments and …/statuses). Everything else is real.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';
import { buildWebImage, type WebImage } from '../harness/web-image.js';

const host = testHost();
const id = randomBytes(3).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'belay-deploy-runs-'));
const uid = Number(execFileSync('id', ['-u', host.user], { encoding: 'utf8' }));
const gid = Number(execFileSync('id', ['-g', host.user], { encoding: 'utf8' }));
const basePort = 20000 + Math.floor(Math.random() * 20000);
const apps: string[] = [];
let healthy: WebImage;
let broken: WebImage;

const errorsOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::error'));
const warningsOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::warning'));
const shown = (all: string) =>
  all
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** An app of its own: compose project, app-dir owned by the SSH user, a workspace with its compose file, a port. */
function newApp(n: number, appDirName = 'app') {
  const app = `runs-${id}-${n}`;
  apps.push(app);
  const port = basePort + n;
  const dir = join(root, app);
  const appDir = join(dir, appDirName);
  const workspace = join(dir, 'repo');
  mkdirSync(join(workspace, 'deploy'), { recursive: true });
  mkdirSync(appDir, { recursive: true });
  for (const d of [root, dir, appDir]) chownSync(d, uid, gid);
  writeFileSync(
    join(workspace, 'deploy', 'compose.yml'),
    ['services:', '  web:', '    image: placeholder', '    network_mode: host', '    init: true', ''].join('\n'),
  );
  const inputs = (image: WebImage, over: Record<string, string> = {}): Record<string, string> => ({
    host: `${host.user}@${host.sshHost}:${host.sshPort}`,
    'ssh-key': readFileSync(host.keys.ed25519, 'utf8'),
    'known-hosts': readFileSync(host.knownHosts, 'utf8'),
    app,
    'app-dir': appDir,
    'compose-file': 'deploy/compose.yml',
    images: `web=${image.ref}`,
    env: `PORT=${port}`,
    'health-url': `http://127.0.0.1:${port}/health`,
    'health-via-ssh': 'true',
    'health-timeout': '6s',
    'health-interval': '500ms',
    ...over,
  });
  const lockDir = join(appDir, '.belay', 'lock');
  const current = () => readFileSync(join(appDir, '.belay', 'current', 'release.json'), 'utf8');
  return { app, port, appDir, workspace, inputs, lockDir, current, cwd: { cwd: workspace } };
}

beforeAll(() => {
  healthy = buildWebImage({ name: 'web', version: `runs-ok-${id}`, healthy: true });
  broken = buildWebImage({ name: 'web', version: `runs-bad-${id}`, healthy: false });
}, 120_000);

afterAll(() => {
  for (const app of apps) {
    try {
      execFileSync('docker', ['compose', '-p', app, 'down', '--timeout', '1'], { stdio: 'ignore' });
    } catch {
      // nothing running
    }
  }
  rmSync(root, { recursive: true, force: true });
});

describe('two deploys at once', () => {
  it('the second waits, saying who holds the lock, then deploys on top of the first', async () => {
    const s = newApp(1);
    const first = runAction('deploy', s.inputs(healthy, { 'pre-deploy': 'sleep 4' }), s.cwd);
    await waitFor('the first deploy to hold the lock', () => existsSync(join(s.lockDir, 'owner.json')));
    const second = await runAction('deploy', s.inputs(healthy, { 'lock-timeout': '60s' }), s.cwd);
    const one = await first;
    expect([one.code, second.code]).toEqual([0, 0]);
    expect(second.stdout).toContain(`waiting for the deploy lock on`);
    expect(second.stdout).toContain(`for release ${one.outputs['release-id']}`);
    expect(second.outputs['previous-release-id']).toBe(one.outputs['release-id']);
    expect(JSON.parse(s.current()).id).toBe(second.outputs['release-id']);
    expect(existsSync(s.lockDir)).toBe(false);
  });

  it('with a short lock-timeout the second fails in one line naming the holder; the first is not disturbed', async () => {
    const s = newApp(2);
    const first = runAction('deploy', s.inputs(healthy, { 'pre-deploy': 'sleep 5' }), s.cwd);
    await waitFor('the first deploy to hold the lock', () => existsSync(join(s.lockDir, 'owner.json')));
    const second = await runAction('deploy', s.inputs(healthy, { 'lock-timeout': '1s' }), s.cwd);
    const one = await first;
    expect(second.code).toBe(1);
    expect(second.outputs.status).toBe('failed');
    const errors = errorsOf(second.stdout);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`is held by release ${one.outputs['release-id']}`);
    expect(errors[0]).toContain('rm -rf --');
    expect(one.code).toBe(0);
    expect(JSON.parse(s.current()).id).toBe(one.outputs['release-id']);
  });
});

describe('a deploy that does not end by itself', () => {
  const hook = (marker: string) => `echo ${marker}; sleep 20`;

  it('a vanished runner (killed) leaves the lock; the next deploy breaks it after lock-stale-after', async () => {
    const s = newApp(3);
    const gone = await runAction('deploy', s.inputs(healthy, { 'pre-deploy': hook('hook-started') }), {
      ...s.cwd,
      interrupt: { when: 'hook-started', signal: 'SIGKILL' },
    });
    expect(gone.code).not.toBe(0);
    expect(existsSync(join(s.lockDir, 'owner.json'))).toBe(true);
    const next = await runAction(
      'deploy',
      s.inputs(healthy, { 'lock-stale-after': '2s', 'lock-timeout': '30s' }),
      s.cwd,
    );
    expect(errorsOf(next.stdout)).toEqual([]);
    expect(next.code).toBe(0);
    expect(warningsOf(next.stdout).join('\n')).toContain('Broke a stale deploy lock');
    expect(existsSync(s.lockDir)).toBe(false);
  });

  it("a cancelled job: the action's post step releases the lock its main step held", async () => {
    const s = newApp(4);
    const cancelled = await runAction('deploy', s.inputs(healthy, { 'pre-deploy': hook('hook-started') }), {
      ...s.cwd,
      interrupt: { when: 'hook-started', signal: 'SIGINT' },
      post: true,
    });
    expect(cancelled.code).not.toBe(0);
    const release = cancelled.stdout.match(/release (\S+) on /)?.[1];
    expect(release).toBeDefined();
    expect(cancelled.post!.code).toBe(0);
    expect(cancelled.post!.stdout).toContain(`released the deploy lock of release ${release}`);
    expect(existsSync(s.lockDir)).toBe(false);
    // Nothing to wait for: the next deploy takes the lock at its first look.
    const next = await runAction('deploy', s.inputs(healthy, { 'lock-timeout': '1s' }), {
      ...s.cwd,
      post: true,
    });
    expect(next.code).toBe(0);
    expect(next.stdout).not.toContain('waiting for the deploy lock');
    // A main step that released its lock leaves its post step nothing to do: it does not even connect.
    expect(next.post!.code).toBe(0);
    expect(next.post!.stdout.trim()).toBe('');
  });

  it('the sshd process serving the deploy killed half way: exit 1, the lock released over a new connection, a re-run ends healthy', async () => {
    const s = newApp(5);
    const pidFile = join(s.appDir, 'sshd.pid');
    // The hook finds the sshd process its commands run under, for the test to kill.
    const findSshd = `p=$$; while [ "$(cat /proc/$p/comm)" != sshd ]; do p=$(cut -d' ' -f4 /proc/$p/stat); done; echo $p > ${pidFile}; sleep 20`;
    const run = runAction('deploy', s.inputs(healthy, { 'pre-deploy': findSshd }), s.cwd);
    await waitFor(
      'the hook to name its sshd',
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'),
    );
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    const dropped = await run;
    expect(dropped.code).toBe(1);
    expect(dropped.outputs.status).toBe('failed');
    expect(errorsOf(dropped.stdout).join('\n')).toMatch(
      /Lost the SSH connection to .* while running: env BELAY_RELEASE=/,
    );
    expect(warningsOf(dropped.stdout).join('\n')).toContain('the deploy lock was released over a new one');
    expect(existsSync(s.lockDir)).toBe(false);
    const again = await runAction('deploy', s.inputs(healthy, { 'lock-timeout': '1s' }), s.cwd);
    expect(errorsOf(again.stdout)).toEqual([]);
    expect(again.code).toBe(0);
    expect(JSON.parse(s.current()).id).toBe(again.outputs['release-id']);
  });
});

describe('keep-releases', () => {
  it('prunes the oldest releases, and the images only they used', async () => {
    const s = newApp(9);
    const images = [1, 2, 3].map((n) => buildWebImage({ name: 'web', version: `runs-prune${n}-${id}`, healthy: true }));
    // Registry images the server pulls, as in real life: not the ones the build left on this same dockerd.
    for (const image of images) execFileSync('docker', ['image', 'rm', image.tag], { stdio: 'ignore' });
    const present = (ref: string) => spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;
    const ids: string[] = [];
    for (const image of images) {
      const r = await runAction('deploy', s.inputs(image, { 'keep-releases': '2' }), s.cwd);
      expect(r.code).toBe(0);
      ids.push(r.outputs['release-id']!);
    }
    // Ids made in the same second need not sort in deploy order (prune goes by createdAt), so compare as sets.
    expect(readdirSync(join(s.appDir, '.belay', 'releases')).sort()).toEqual(ids.slice(1).sort());
    expect(images.map((image) => present(image.ref))).toEqual([false, true, true]);
  });
});

describe('pre-deploy and post-deploy hooks', () => {
  /** A hook that writes the release's facts, as its environment and working folder give them, to `<name>.txt`. */
  const facts = (name: string) =>
    `printf '%s|%s|%s|%s\\n' "$BELAY_APP" "$BELAY_RELEASE" "$BELAY_PREVIOUS_RELEASE" "$(pwd)" > ${name}.txt`;
  const webContainer = (app: string) =>
    execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${app}`], {
      encoding: 'utf8',
    }).trim();

  it('run in app-dir with BELAY_APP, BELAY_RELEASE and BELAY_PREVIOUS_RELEASE; a failing pre-deploy stops the deploy before anything changes', async () => {
    const s = newApp(11);
    const hooks = { 'pre-deploy': facts('pre'), 'post-deploy': facts('post') };
    const read = (name: string) => readFileSync(join(s.appDir, `${name}.txt`), 'utf8');
    const first = await runAction('deploy', s.inputs(healthy, hooks), s.cwd);
    expect(errorsOf(first.stdout)).toEqual([]);
    const id1 = first.outputs['release-id']!;
    expect(read('pre')).toBe(`${s.app}|${id1}||${s.appDir}\n`);
    expect(read('post')).toBe(`${s.app}|${id1}||${s.appDir}\n`);
    const second = await runAction('deploy', s.inputs(healthy, hooks), s.cwd);
    expect(second.code).toBe(0);
    const id2 = second.outputs['release-id']!;
    expect(read('pre')).toBe(`${s.app}|${id2}|${id1}|${s.appDir}\n`);
    expect(read('post')).toBe(`${s.app}|${id2}|${id1}|${s.appDir}\n`);

    // The broken image would replace the container (then be rolled back) if the hook did not stop the deploy.
    const running = webContainer(s.app);
    const stopped = await runAction(
      'deploy',
      s.inputs(broken, { 'pre-deploy': 'echo checking the disk; echo "disk almost full" >&2; exit 3' }),
      s.cwd,
    );
    expect(stopped.code).toBe(1);
    expect(stopped.outputs.status).toBe('failed');
    expect(errorsOf(stopped.stdout).join('\n')).toContain('pre-deploy failed (exit 3): disk almost full');
    expect(stopped.stdout).toContain('checking the disk');
    expect(webContainer(s.app)).toBe(running);
    expect(JSON.parse(s.current()).id).toBe(id2);
    const record = JSON.parse(
      readFileSync(join(s.appDir, '.belay', 'releases', stopped.outputs['release-id']!, 'release.json'), 'utf8'),
    );
    expect(record.outcome).toBe('failed');
    expect(existsSync(s.lockDir)).toBe(false);
  });

  it('a failing post-deploy fails the step; the healthy release it ran after stays current, not rolled back', async () => {
    const s = newApp(12);
    const first = await runAction('deploy', s.inputs(healthy), s.cwd);
    expect(first.code).toBe(0);
    const r = await runAction(
      'deploy',
      s.inputs(healthy, { 'post-deploy': 'echo "cache warm-up failed" >&2; exit 4' }),
      s.cwd,
    );
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('deployed');
    const id = r.outputs['release-id']!;
    expect(errorsOf(r.stdout)).toEqual([
      expect.stringContaining(
        `post-deploy failed (exit 4): cache warm-up failed. Release ${id} is deployed and healthy`,
      ),
    ]);
    expect(r.stdout).not.toContain('rolling back');
    expect(JSON.parse(s.current()).id).toBe(id);
    expect(JSON.parse(s.current()).outcome).toBe('deployed');
    expect(existsSync(s.lockDir)).toBe(false);
  });
});

describe('pulls', () => {
  it('an image pinned by digest is fetched by up -d when the server lacks it, never pulled again; a tag is pulled', async () => {
    const s = newApp(13);
    const image = buildWebImage({ name: 'web', version: `runs-pull-${id}`, healthy: true });
    // Only in the registry, as after a build on another machine.
    execFileSync('docker', ['image', 'rm', image.tag], { stdio: 'ignore' });
    const pulled = (r: { summary: string }) => r.summary.includes('pull (new release)');
    const present = () => spawnSync('docker', ['image', 'inspect', image.ref], { stdio: 'ignore' }).status === 0;
    expect(present()).toBe(false);
    const first = await runAction('deploy', s.inputs(image), s.cwd);
    expect(first.code).toBe(0);
    expect(pulled(first)).toBe(false);
    expect(first.stdout).toContain('the images are pinned by digest: no pull first');
    expect(present()).toBe(true);
    const again = await runAction('deploy', s.inputs(image), s.cwd);
    expect(again.code).toBe(0);
    expect(pulled(again)).toBe(false);
    // Gone from the server again (the running container keeps it, untagged): fetched again, healthy.
    execFileSync('docker', ['image', 'rm', '--force', image.ref], { stdio: 'ignore' });
    const lost = await runAction('deploy', s.inputs(image), s.cwd);
    expect(lost.code).toBe(0);
    expect(lost.outputs.status).toBe('deployed');
    expect(present()).toBe(true);
    // A tag can move in the registry: always pulled.
    const byTag = await runAction('deploy', s.inputs({ ...image, ref: image.tag }), s.cwd);
    expect(byTag.code).toBe(0);
    expect(pulled(byTag)).toBe(true);
  });
});

describe('values the user typed reach the server as data', () => {
  it('env values and an app-dir full of shell syntax execute nothing and arrive byte for byte', async () => {
    const marker = join(root, `pwned-${id}`);
    const s = newApp(6, `app $(touch ${marker}-dir) \`touch ${marker}-tick\``);
    const evil = `$(touch ${marker}-env) \`touch ${marker}-env2\` ; touch ${marker}-env3 "x" $HOME`;
    const r = await runAction('deploy', s.inputs(healthy, { env: `PORT=${s.port}\nEVIL=${evil}` }), s.cwd);
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const envFile = readFileSync(join(s.appDir, '.belay', 'releases', r.outputs['release-id']!, 'env'), 'utf8');
    expect(envFile).toContain(`EVIL='${evil}'`);
    for (const suffix of ['-dir', '-tick', '-env', '-env2', '-env3']) expect(existsSync(marker + suffix)).toBe(false);
    // The container got the value as it was written, nothing expanded.
    const container = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${s.app}`], {
      encoding: 'utf8',
    }).trim();
    const seen = execFileSync('docker', ['inspect', '--format', '{{json .Config.Env}}', container], {
      encoding: 'utf8',
    });
    expect(JSON.parse(seen)).toContain(`EVIL=${evil}`);
    expect(shown(r.all)).not.toContain(evil);
  });
});

describe('GitHub Deployments with github-token', () => {
  interface Call {
    method: string;
    url: string;
    auth: string | undefined;
    body: Record<string, unknown>;
  }
  const calls: Call[] = [];
  let server: Server;
  let api: string;

  beforeAll(async () => {
    // Answers like api.github.com for the two endpoints belay uses; anything else is a 404, as GitHub would.
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        const call = {
          method: req.method ?? '',
          url: req.url ?? '',
          auth: req.headers.authorization,
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        };
        calls.push(call);
        res.setHeader('content-type', 'application/json');
        if (call.method === 'POST' && call.url === '/repos/acme/shop/deployments') {
          res.statusCode = 201;
          res.end(JSON.stringify({ id: 4242, ...call.body }));
        } else if (call.method === 'POST' && call.url === '/repos/acme/shop/deployments/4242/statuses') {
          res.statusCode = 201;
          res.end(JSON.stringify({ id: calls.length, ...call.body }));
        } else {
          res.statusCode = 404;
          res.end(JSON.stringify({ message: 'Not Found' }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('records in_progress then success with the environment URL, and failure when rolled back; the token is never shown', async () => {
    const s = newApp(7);
    writeFileSync(join(s.workspace, 'belay.yml'), 'environments:\n  staging:\n    health-interval: 500ms\n');
    const token = `ghs_${randomBytes(12).toString('hex')}`;
    const sha = randomBytes(20).toString('hex');
    const env = { GITHUB_API_URL: api, GITHUB_REPOSITORY: 'acme/shop', GITHUB_SHA: sha, GITHUB_REF: 'refs/heads/main' };
    const over = { 'github-token': token, environment: 'staging', 'environment-url': 'https://shop.example.test' };

    const ok = await runAction('deploy', s.inputs(healthy, over), { ...s.cwd, env });
    expect(ok.code).toBe(0);
    expect(ok.outputs.url).toBe('https://shop.example.test');
    expect(calls.map((c) => [c.method, c.url, c.body.state ?? ''])).toEqual([
      ['POST', '/repos/acme/shop/deployments', ''],
      ['POST', '/repos/acme/shop/deployments/4242/statuses', 'in_progress'],
      ['POST', '/repos/acme/shop/deployments/4242/statuses', 'success'],
    ]);
    expect(calls[0]!.body).toMatchObject({
      ref: sha,
      environment: 'staging',
      auto_merge: false,
      required_contexts: [],
      payload: { app: s.app, release: ok.outputs['release-id'] },
    });
    expect(calls[2]!.body).toMatchObject({ environment_url: 'https://shop.example.test' });
    expect(calls.every((c) => c.auth === `token ${token}`)).toBe(true);
    expect(shown(ok.all)).not.toContain(token);

    calls.length = 0;
    const bad = await runAction('deploy', s.inputs(broken, over), { ...s.cwd, env });
    expect(bad.code).toBe(1);
    expect(bad.outputs.status).toBe('rolled-back');
    expect(calls.map((c) => c.body.state ?? 'create')).toEqual(['create', 'in_progress', 'failure']);
    expect(String(calls[2]!.body.description)).toContain('rolled-back');
    expect(shown(bad.all)).not.toContain(token);
  });

  it('a GitHub API that refuses is a warning, never what fails the deploy', async () => {
    const s = newApp(8);
    const env = { GITHUB_API_URL: api, GITHUB_REPOSITORY: 'acme/elsewhere', GITHUB_SHA: 'f'.repeat(40) };
    const r = await runAction('deploy', s.inputs(healthy, { 'github-token': 'ghs_nothing_here' }), { ...s.cwd, env });
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('deployed');
    expect(warningsOf(r.stdout).join('\n')).toContain('GitHub Deployment: could not create it');
  });
});
