/**
 * The build as data: argv of buildx and the classic builder (secret values never in them), the cache plan for
 * each builder and place, image names, and what a failed build shows.
 */
import { buildxCommand, classicBuildCommand, type BuildSpec } from '../../src/build/args.js';
import { cacheFlags, planCache, type CacheFacts } from '../../src/build/cache.js';
import { describeBuildFailure, lineOfStep } from '../../src/build/failure.js';
import { parseImageName } from '../../src/build/refs.js';
import { render } from '../../src/core/command.js';

const spec: BuildSpec = {
  context: '/w/app',
  file: '/w/app/docker/Dockerfile',
  target: 'runtime',
  buildArgs: [['NODE_ENV', 'production; rm -rf /']],
  labels: { 'org.opencontainers.image.title': "it's" },
  platforms: ['linux/amd64', 'linux/arm64'],
  network: 'host',
  refs: ['ghcr.io/acme/app:sha-0123456', 'ghcr.io/acme/app:main'],
  push: true,
  secrets: [{ id: 'npm', env: 'BELAY_BUILD_SECRET_0' }],
  noCache: false,
};

describe('buildx argv', () => {
  it('every input is one argv element; secrets only by the name of their variable', () => {
    const command = buildxCommand(spec, '/tmp/m.json', ['--cache-from', 'type=gha,scope=app']);
    expect(command.kind === 'argv' && command.argv).toEqual([
      'docker',
      'buildx',
      'build',
      '--progress',
      'plain',
      '--file',
      '/w/app/docker/Dockerfile',
      '--target',
      'runtime',
      '--build-arg',
      'NODE_ENV=production; rm -rf /',
      '--label',
      "org.opencontainers.image.title=it's",
      '--network',
      'host',
      '--tag',
      'ghcr.io/acme/app:sha-0123456',
      '--tag',
      'ghcr.io/acme/app:main',
      '--platform',
      'linux/amd64,linux/arm64',
      '--secret',
      'id=npm,env=BELAY_BUILD_SECRET_0',
      '--cache-from',
      'type=gha,scope=app',
      '--metadata-file',
      '/tmp/m.json',
      '--push',
      '/w/app',
    ]);
    // As shown in the debug log: quoted by the one quoting function.
    expect(render(command)).toContain("--build-arg 'NODE_ENV=production; rm -rf /'");
  });

  it('without push: --load for one platform, nothing for several (a multi-platform result cannot be loaded)', () => {
    const one = buildxCommand({ ...spec, push: false, platforms: [] }, '/m', []);
    const many = buildxCommand({ ...spec, push: false }, '/m', []);
    expect(one.kind === 'argv' && one.argv).toContain('--load');
    expect(many.kind === 'argv' && many.argv).not.toContain('--load');
    expect(many.kind === 'argv' && many.argv).not.toContain('--push');
  });

  it('the classic builder gets no secrets and one platform', () => {
    const command = classicBuildCommand({ ...spec, platforms: ['linux/arm64'], secrets: [] });
    expect(command.kind === 'argv' && command.argv.slice(0, 2)).toEqual(['docker', 'build']);
    expect(render(command)).toContain('--platform linux/arm64 /w/app');
    expect(render(command)).not.toContain('--secret');
  });
});

