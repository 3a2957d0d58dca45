/**
 * `belay build` / the build-image action: tags from git, login, `docker buildx build` (classic `docker build` +
 * `docker push` when buildx is missing), the registry's digest, outputs. The digest handed on is the one the
 * registry answers for the pushed tag, checked against what the builder reported.
 */
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { splitList } from '../config/define.js';
import { missing } from '../config/layers.js';
import { cmd, type Command } from '../core/command.js';
import { formatDuration } from '../core/duration.js';
import { BelayError, InputError } from '../core/errors.js';
import type { RunContext } from '../engine.js';
import { markdownTable, type Reporter } from '../report/reporter.js';
import { buildxCommand, classicBuildCommand, pushCommand, secretVariable, type BuildSpec } from './args.js';
import {
  cacheFlags,
  cacheKeyHash,
  cacheServiceProvider,
  planCache,
  restoreLocalCache,
  saveLocalCache,
  type CachePlan,
} from './cache.js';
import { describeBuildFailure, lineOfStep } from './failure.js';
import { readGitContext } from './git.js';
import { runCommand, shown } from './process.js';
import type { ImageName } from './refs.js';
import { loginConfig, prepareRegistryDigest, registryDigest, type Credentials } from './registry.js';
import { deriveTags, ociLabels } from './tags.js';

type Values = RunContext['loaded']['values'];
type Env = Readonly<Record<string, string | undefined>>;

export interface Builder {
  /** Absent: buildx is missing, the classic builder is used. */
  readonly buildx?: {
    readonly driver: string;
    readonly name: string;
    readonly version?: string;
    readonly buildkit?: string;
  };
}

/** `docker buildx version` and `docker buildx inspect`, at once; either failing means no usable buildx. */
export async function detectBuilder(env: Env): Promise<Builder> {
  const run = (...args: string[]) => runCommand(cmd('docker', ...args), { env });
  const [version, inspect] = await Promise.all([run('buildx', 'version'), run('buildx', 'inspect')]);
  if (version.code !== 0 || inspect.code !== 0) return {};
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(inspect.stdout)?.[1]?.trim();
  const v = /\sv?(\d+\.\d+\.\d+\S*)/.exec(version.stdout)?.[1];
  const buildkit = field('BuildKit version') ?? field('BuildKit');
  return {
    buildx: {
      name: field('Name') ?? 'default',
      driver: field('Driver') ?? 'docker',
      ...(v ? { version: v } : {}),
      ...(buildkit ? { buildkit: buildkit.replace(/^v/, '') } : {}),
    },
  };
}

