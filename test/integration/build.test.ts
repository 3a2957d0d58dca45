/**
 * build-image / `belay build` against the test host's real dockerd and registry (127.0.0.1:5000), through the
 * bundles a user runs. Images are FROM scratch with busybox-static; RUN steps use `network: host` because the test
 * dockerd has no bridge.
 */
import { spawnSync } from 'node:child_process';
import { jest } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestInRegistry, startRegistry, type TestRegistry } from '../harness/registry.js';
import { ROOT, runAction, runCli } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

jest.setTimeout(180_000);

const registry = testHost().registry;
const run = `t${Date.now().toString(36)}`;
const temps: string[] = [];

/** A build context: busybox at /bin/busybox and the given Dockerfile. */
function context(dockerfile: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'belay-build-test-'));
  temps.push(dir);
  writeFileSync(join(dir, 'busybox'), readFileSync('/bin/busybox'), { mode: 0o755 });
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const HELLO = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'COPY message /message',
  'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox cp /message /hello"]',
  'CMD ["/bin/busybox", "cat", "/hello"]',
  '',
].join('\n');

/** What the step showed: the runner's own `::add-mask::` commands (which carry the values to hide) left out. */
const shown = (r: { all: string }) =>
  r.all
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' });

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('build, push, digest', () => {
  it('pushes a FROM-scratch image whose digest output is the registry digest, and pull by ref works', async () => {
    const dir = context(HELLO, { message: `hello from ${run}\n` });
    const image = `${registry}/belay-test/${run}-app`;
    const r = await runAction('build-image', { image, tags: `first\n{{sha}}`, network: 'host' }, { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.outputs.image).toBe(image);
    expect(r.outputs.tags).toBe(`${image}:first`); // not a git repository: {{sha}} gives no tag
    const inRegistry = await digestInRegistry(registry, `belay-test/${run}-app`, 'first');
    expect(inRegistry).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.outputs.digest).toBe(inRegistry);
    expect(r.outputs.ref).toBe(`${image}@${inRegistry}`);
    expect(JSON.parse(r.outputs.metadata!)).toMatchObject({ digest: inRegistry, tags: ['first'], pushed: true });
    // The build's own output was streamed in a group.
    expect(r.stdout).toMatch(/::group::docker buildx build[\s\S]*naming to [\s\S]*::endgroup::/);
    expect(r.summary).toContain(inRegistry!);

    // Pull by ref from the registry, with nothing of it left locally, and run it.
    docker('image', 'rm', '--force', `${image}:first`);
    expect(docker('pull', r.outputs.ref!).status).toBe(0);
    const ran = docker('run', '--rm', '--network', 'none', r.outputs.ref!);
    expect(ran.stdout).toBe(`hello from ${run}\n`);
    docker('image', 'rm', '--force', r.outputs.ref!);
  });

  it('the CLI builds the same way; --json prints the outputs', async () => {
    const dir = context(HELLO, { message: 'cli\n' });
    const image = `${registry}/belay-test/${run}-cli`;
    const r = await runCli(['build', '--image', image, '--tags', 'cli', '--network', 'host', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const outputs = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string>;
    expect(outputs.digest).toBe(await digestInRegistry(registry, `belay-test/${run}-cli`, 'cli'));
    expect(r.stderr).toContain('no cache service outside GitHub Actions');
  });

  it('passes build secrets without showing them in the log or leaving them in the image', async () => {
    const secret = `s3cr3t-${run}-value`;
    const dir = context(
      [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        `RUN --mount=type=secret,id=token ["/bin/busybox", "sh", "-c", "/bin/busybox cat /run/secrets/token; echo; /bin/busybox test -s /run/secrets/token && echo secret-was-there-${run}"]`,
        '',
      ].join('\n'),
    );
    const image = `${registry}/belay-test/${run}-secret`;
    const r = await runAction(
      'build-image',
      { image, tags: 'secret', network: 'host', secrets: `token=${secret}`, push: 'false' },
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(r.all).toContain(`secret-was-there-${run}`);
    expect(r.all).toMatch(/#\d+ [\d.]+ \*\*\*\n/); // the step printed it: the log shows the mask
    expect(shown(r)).not.toContain(secret);
    const history = docker('history', '--no-trunc', `${image}:secret`).stdout;
    const inspect = docker('image', 'inspect', `${image}:secret`).stdout;
    expect(history + inspect).not.toContain(secret);
    docker('image', 'rm', '--force', `${image}:secret`);
  });

  it('a failing Dockerfile step fails with exit 1, that step and its output, annotated on the Dockerfile', async () => {
    const dir = context(
      [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        'RUN ["/bin/busybox", "sh", "-c", "echo compiling app; echo error: missing semicolon >&2; exit 3"]',
        '',
      ].join('\n'),
    );
    const r = await runAction(
      'build-image',
      { image: `${registry}/belay-test/${run}-broken`, tags: 'x', network: 'host' },
      { cwd: dir },
    );
    expect(r.code).toBe(1);
    const error = r.stdout.split('\n').find((l) => l.startsWith('::error'));
    expect(error).toMatch(/^::error title=Image build failed,file=Dockerfile,line=3::docker buildx build failed/);
    expect(error).toContain('at step [2/2] RUN');
    // The step's stdout and stderr lines, in whichever order BuildKit interleaved them.
    expect(error).toContain('%0A  compiling app%0A');
    expect(error).toContain('%0A  error: missing semicolon%0A');
    expect(r.outputs.digest ?? '').toBe('');
  });
});

describe('tags from git (temporary repository, GitHub context variables)', () => {
  let repo: string;
  let sha: string;
  beforeAll(() => {
    repo = context(HELLO, { message: 'tags\n' });
    const git = (...args: string[]) =>
      spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
        cwd: repo,
        encoding: 'utf8',
      });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'init');
    sha = git('rev-parse', 'HEAD').stdout.trim();
  });

  const build = async (env: Record<string, string>, event: object = {}) => {
    const eventPath = join(repo, '..', `${run}-event-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(eventPath, JSON.stringify({ repository: { default_branch: 'main', name: 'shop' }, ...event }));
    temps.push(eventPath);
    const image = `${registry}/belay-test/${run}-tags`;
    const r = await runAction(
      'build-image',
      { image, network: 'host', push: 'false' },
      {
        cwd: repo,
        env: {
          GITHUB_SHA: sha,
          GITHUB_EVENT_PATH: eventPath,
          GITHUB_REPOSITORY: 'acme/shop',
          GITHUB_SERVER_URL: 'https://github.com',
          ...env,
        },
      },
    );
    expect(r.code).toBe(0);
    return { tags: r.outputs.tags!.split('\n').map((t) => t.slice(image.length + 1)), r, image };
  };

  it('a push to a feature branch: sha-<7> and the sanitised branch name, no latest', async () => {
    const { tags } = await build({ GITHUB_REF: 'refs/heads/feature/Login#2', GITHUB_EVENT_NAME: 'push' });
    expect(tags).toEqual([`sha-${sha.slice(0, 7)}`, 'feature-Login-2']);
  });

  it('a v1.2.3 tag: 1.2.3, 1.2 and 1, and the OCI labels', async () => {
    const { tags, image } = await build({ GITHUB_REF: 'refs/tags/v1.2.3', GITHUB_EVENT_NAME: 'push' });
    expect(tags).toEqual([`sha-${sha.slice(0, 7)}`, '1.2.3', '1.2', '1']);
    const labels = JSON.parse(
      docker('image', 'inspect', '--format', '{{json .Config.Labels}}', `${image}:1.2.3`).stdout,
    ) as Record<string, string>;
    expect(labels).toMatchObject({
      'org.opencontainers.image.source': 'https://github.com/acme/shop',
      'org.opencontainers.image.revision': sha,
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.title': 'shop',
    });
    expect(labels['org.opencontainers.image.created']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('the default branch: its name and latest', async () => {
    const { tags } = await build({ GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_NAME: 'push' });
    expect(tags).toEqual([`sha-${sha.slice(0, 7)}`, 'main', 'latest']);
  });

  it('a pull request: pr-<n> and the head commit, no branch and no latest', async () => {
    const head = 'abcdef0123456789abcdef0123456789abcdef01';
    const { tags } = await build(
      { GITHUB_REF: 'refs/pull/42/merge', GITHUB_EVENT_NAME: 'pull_request' },
      { pull_request: { number: 42, head: { sha: head } } },
    );
    expect(tags).toEqual(['sha-abcdef0', 'pr-42']);
  });
});

describe('registry login (htpasswd)', () => {
  const user = 'alice';
  const password = `pw-${run}-Xy9`;
  let authed: TestRegistry;
  beforeAll(async () => {
    authed = await startRegistry({ user, password });
  });
  afterAll(async () => {
    await authed?.stop();
  });

  it('logs in with the password on stdin, pushes, and reads the digest through the auth', async () => {
    const dir = context(HELLO, { message: 'authed\n' });
    const before = existsSync(join(homedir(), '.docker/config.json'))
      ? readFileSync(join(homedir(), '.docker/config.json'), 'utf8')
      : undefined;
    const image = `${authed.address}/team/app`;
    const r = await runAction(
      'build-image',
      { image, tags: 'v1', network: 'host', 'registry-username': user, 'registry-password': password },
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(r.all).toContain(`logged in to ${authed.address} as ${user}`);
    expect(shown(r)).not.toContain(password);
    expect(r.outputs.digest).toBe(await digestInRegistry(authed.address, 'team/app', 'v1', { user, password }));
    // The login lived in a temporary docker config: the user's own is untouched.
    const after = existsSync(join(homedir(), '.docker/config.json'))
      ? readFileSync(join(homedir(), '.docker/config.json'), 'utf8')
      : undefined;
    expect(after).toBe(before);
    docker('image', 'rm', '--force', `${image}:v1`);
  });

  it('a wrong password: one clear error naming the inputs, exit 1, nothing built', async () => {
    const dir = context(HELLO, { message: 'wrong\n' });
    const wrong = `not-${password}`;
    const r = await runAction(
      'build-image',
      { image: `${authed.address}/team/app`, tags: 'v2', 'registry-username': user, 'registry-password': wrong },
      { cwd: dir },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `::error::Login to ${authed.address.replace(/\./g, '\\.')} as alice failed: .*401 unauthorized.*Check registry-username and registry-password`,
        'i',
      ),
    );
    expect(shown(r)).not.toContain(wrong);
    expect(r.all).not.toContain('docker buildx build');
  });

  it('no credentials for a registry that needs them: the push fails with exit 1', async () => {
    const dir = context(HELLO, { message: 'anon\n' });
    const r = await runCli(['build', '--image', `${authed.address}/team/app`, '--tags', 'anon', '--network', 'host'], {
      cwd: dir,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: docker buildx build failed \(exit 1\) at step pushing .*team\/app:anon/m);
    expect(r.stderr).toContain('ERROR: no basic auth credentials');
    expect(r.stderr).toContain('The registry refused the push: give registry-username and registry-password');
  });
});

/**
 * Runs the CLI with buildx's plugin folders hidden behind empty ones in a private mount namespace (root only, as
 * the test host is): the docker CLI then finds no buildx, exactly as on a machine without the plugin. Nothing is
 * uninstalled and nothing outside that one process tree sees the change.
 */
function cliWithoutBuildx(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const empty = mkdtempSync(join(tmpdir(), 'belay-no-plugins-'));
  temps.push(empty);
  const dirs = [
    join(homedir(), '.docker/cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
  ].filter((d) => existsSync(d));
  const script =
    'empty=$1; shift; n=$1; shift; i=0; while [ "$i" -lt "$n" ]; do mount --bind "$empty" "$1" || exit 97; shift; i=$((i+1)); done; exec "$@"';
  const argv = ['--mount', 'sh', '-c', script, 'sh', empty, String(dirs.length), ...dirs, process.execPath];
  argv.push(join(ROOT, 'dist/cli/index.js'), ...args);
  const r = spawnSync('unshare', argv, { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('without buildx', () => {
  it('falls back to the classic docker build and push, says so, and the digest is the registry one', async () => {
    const dir = context(HELLO, { message: 'classic\n' });
    const image = `${registry}/belay-test/${run}-classic`;
    const r = cliWithoutBuildx(['build', '--image', image, '--tags', 'old,older', '--network', 'host', '--json'], dir);
    expect(r.stderr).not.toContain('exit 97');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('docker buildx is not installed: using the classic builder');
    expect(r.stderr).toContain('Successfully built');
    const outputs = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string>;
    const inRegistry = await digestInRegistry(registry, `belay-test/${run}-classic`, 'old');
    expect(outputs.digest).toBe(inRegistry);
    expect(await digestInRegistry(registry, `belay-test/${run}-classic`, 'older')).toBe(inRegistry);
    expect(JSON.parse(outputs.metadata!)).toMatchObject({ builder: 'classic' });
    docker('image', 'rm', '--force', `${image}:old`, `${image}:older`);
    expect(docker('pull', outputs.ref!).status).toBe(0);
    docker('image', 'rm', '--force', outputs.ref!);
  });

  it('build secrets without buildx: a clear error, exit 1', async () => {
    const dir = context(HELLO, { message: 'x\n' });
    const r = cliWithoutBuildx(
      ['build', '--image', `${registry}/belay-test/${run}-classic`, '--tags', 'x', '--secrets', 'token=abc123xyz'],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Invalid input "secrets": build secrets need buildx. Install docker-buildx, or drop secrets.',
    );
    expect(r.stdout + r.stderr).not.toContain('abc123xyz');
  });
});

describe('bad input', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { image: `${registry}/app:v1` },
      /Invalid input "image": ".*app:v1" has a tag or digest\. Give the repository only/,
    ],
    [{ image: 'Has Spaces/app' }, /Invalid input "image": .* is not an image repository name/],
    [
      { image: `${registry}/app`, 'registry-username': 'bob' },
      /Invalid input "registry-password": a user for .* is given but was not given/,
    ],
    [{ image: `${registry}/app`, tags: 'bad tag!' }, /Invalid input "tags": "bad tag!" is not a valid docker tag/],
    [{ image: `${registry}/app`, tags: '{{nope}}' }, /Invalid input "tags": "\{\{nope\}\}" is not a placeholder/],
    [
      { image: `${registry}/app`, 'build-args': 'JUST_A_NAME' },
      /Invalid input "build-args": "JUST_A_NAME" is not NAME=value/,
    ],
    [{ image: `${registry}/app`, secrets: 'no-equals-sign-secret' }, /Invalid input "secrets": line 1 is not id=value/],
    [{ image: `${registry}/app`, context: 'nowhere' }, /Invalid input "context": .*nowhere is not a folder/],
    [{ image: `${registry}/app`, platforms: 'amd64' }, /Invalid input "platforms": "amd64" is not a platform/],
  ];
  for (const [inputs, message] of cases) {
    it(`${JSON.stringify(inputs)}`, async () => {
      const dir = context(HELLO, { message: 'x\n' });
      mkdirSync(join(dir, 'sub'), { recursive: true });
      const r = await runAction('build-image', inputs, { cwd: dir });
      expect(r.code).toBe(1);
      const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(message);
      expect(shown(r)).not.toContain('no-equals-sign-secret');
    });
  }
});