describe('cache plan', () => {
  const github = {
    ACTIONS_RUNTIME_TOKEN: 't',
    ACTIONS_RESULTS_URL: 'https://r/',
    RUNNER_TEMP: '/rt',
    RUNNER_OS: 'Linux',
  };
  const facts = (over: Partial<CacheFacts>): CacheFacts => ({
    mode: 'auto',
    buildx: { driver: 'docker-container', version: '0.21.1', buildkit: '0.20.2' },
    env: github,
    service: true,
    keyHash: 'abc',
    scope: 'acme-app',
    ...over,
  });

  it('outside GitHub: a notice, not an error', () => {
    expect(planCache(facts({ env: {} }))).toEqual({ kind: 'none', notice: expect.stringContaining('outside GitHub') });
  });
  it('the docker driver cannot export a cache: says how to get one', () => {
    const plan = planCache(facts({ buildx: { driver: 'docker', version: '0.21.1' } }));
    expect(plan).toEqual({ kind: 'none', notice: expect.stringContaining('docker/setup-buildx-action') });
  });
  it('classic builder: no cache export', () => {
    expect(planCache(facts({ buildx: undefined as never }))).toMatchObject({ kind: 'none' });
  });
  it('gha when the builder speaks the runner cache service', () => {
    const plan = planCache(facts({}));
    expect(plan).toEqual({ kind: 'gha', scope: 'acme-app' });
    expect(cacheFlags(plan)).toEqual([
      '--cache-from',
      'type=gha,scope=acme-app',
      '--cache-to',
      'type=gha,mode=max,scope=acme-app',
    ]);
  });
  it('an older buildx with the v2 cache service: a local folder kept with the Actions cache', () => {
    const plan = planCache(facts({ buildx: { driver: 'docker-container', version: '0.13.1' } }));
    expect(plan).toEqual({
      kind: 'local',
      dir: '/rt/belay-build-cache',
      key: 'belay-build-Linux-acme-app-abc',
      restoreKeys: ['belay-build-Linux-acme-app-'],
    });
    expect(cacheFlags(plan)).toEqual([
      '--cache-from',
      'type=local,src=/rt/belay-build-cache',
      '--cache-to',
      'type=local,dest=/rt/belay-build-cache-new,mode=max',
    ]);
  });
  it('an older buildx with the v1 service still uses gha; cache: local forces the folder; none is none', () => {
    const v1 = { ...github, ACTIONS_CACHE_URL: 'https://c/' };
    expect(planCache(facts({ env: v1, buildx: { driver: 'docker-container', version: '0.13.1' } })).kind).toBe('gha');
    expect(planCache(facts({ mode: 'local' })).kind).toBe('local');
    expect(planCache(facts({ mode: 'none' }))).toEqual({ kind: 'none' });
  });
});

describe('image names', () => {
  it.each([
    ['ghcr.io/acme/app', 'ghcr.io', 'acme/app'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000', 'team/app'],
    ['localhost/app', 'localhost', 'app'],
    ['acme/app', 'docker.io', 'acme/app'],
    ['nginx', 'docker.io', 'library/nginx'],
  ])('%s', (name, registry, repository) => {
    expect(parseImageName(name)).toEqual({ name, registry, repository });
  });
  it.each(['ghcr.io/acme/app:v1', 'acme/App', 'acme//app', 'ghcr.io/acme/app@sha256:00'])('refuses %s', (name) => {
    expect(parseImageName(name)).toHaveProperty('problem');
  });
});

describe('a failed build shows the failing step and its output', () => {
  it('buildx (--progress plain)', () => {
    const log = [
      '#4 [1/2] COPY busybox /bin/busybox',
      '#4 CACHED',
      '#5 [2/2] RUN make',
      '#5 0.047 compiling app',
      '#5 0.048 error: missing semicolon',
      '#5 ERROR: executor failed running [/bin/sh -c make]: exit code: 3',
      '------',
      ' > [2/2] RUN make:',
      '------',
      'ERROR: failed to solve: executor failed running [/bin/sh -c make]: exit code: 3',
    ];
    expect(describeBuildFailure(log)).toEqual({
      step: '[2/2] RUN make',
      output: ['compiling app', 'error: missing semicolon'],
      error: 'ERROR: failed to solve: executor failed running [/bin/sh -c make]: exit code: 3',
    });
    expect(lineOfStep('FROM scratch\nCOPY busybox /bin/busybox\n\nRUN make\n', '[2/2] RUN make')).toBe(4);
  });
  it('the classic builder', () => {
    const log = [
      'Step 2/3 : COPY busybox /bin/busybox',
      ' ---> Using cache',
      'Step 3/3 : RUN make',
      ' ---> Running in 9de50e432ec7',
      'compiling app',
      '\u001b[91merror: missing semicolon',
      "\u001b[0mThe command '/bin/sh -c make' returned a non-zero code: 3",
    ];
    expect(describeBuildFailure(log)).toEqual({
      step: 'RUN make',
      output: ['compiling app', 'error: missing semicolon'],
      error: "The command '/bin/sh -c make' returned a non-zero code: 3",
    });
  });
});