export async function runBuild({ reporter, face, loaded, cwd }: RunContext): Promise<boolean> {
  const v = loaded.values;
  const env = process.env;
  if (!v.image) throw missing('image', face);
  const images = v.image;
  const context = resolve(cwd, v.context ?? '.');
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    throw new InputError(
      'context',
      `${context} is not a folder`,
      'Give the build context folder, relative to the workspace.',
    );
  }
  const dockerfile = v.file ? resolve(cwd, v.file) : join(context, 'Dockerfile');
  if (!existsSync(dockerfile)) {
    throw new InputError(
      'file',
      `${dockerfile} does not exist`,
      v.file ? 'Give the Dockerfile path relative to the workspace.' : 'Add a Dockerfile to the context, or set file.',
    );
  }
  const platforms = splitList(v.platforms ?? '');
  for (const p of platforms) {
    if (!/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(p)) {
      throw new InputError('platforms', `"${p}" is not a platform`, 'Write platforms like linux/amd64,linux/arm64.');
    }
  }
  const secrets = v.secrets ?? [];
  for (const [, value] of secrets) reporter.secret(value);
  const credentials = registryCredentials(v, images, env, face);
  if (credentials) reporter.secret(credentials.password);

  const started = Date.now();
  // The builder's driver only matters for a cache across runs, i.e. on GitHub: elsewhere buildx is simply tried,
  // and a docker without it is detected from that first command (which saves two docker calls per build).
  const needDriver = (v.cache ?? 'auto') !== 'none' && !!env.ACTIONS_RUNTIME_TOKEN;
  const rules = splitList(v.tags ?? '');
  const [probed, git] = await Promise.all([
    needDriver ? detectBuilder(env) : Promise.resolve(undefined),
    // origin's default branch only decides `latest`, a tag of the `auto` rule (the default).
    readGitContext(env, cwd, { defaultBranch: rules.length === 0 || rules.includes('auto') }),
  ]);
  let classic = probed !== undefined && !probed.buildx;
  if (classic) useClassic(secrets.length, platforms.length, reporter);
  else if (probed?.buildx) {
    const b = probed.buildx;
    reporter.info(`builder ${b.name} (buildx ${b.version ?? '?'}, ${b.driver} driver, BuildKit ${b.buildkit ?? '?'})`);
  }

  const tags = deriveTags(git, rules);
  const refs = images.flatMap((image) => tags.map((tag) => `${image.name}:${tag}`));
  const labels = { ...ociLabels(git, tags, images[0]!.name), ...Object.fromEntries(v.labels ?? []) };
  const push = v.push ?? true;
  const spec: BuildSpec = {
    context,
    ...(v.file ? { file: dockerfile } : {}),
    ...(v.target ? { target: v.target } : {}),
    buildArgs: v.buildArgs ?? [],
    labels,
    platforms,
    ...(v.network ? { network: v.network } : {}),
    refs,
    push,
    secrets: secrets.map(([id], i) => ({ id, env: secretVariable(i) })),
    noCache: v.cache === 'none',
  };
  reporter.info(`tags: ${tags.join(', ')}${push ? '' : ' (not pushed: push is false)'}`);

  const cache = planCache({
    mode: v.cache ?? 'auto',
    ...(probed?.buildx ? { buildx: probed.buildx } : {}),
    env,
    service: cacheServiceProvider() !== undefined,
    keyHash: () => cacheKeyHash(context, dockerfile),
    scope: images[0]!.repository.replace(/[^A-Za-z0-9_.-]+/g, '-'),
  });
  if (cache.kind === 'none' && cache.notice) reporter.info(`cache: ${cache.notice}`);

  const docker = await loginConfig(credentials, env);
  const temp = mkdtempSync(join(env.RUNNER_TEMP ?? tmpdir(), 'belay-build-'));
  try {
    if (credentials) reporter.info(`logged in to ${credentials.registry} as ${credentials.username}`);
    const restored = cache.kind === 'local' ? await restoreLocalCache(cache, reporter) : undefined;
    const secretEnv = Object.fromEntries(secrets.map(([, value], i) => [secretVariable(i), value]));
    // The registry is asked for the digest once the push is done: its HTTP client loads while the build runs.
    if (push) prepareRegistryDigest(images[0]!);
    const plugin = classic ? undefined : buildxPlugin({ ...env, ...docker.env });
    let built = classic
      ? undefined
      : await buildWithBuildx(spec, temp, cache, { ...docker.env, ...secretEnv }, reporter, plugin);
    if (built && 'failed' in built && !built.log.some((l) => /^#\d+ /.test(l)) && !(await hasBuildx(docker.env))) {
      classic = true;
      useClassic(secrets.length, platforms.length, reporter);
    }
    if (classic) built = await buildClassic(spec, docker.env, reporter);
    if (!built) throw new Error('no build ran');
    if ('failed' in built) {
      reportFailure(built.failed, built.log, dockerfile, cwd, reporter);
      return false;
    }
    if (restored && cache.kind === 'local') await saveLocalCache(restored, cache, reporter);

    const digest = push ? await confirmDigest(images, tags[0]!, built.digest, credentials, reporter) : '';
    const ref = digest ? `${images[0]!.name}@${digest}` : refs[0]!;
    const metadata = {
      images: images.map((i) => i.name),
      tags,
      refs,
      digest,
      ref,
      labels,
      builder: classic ? 'classic' : `buildx${probed?.buildx ? ` (${probed.buildx.driver} driver)` : ''}`,
      cache: cache.kind,
      pushed: push,
    };
    reporter.setOutput('image', images[0]!.name);
    reporter.setOutput('tags', refs.join('\n'));
    reporter.setOutput('digest', digest);
    reporter.setOutput('ref', ref);
    reporter.setOutput('metadata', JSON.stringify(metadata));
    reporter.summary(
      `### 📦 belay build\n\n` +
        markdownTable(
          ['Image', 'Tags', 'Digest', 'Builder', 'Time'],
          images.map((i) => [
            i.name,
            tags.join(', '),
            digest || '(not pushed)',
            metadata.builder,
            formatDuration(Date.now() - started),
          ]),
        ),
    );
    reporter.info(push ? `✓ pushed ${ref}` : `✓ built ${ref} (not pushed)`);
    return true;
  } finally {
    rmSync(temp, { recursive: true, force: true });
    await docker.close();
  }
}

