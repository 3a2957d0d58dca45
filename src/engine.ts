/**
 * The one entry both faces call: load and validate the configuration, register every secret with the reporter
 * before anything else is printed, run the capability, turn any failure into one line. Returns the exit code.
 *
 * What a run needs is loaded when it runs, in chunks of the bundle: the layering and zod (not for `--help`), the
 * YAML parser (only when there is a belay.yml), the capability (only the one asked for).
 */
import { COMMANDS, type CommandName } from './config/commands.js';
import { envName, INPUTS, inputName } from './config/inputs.js';
import type { Face, Loaded, Sources } from './config/layers.js';
import { describeError } from './core/errors.js';
import type { Reporter } from './report/reporter.js';

export interface RunContext {
  readonly reporter: Reporter;
  readonly face: Face;
  readonly loaded: Loaded;
  /** The workspace (action) or current directory (CLI): relative paths such as `dir` start here. */
  readonly cwd: string;
  /** In an action's post step: what its main step saved (`Reporter.saveState`). */
  readonly state?: (name: string) => string;
}

/** A capability returns true when it did what was asked; false after it has reported why not. */
type Capability = (ctx: RunContext) => Promise<boolean>;

/**
 * Loaded on demand: a bundle carries every capability, but a health check should not pay at start-up for the
 * PostgreSQL driver migrate needs (the bundler splits each into its own chunk).
 */
const CAPABILITIES: Record<CommandName, Capability> = {
  health: async (ctx) => (await import('./health/run.js')).runHealth(ctx),
  doctor: async (ctx) => (await import('./doctor/run.js')).runDoctor(ctx),
  migrate: async (ctx) => (await import('./migrate/run.js')).runMigrate(ctx),
  backup: async (ctx) => (await import('./backup/run.js')).runBackup(ctx),
  restore: async (ctx) => (await import('./backup/restore.js')).runRestore(ctx),
  deploy: async (ctx) => (await import('./deploy/run.js')).runDeploy(ctx),
  rollback: async (ctx) => (await import('./deploy/run.js')).runRollback(ctx),
  releases: async (ctx) => (await import('./deploy/run.js')).runReleases(ctx),
  build: async (ctx) => (await import('./build/run.js')).runBuild(ctx),
  release: async (ctx) => (await import('./release/run.js')).runRelease(ctx),
};

/**
 * Post steps (the runner runs them after the job, also when it was cancelled): what a main step may have left
 * behind. deploy and rollback release a deploy lock their main step could not (see src/deploy/run.ts).
 */
const POST_CAPABILITIES: Partial<Record<CommandName, Capability>> = {
  deploy: async (ctx) => (await import('./deploy/run.js')).releaseLeftLocks(ctx),
  rollback: async (ctx) => (await import('./deploy/run.js')).releaseLeftLocks(ctx),
  release: async (ctx) => (await import('./deploy/run.js')).releaseLeftLocks(ctx),
};

/**
 * Slow facts a capability will need that do not depend on its configuration, started before the configuration
 * loads, so that their processes run meanwhile: build's git context (git processes, some 10 ms). A run that
 * stops at a bad input leaves them unread.
 */
const EARLY: Partial<Record<CommandName, (sources: Sources) => Promise<void>>> = {
  build: async ({ env, cwd }) => (await import('./build/git.js')).primeGitContext(env, cwd),
};

export const hasPostStep = (name: CommandName): boolean => name in POST_CAPABILITIES;

export async function execute(
  name: CommandName,
  sources: Sources,
  reporter: Reporter,
  post?: { readonly state: (name: string) => string },
): Promise<number> {
  // Secret values given directly are masked first, so even a failure while loading cannot show them.
  for (const key of COMMANDS[name].inputs) {
    if (!('secret' in INPUTS[key] && INPUTS[key].secret)) continue;
    for (const value of [sources.given[inputName(key)], sources.env[envName(key)]]) if (value) reporter.secret(value);
  }
  try {
    if (!post) await EARLY[name]?.(sources).catch(() => undefined);
    const { configFileExists, loadLayers } = await import('./config/layers.js');
    // load.ts (the belay.yml reader) is what loads the YAML parser: without a belay.yml neither is needed.
    const readFile = configFileExists(sources) ? (await import('./config/load.js')).readConfigFile : undefined;
    const loaded = loadLayers(COMMANDS[name], sources, readFile);
    for (const secret of loaded.secrets) reporter.secret(secret);
    if (loaded.configFile) reporter.debug(`settings from ${loaded.configFile}`);
    const ctx: RunContext = { reporter, face: sources.face, loaded, cwd: sources.cwd, ...(post ? post : {}) };
    const capability = post ? POST_CAPABILITIES[name] : CAPABILITIES[name];
    if (!capability) return 0;
    return (await capability(ctx)) ? 0 : 1;
  } catch (err) {
    reporter.error(describeError(err));
    if (err instanceof Error && err.stack) reporter.debug(err.stack);
    return 1;
  }
}