/** Where the docker CLI looks for its plugins, in its order (the first folder holding one wins), after the config's. */
const SYSTEM_PLUGIN_DIRS = [
  '/usr/local/lib/docker/cli-plugins',
  '/usr/local/libexec/docker/cli-plugins',
  '/usr/lib/docker/cli-plugins',
  '/usr/libexec/docker/cli-plugins',
];

/**
 * The buildx binary `docker buildx` would run, found where the docker CLI finds it. Run directly (buildx's
 * standalone mode: the same arguments, without `docker`), it spares the docker CLI starting and asking the plugin
 * for its metadata before the plugin starts again to build, some 30 ms a build. Undefined, and `docker buildx` is
 * run as it is, wherever docker could look elsewhere (folders named in its config.json, as Docker Desktop does, or
 * by a DOCKER_CLI_PLUGIN* variable), on Windows, or when no executable plugin is there.
 */
export function buildxPlugin(env: Env): string | undefined {
  if (process.platform === 'win32' || Object.keys(env).some((k) => k.startsWith('DOCKER_CLI_PLUGIN'))) return undefined;
  const configDir = env.DOCKER_CONFIG || join(homedir(), '.docker');
  try {
    const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    if (config.cliPluginsExtraDirs !== undefined) return undefined;
  } catch {
    // No config.json (or one docker itself would complain about): the default folders.
  }
  for (const dir of [join(configDir, 'cli-plugins'), ...SYSTEM_PLUGIN_DIRS]) {
    const path = join(dir, 'docker-buildx');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** `docker buildx …` as the plugin binary itself runs it: `<plugin> …`. Any other command is left as it is. */
export function viaPlugin(command: Command, plugin: string | undefined): Command {
  if (!plugin || command.kind !== 'argv' || command.argv[0] !== 'docker' || command.argv[1] !== 'buildx')
    return command;
  return { ...command, argv: [plugin, ...command.argv.slice(2)] };
}

/**
 * Asked only when `docker buildx build` failed before BuildKit printed a step: was it because there is no buildx?
 * (The docker CLI's own words for that differ between versions and flags.)
 */
async function hasBuildx(env: Env): Promise<boolean> {
  return (await runCommand(cmd('docker', 'buildx', 'version'), { env })).code === 0;
}

/** Without buildx: the classic builder, said once, and refused for what only BuildKit can do. */
function useClassic(secrets: number, platforms: number, reporter: Reporter): void {
  reporter.warn(
    'docker buildx is not installed: using the classic builder (docker build, then docker push). ' +
      'Install docker-buildx for BuildKit, build secrets, multi-platform images and a layer cache.',
  );
  if (secrets) throw new InputError('secrets', 'build secrets need buildx', 'Install docker-buildx, or drop secrets.');
  if (platforms > 1) {
    throw new InputError('platforms', 'several platforms need buildx', 'Install docker-buildx, or build one platform.');
  }
}

/** registry, registry-username, registry-password; for ghcr.io the actor and GITHUB_TOKEN are the defaults. */
function registryCredentials(v: Values, images: readonly ImageName[], env: Env, face: RunContext['face']) {
  const registry = v.registry?.trim() || images[0]!.registry;
  const ghcr = registry === 'ghcr.io';
  const password = v.registryPassword ?? (ghcr ? env.GITHUB_TOKEN : undefined);
  const username = v.registryUsername ?? (ghcr && password ? env.GITHUB_ACTOR : undefined);
  if (password && !username) throw missing('registryUsername', face, `a password for ${registry} is given`);
  if (v.registryUsername && !password) throw missing('registryPassword', face, `a user for ${registry} is given`);
  return password && username ? ({ registry, username, password } satisfies Credentials) : undefined;
}

type Built = { digest: string | undefined } | { failed: string; log: readonly string[] };

/** Runs one docker command with its output streamed into the open group; a failure keeps the whole log. */
async function streamed(command: ReturnType<typeof cmd>, env: Env, reporter: Reporter) {
  reporter.debug(shown(command));
  return runCommand(command, { env, onLine: (line) => reporter.info(line) });
}

async function buildWithBuildx(
  spec: BuildSpec,
  temp: string,
  cache: CachePlan,
  env: Env,
  reporter: Reporter,
  plugin: string | undefined,
): Promise<Built> {
  const metadataFile = join(temp, 'metadata.json');
  const command = viaPlugin(buildxCommand(spec, metadataFile, cacheFlags(cache)), plugin);
  const result = await reporter.group('docker buildx build', () => streamed(command, env, reporter));
  if (result.code !== 0) return { failed: `docker buildx build failed (exit ${result.code})`, log: result.lines };
  let digest: string | undefined;
  try {
    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as Record<string, unknown>;
    digest = typeof metadata['containerimage.digest'] === 'string' ? metadata['containerimage.digest'] : undefined;
  } catch {
    digest = undefined; // the registry is asked below in any case
  }
  return { digest };
}

async function buildClassic(spec: BuildSpec, env: Env, reporter: Reporter): Promise<Built> {
  // DOCKER_BUILDKIT=0: the legacy builder, which is what there is without buildx.
  const classicEnv = { ...env, DOCKER_BUILDKIT: '0' };
  const build = await reporter.group('docker build (classic builder)', () =>
    streamed(classicBuildCommand(spec), classicEnv, reporter),
  );
  if (build.code !== 0) return { failed: `docker build failed (exit ${build.code})`, log: build.lines };
  if (!spec.push) return { digest: undefined };
  let digest: string | undefined;
  for (const ref of spec.refs) {
    const pushed = await reporter.group(`docker push ${ref}`, () => streamed(pushCommand(ref), classicEnv, reporter));
    if (pushed.code !== 0) return { failed: `docker push ${ref} failed (exit ${pushed.code})`, log: pushed.lines };
    digest ??= /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
  }
  return { digest };
}

function reportFailure(what: string, log: readonly string[], dockerfile: string, cwd: string, reporter: Reporter) {
  const failure = describeBuildFailure(log);
  const line = lineOfStep(readFileSync(dockerfile, 'utf8'), failure.step);
  const head = failure.step ? `${what} at step ${failure.step}` : what;
  const body = [
    ...failure.output,
    ...(failure.error && !failure.output.includes(failure.error) ? [failure.error] : []),
  ];
  const refused = /no basic auth credentials|unauthorized|denied/i.test(failure.error ?? '');
  const hint = refused
    ? [
        'The registry refused the push: give registry-username and registry-password, or log in with docker login first.',
      ]
    : [];
  // A Dockerfile step is annotated on its line; a push or a builder problem is not the Dockerfile's.
  reporter.error(`${head}\n${[...body, ...hint].map((l) => `  ${l}`).join('\n')}`, {
    ...(line ? { file: relative(cwd, dockerfile), line } : {}),
    title: 'Image build failed',
  });
  reporter.setOutput('digest', '');
}

/**
 * The digest deploys will use: the registry's answer for the pushed tag of every image, which must agree with
 * what the builder reported (a difference means another push moved the tag meanwhile).
 */
async function confirmDigest(
  images: readonly ImageName[],
  tag: string,
  reported: string | undefined,
  credentials: Credentials | undefined,
  reporter: Reporter,
): Promise<string> {
  const answers = await Promise.all(images.map((image) => registryDigest(image, tag, credentials)));
  let digest = reported;
  for (const [i, answer] of answers.entries()) {
    const image = images[i]!;
    if ('reason' in answer) {
      reporter.info(
        `${image.name}:${tag}: the registry could not be asked for the digest (${answer.reason}); using the one docker reported`,
      );
      continue;
    }
    if (digest && answer.digest !== digest) {
      throw new BelayError(
        `${image.name}:${tag} points at ${answer.digest} in the registry, not at ${digest} just pushed: something else pushed that tag meanwhile. Run the build again, and give each pipeline its own tags.`,
      );
    }
    digest = answer.digest;
  }
  if (!digest) {
    throw new BelayError(
      `The image was pushed but neither docker nor the registry gave its digest (${images[0]!.name}:${tag}). Check the registry, then run again.`,
    );
  }
  return digest;
}
