/**
 * `belay deploy` / the deploy action. A deploy ends healthy on the new release, or on the previous one, by itself:
 * connect → lock → write the release → pre-deploy → pull → up -d → health gate → move `current`, prune.
 * When the gate fails: the failing containers' logs, then the previous release's compose files, env and images
 * go back up and are checked the same way. Hosts are deployed one after another; a host that fails rolls back,
 * and so do the hosts already switched, so a fleet never ends half on the new release.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { resolveConnection } from '../config/connection.js';
import { missing } from '../config/layers.js';
import { cmd, render } from '../core/command.js';
import { formatDuration } from '../core/duration.js';
import { BelayError, InputError } from '../core/errors.js';
import type { RunContext } from '../engine.js';
import { checkHealth, describeFailure, parseTarget, type Tunnel } from '../health/check.js';
import { healthOptions } from '../health/run.js';
import { markdownTable, type Reporter } from '../report/reporter.js';
import { ConnectionPool } from '../transport/pool.js';
import { startDeployment, type DeploymentRecord } from './deployments.js';
import { LockLedger, parseLeftLocks, LEFT_LOCKS } from './left-locks.js';
import { notReleased, releaseIfOurs } from './lock.js';
import type { HostTarget, Transport } from '../transport/types.js';
import {
  changedByComposeV1,
  compose,
  COMPOSE_PLUGIN_PROBE,
  containersVerdict,
  detectCompose,
  probedCompose,
  serviceStates,
  upThenLook,
  type ServiceState,
  type Stack,
} from './compose.js';
import { appDirFor } from './belay-dir.js';
import { acquireDeployLock, type AcquireOptions, type HeldLock, type LockOwner } from './lock.js';
import {
  newReleaseId,
  parseReleaseState,
  readStateStep,
  ReleaseStore,
  selectPrunable,
  type ReleaseRecord,
  type ReleaseState,
} from './releases.js';

/** An image reference that names one image by content: `…@sha256:<64 hex>`. */
const DIGEST_PINNED = /@sha256:[0-9a-f]{64}$/;
import { provenance } from '../backup/manifest.js';

type Values = RunContext['loaded']['values'];

const SERVICE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** ESC [ … letter: cursor and erase sequences in compose's output. */
const TERMINAL_CONTROL = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Everything a deploy needs, checked before anything connects. */
export interface DeployPlan extends GateSpec {
  readonly app: string;
  readonly appDir: string;
  readonly composeFiles: readonly { readonly name: string; readonly content: string }[];
  readonly composeRemote?: string;
  readonly env?: string;
  readonly images: Readonly<Record<string, string>>;
  readonly services: readonly string[];
}

/** What the health gate checks, from the health and health-* inputs. */
export interface GateSpec {
  readonly gate: { readonly url: boolean; readonly containers: boolean };
  readonly values: Values;
}

export function gateSpec(v: Values): GateSpec {
  const mode = v.health ?? 'auto';
  if ((mode === 'url' || mode === 'both') && !v.healthUrl) {
    throw new InputError('health-url', `health: ${mode} needs it`, 'Set health-url, or health: containers.');
  }
  if (v.healthUrl) parseTarget(v.healthUrl);
  const url = mode === 'url' || mode === 'both' || (mode === 'auto' && !!v.healthUrl);
  const containers = mode === 'containers' || mode === 'both' || mode === 'auto';
  return { gate: { url, containers }, values: v };
}

/**
 * require-confirmation (set in belay.yml for production): a person typed the environment's name into `confirm`.
 * Checked before anything connects.
 */
export function checkConfirmation(v: Values): void {
  if (!v.requireConfirmation) return;
  const environment = v.environment ?? '';
  if (environment && v.confirm === environment) return;
  throw new InputError(
    'confirm',
    environment
      ? `the ${environment} environment asks for confirmation and ${v.confirm ? `"${v.confirm}" is not its name` : 'none was given'}`
      : 'require-confirmation is set but no environment is chosen',
    environment
      ? `Set confirm: ${environment} (in a manual run, type the environment's name) to go ahead.`
      : 'Choose the environment with environment, and confirm with its name.',
  );
}

export function planDeploy(loaded: RunContext['loaded'], face: RunContext['face'], cwd: string): DeployPlan {
  const v = loaded.values;
  if (!v.app) throw missing('app', face);
  if (!v.host) throw missing('host', face);
  checkConfirmation(v);
  if (!v.composeFile === !v.composeRemote) {
    throw new InputError(
      v.composeFile ? 'compose-remote' : 'compose-file',
      v.composeFile ? 'it cannot be combined with compose-file' : 'no compose file given',
      'Give compose-file (files in the repository, uploaded with each release) or compose-remote (a file on the server).',
    );
  }
  const composeFiles = lines(v.composeFile ?? '').map((path, i) => {
    try {
      return { name: `compose-${i + 1}.yml`, content: readFileSync(resolve(cwd, path), 'utf8'), path };
    } catch {
      throw new InputError('compose-file', `cannot read ${path}`, 'Give a path relative to the workspace.');
    }
  });
  const images: Record<string, string> = {};
  for (const line of lines(v.images ?? '')) {
    const eq = line.indexOf('=');
    const service = line.slice(0, eq).trim();
    const ref = line.slice(eq + 1).trim();
    if (eq < 1 || !SERVICE.test(service) || !/^[a-z0-9][\w.:/@-]*$/i.test(ref)) {
      throw new InputError(
        'images',
        `"${line}" is not service=image-ref`,
        'Write one line per service, like api=ghcr.io/owner/api@sha256:….',
      );
    }
    images[service] = ref;
  }
  const services = v.services ? v.services.split(/[\s,]+/).filter(Boolean) : Object.keys(images);
  for (const s of services) {
    if (!SERVICE.test(s))
      throw new InputError(
        'services',
        `"${s}" is not a compose service name`,
        'Use letters, digits, ".", "_" and "-".',
      );
  }
  const env = renderEnv(v, cwd);
  const check = gateSpec(v);
  if (restoresOnRollback(v)) {
    const fix = 'restore-backup-on-rollback restores the pre-deploy backup into the database';
    if (!v.backupId) throw new InputError('backup-id', `${fix}, so it needs one`, "Pass the backup step's backup-id.");
    if (v.engine === 'sqlite' ? !v.sqlitePath : !v.database || !v.dbUser) {
      throw new InputError(
        v.engine === 'sqlite' ? 'sqlite-path' : !v.database ? 'database' : 'db-user',
        `${fix}: it is required`,
        'Give the same database inputs as the backup step.',
      );
    }
  }
  return {
    app: v.app,
    appDir: appDirFor(loaded.values),
    composeFiles: composeFiles.map(({ name, content }) => ({ name, content })),
    ...(v.composeRemote ? { composeRemote: v.composeRemote } : {}),
    ...(env !== undefined ? { env } : {}),
    images,
    services,
    ...check,
  };
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

/**
 * env-file, then env (env wins), as a dotenv file compose reads both for `${VAR}` and for the containers. Values
 * are written single-quoted, which compose takes literally (no `$` interpolation); a value with a single quote or
 * a line break cannot be written that way and is refused.
 */
function renderEnv(v: Values, cwd: string): string | undefined {
  const vars = new Map<string, string>();
  const read = (text: string, input: string) => {
    for (const [n, line] of lines(text).entries()) {
      const eq = line.indexOf('=');
      const name =
        eq < 0
          ? ''
          : line
              .slice(0, eq)
              .replace(/^export\s+/, '')
              .trim();
      if (!ENV_NAME.test(name)) {
        // Which line, never its text: a malformed line may hold a secret value.
        throw new InputError(
          input,
          `line ${n + 1} is not NAME=value`,
          'Write one NAME=value per line (the belay.yml environment is chosen with environment, or --environment on the command line).',
        );
      }
      let value = line.slice(eq + 1).trim();
      const quoted = /^(['"])(.*)\1$/s.exec(value);
      if (quoted) value = quoted[2]!;
      if (value.includes("'")) {
        throw new InputError(
          input,
          `the value of ${name} contains a single quote`,
          'belay writes values single-quoted for compose; remove the quote from the value.',
        );
      }
      vars.set(name, value);
    }
  };
  if (v.envFile) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, v.envFile), 'utf8');
    } catch {
      throw new InputError('env-file', `cannot read ${v.envFile}`, 'Give a path relative to the workspace.');
    }
    read(text, 'env-file');
  }
  if (v.env) read(v.env, 'env');
  if (vars.size === 0) return undefined;
  return [...vars].map(([k, val]) => `${k}='${val}'`).join('\n') + '\n';
}

/** The files of a release: compose files, the images/env override, the env file. */
function releaseFiles(plan: DeployPlan, id: string, store: ReleaseStore) {
  const files: { name: string; content: string; mode?: number }[] = [...plan.composeFiles];
  const envPath = plan.env !== undefined ? `${store.dir(id)}/env` : undefined;
  const targets = new Set([...plan.services, ...Object.keys(plan.images)]);
  if (targets.size > 0 && (Object.keys(plan.images).length > 0 || envPath)) {
    const override = ['services:'];
    for (const service of targets) {
      override.push(`  ${service}:`);
      if (plan.images[service]) override.push(`    image: ${JSON.stringify(plan.images[service])}`);
      if (envPath) override.push(`    env_file: [${JSON.stringify(relativeToAppDir(envPath, plan.appDir))}]`);
    }
    files.push({ name: 'override.yml', content: override.join('\n') + '\n' });
  }
  if (plan.env !== undefined) files.push({ name: 'env', content: plan.env, mode: 0o600 });
  return files;
}

/** Compose resolves paths inside compose files from the project directory (app-dir). */
const relativeToAppDir = (path: string, appDir: string) =>
  path.startsWith(`${appDir}/`) ? path.slice(appDir.length + 1) : path;

/** The stack of a written release, as compose is called for it. */
function stackOf(record: ReleaseRecord, store: ReleaseStore, cli: Stack['cli'], appDir: string): Stack {
  const dir = store.dir(record.id);
  return {
    cli,
    project: record.app,
    projectDir: appDir,
    files: record.composeFiles.map((f) => `${dir}/${f}`),
    ...(record.envHash ? { envFile: `${dir}/env` } : {}),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export type DeployStatus = 'deployed' | 'rolled-back' | 'rollback-failed' | 'failed';

/** The job summary's record of a run: each step with its duration, and what happened (health attempts, rollbacks). */
interface Timeline {
  step(name: string, ms: number): void;
  note(text: string): void;
  readonly rows: [string, string][];
  readonly notes: string[];
}

function timeline(): Timeline {
  const rows: [string, string][] = [];
  const notes: string[] = [];
  return { rows, notes, step: (name, ms) => rows.push([name, formatDuration(ms)]), note: (text) => notes.push(text) };
}

const summaryOf = (title: string, tl: Timeline) =>
  `### ${title}\n\n${markdownTable(['Step', 'Took'], tl.rows)}${tl.notes.length ? `\n\n${tl.notes.map((n) => `- ${n}`).join('\n')}` : ''}`;

async function timed<T>(tl: Timeline, name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    tl.step(name, Date.now() - started);
  }
}

export async function runDeploy(ctx: RunContext): Promise<boolean> {
  const { reporter, face, loaded, cwd } = ctx;
  const plan = planDeploy(loaded, face, cwd);
  if (plan.env)
    for (const line of plan.env.split('\n')) if (line) reporter.secret(line.slice(line.indexOf('=') + 2, -1));
  const { targets, options } = resolveConnection(plan.values, face);
  const pool = new ConnectionPool(options, reporter);
  // Only used when a connection is lost with the lock held: a second one to release it.
  const spare = new ConnectionPool(options, reporter);
  const ledger = new LockLedger(reporter);
  const id = newReleaseId(new Date());
  const url = plan.values.environmentUrl ?? plan.values.healthUrl;
  const tl = timeline();
  const switched: { t: Transport; previous?: ReleaseRecord; target: HostTarget }[] = [];
  let status: DeployStatus = 'failed';
  let previousId: string | undefined;
  let why = '';
  let hookFailed = false;
  const deployment = await startDeployment(
    plan.values.githubToken,
    {
      environment: plan.values.environment ?? 'production',
      description: `belay deploy ${plan.app} ${id}`,
      payload: { app: plan.app, release: id },
    },
    reporter,
  );
  try {
    for (const target of targets) {
      const t = await timed(tl, `connect ${target.host}`, () => pool.get(target));
      const host: HostRun = { t, target, ledger, reconnect: () => spare.get(target) };
      const outcome = await deployHost(host, plan, id, tl, reporter, ctx);
      if (switched.length === 0) previousId = outcome.previousId;
      if (outcome.status !== 'deployed') {
        status = outcome.status;
        why = `${target.host}: ${outcome.status}`;
        // Hosts switched before this one go back too: a fleet never ends half on the new release.
        for (const done of switched.reverse()) {
          if (!done.previous) continue;
          reporter.warn(`rolling ${done.target.host} back to ${done.previous.id}, since ${target.host} failed`);
          const back = await rollbackHost(done.t, plan, done.previous, id, tl, reporter);
          if (!back) status = 'rollback-failed';
        }
        break;
      }
      status = 'deployed';
      // The next hosts still get the release (healthy here); the step fails at the end.
      if (outcome.hookFailed) hookFailed = true;
      switched.push({ t, target, ...(outcome.previous ? { previous: outcome.previous } : {}) });
    }
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    await Promise.all([pool.closeAll(), spare.closeAll()]);
    reporter.setOutput('release-id', id);
    reporter.setOutput('previous-release-id', previousId ?? '');
    reporter.setOutput('status', status);
    if (url) reporter.setOutput('url', url);
    reporter.summary(summaryOf(`belay deploy ${plan.app} ${id}: ${status}`, tl));
    await deployment.finish(status, status === 'deployed' ? `${id} deployed and healthy` : `${id}: ${why}`, url);
  }
  if (status === 'deployed' && !hookFailed) reporter.info(`✓ ${plan.app} ${id} deployed and healthy`);
  return status === 'deployed' && !hookFailed;
}

/** One host of a run: its connection, and what is needed to release its lock whatever happens. */
interface HostRun {
  readonly t: Transport;
  readonly target: HostTarget;
  readonly ledger: LockLedger;
  readonly reconnect: () => Promise<Transport>;
}

/** The number of migrations the migrate step applied, from its `applied` output (0 when none or not given). */
function appliedCount(migrations: string | undefined): number {
  if (!migrations) return 0;
  const parsed = parseJson(migrations);
  return Array.isArray(parsed) ? parsed.length : 0;
}

const restoresOnRollback = (v: Values) => (v.restoreBackupOnRollback ?? false) && appliedCount(v.migrations) > 0;

/**
 * restore-backup-on-rollback: the pre-deploy backup back into the database, before the previous release comes
 * up, through the restore capability (sha256 checked, scratch copy compared, swap by rename; the replaced database
 * kept). The user's switch is the confirmation restore otherwise asks for. Returns false when it failed.
 */
async function restoreBeforeRollback(ctx: RunContext, reporter: Reporter): Promise<boolean> {
  const v = ctx.loaded.values;
  const { runRestore } = await import('../backup/restore.js');
  const { sqliteName } = await import('../backup/sqlite.js');
  const confirm = v.engine === 'sqlite' ? sqliteName(v) : v.database!;
  reporter.warn(`restoring the pre-deploy backup ${v.backupId} (restore-backup-on-rollback), since migrations ran`);
  // restore's own outputs (database, kept-as) are not deploy's.
  const quiet: Reporter = Object.assign(Object.create(reporter) as Reporter, { setOutput: () => undefined });
  // Into the database itself (a target-database of the config would restore beside it).
  const values = { ...v, confirm };
  delete values.targetDatabase;
  try {
    return await runRestore({ ...ctx, reporter: quiet, loaded: { ...ctx.loaded, values } });
  } catch (err) {
    reporter.error(`The pre-deploy backup could not be restored: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

/**
 * The new release on the server, from what the lock's step read (`then`): its compose files, env and record
 * written into the folder that step made, with the compose CLI it will be run with.
 */
async function writeRelease(
  t: Transport,
  plan: DeployPlan,
  id: string,
  then: HeldLock['then'],
  store: ReleaseStore,
  tl: Timeline,
): Promise<{ state: ReleaseState; cli: Stack['cli']; record: ReleaseRecord }> {
  const v = plan.values;
  const state = parseReleaseState(then, t.label, plan.appDir);
  const previousId = state.current;
  const cli = probedCompose(then.stdout) ?? (await detectCompose(t));
  if (cli === 'v1' && plan.env !== undefined) {
    const name = changedByComposeV1(plan.env);
    if (name) {
      throw new InputError(
        'env',
        `the value of ${name} contains \${ or a backslash, which docker-compose v1 on ${t.label} would change`,
        'Remove it from the value, or install the Compose v2 plugin on the server (belay doctor checks it).',
      );
    }
  }
  const files = releaseFiles(plan, id, store);
  if (plan.composeRemote) {
    const r = await t.exec(cmd('cat', '--', `${plan.appDir}/${plan.composeRemote}`));
    if (r.code !== 0)
      throw new BelayError(`compose-remote ${plan.composeRemote} is not readable in ${plan.appDir} on ${t.label}.`);
    files.unshift({ name: 'compose-1.yml', content: r.stdout });
  }
  const composeNames = files.filter((f) => f.name.endsWith('.yml')).map((f) => f.name);
  const record: ReleaseRecord = {
    id,
    app: plan.app,
    createdAt: new Date().toISOString(),
    outcome: 'pending',
    images: plan.images,
    services: plan.services,
    composeFiles: composeNames,
    composeHash: sha256(
      files
        .filter((f) => f.name.endsWith('.yml'))
        .map((f) => f.content)
        .join('\0'),
    ),
    ...(plan.env !== undefined ? { envHash: sha256(plan.env) } : {}),
    ...provenance(),
    ...(v.backupId ? { backupId: v.backupId } : {}),
    ...(v.migrations ? { migrations: parseJson(v.migrations) } : {}),
    ...(previousId ? { previous: previousId } : {}),
  };
  await timed(tl, 'write release', () => store.write(record, files, true));
  return { state, cli, record };
}

/** One host: lock, release, up, gate; on failure the previous release back up. */
async function deployHost(
  { t, target, ledger, reconnect }: HostRun,
  plan: DeployPlan,
  id: string,
  tl: Timeline,
  reporter: Reporter,
  ctx: RunContext,
): Promise<{ status: DeployStatus; previous?: ReleaseRecord; previousId?: string; hookFailed?: boolean }> {
  const v = plan.values;
  const owner = lockOwner(id);
  // Written before the lock is taken: a cancel right after the mkdir still leaves the post step what it needs
  // (ownership is judged without the time).
  ledger.taken(target, plan.appDir, owner);
  // Images pinned by digest need no `compose pull`: a digest names exactly that content, so there is nothing newer
  // to fetch, and `up -d` fetches one the server lacks before it replaces any container (Compose v2 and v1 both
  // make sure of every service's image first). A tag can move in the registry: then the pull comes first.
  const pinned = pinnedRefs(plan.services, plan.images) !== undefined;
  // What the deploy needs to know first comes back from the command that takes the lock: the release state (and
  // the new release's folder made), and whether the Compose v2 plugin is there.
  const read = readStateStep(plan.appDir, id);
  const step = { script: `${COMPOSE_PLUGIN_PROBE}\n${read.script}`, args: read.args };
  const lock = await timed(tl, 'lock', () =>
    takeLock(t, plan.appDir, owner, v, reporter, reconnect, step).catch((err: unknown) => {
      ledger.released(target, plan.appDir);
      throw err;
    }),
  );
  try {
    const store = new ReleaseStore(t, plan.appDir);
    // The new release's folder was made by the lock's step (when it got as far as `state read`); whatever stops
    // the deploy before its record is written removes it again.
    const made = lock.then.stdout.split('\n').includes('state read');
    const { state, cli, record } = await writeRelease(t, plan, id, lock.then, store, tl).catch(async (err: unknown) => {
      if (made) await store.discard(id).catch(() => undefined);
      throw err;
    });
    const { previous } = state;
    const previousId = state.current;
    reporter.info(`release ${id} on ${t.label}${previousId ? ` (previous: ${previousId})` : ' (first release)'}`);
    const stack = stackOf(record, store, cli, plan.appDir);
    const facts = { BELAY_RELEASE: id, BELAY_PREVIOUS_RELEASE: previousId ?? '', BELAY_APP: plan.app };
    if (v.preDeploy) {
      // A failing pre-deploy stops the deploy before anything runs; the release is recorded as failed.
      await timed(tl, 'pre-deploy', () => hook(t, plan.appDir, v.preDeploy!, facts, 'pre-deploy', reporter)).catch(
        async (err: unknown) => {
          const note = err instanceof Error ? err.message : String(err);
          await store.update(id, { outcome: 'failed', finishedAt: new Date().toISOString(), note }).catch(() => {});
          throw err;
        },
      );
    }

    if (pinned) reporter.info(`the images are pinned by digest: no pull first (up -d fetches any ${t.label} lacks)`);
    const failure = await bringUp(t, stack, plan.services, plan, tl, reporter, 'new release', !pinned);
    if (!failure) {
      const deployed: ReleaseRecord = { ...record, outcome: 'deployed', finishedAt: new Date().toISOString() };
      // The records were read under the lock this deploy still holds: they are what is on the server.
      const records = [...state.records.filter((r) => r.id !== id), deployed];
      const removed = selectPrunable(records, v.keepReleases ?? 5, [id, ...(previousId ? [previousId] : [])]);
      const unused = unusedImages(
        records.filter((r) => !removed.includes(r)),
        removed,
      );
      const prune = removed.map((r) => r.id);
      if (!v.postDeploy && unused.length === 0) {
        // Nothing left to do under the lock: the last writes and the unlock in one command.
        store.finished(id, await lock.releaseAfter(store.finishStep(deployed, prune)));
        if (await lock.release()) ledger.released(target, plan.appDir);
      } else {
        await store.finish(deployed, prune);
      }
      for (const r of removed) reporter.info(`pruned release ${r.id}`);
      if (unused.length) await removeImages(t, unused, reporter);
      // A failing post-deploy fails the step, but the release it ran after is healthy and stays: no rollback.
      let hookFailed = false;
      if (v.postDeploy) {
        await timed(tl, 'post-deploy', () => hook(t, plan.appDir, v.postDeploy!, facts, 'post-deploy', reporter)).catch(
          (err: unknown) => {
            hookFailed = true;
            reporter.error(
              `${err instanceof Error ? err.message : String(err)} Release ${id} is deployed and healthy on ${t.label} and stays (no rollback for a post-deploy hook); fix the hook and run it by hand.`,
            );
            tl.note(`${t.label}: post-deploy failed after ${id} was deployed`);
          },
        );
      }
      return {
        status: 'deployed',
        hookFailed,
        ...(previous ? { previous } : {}),
        ...(previousId ? { previousId } : {}),
      };
    }

    reporter.error(`release ${id} is not healthy on ${t.label}: ${failure}`);
    await Promise.all([
      showFailure(t, stack, plan.services, reporter),
      store.update(id, { outcome: 'failed', finishedAt: new Date().toISOString(), note: failure }),
    ]);
    const previousFacts = previousId ? { previousId } : {};
    if (!(v.rollbackOnFailure ?? true) || !previous) {
      if (!previous) reporter.error('There is no previous release to go back to: the new one stays as it is.');
      return { status: 'failed', ...previousFacts };
    }
    if (restoresOnRollback(v)) {
      const restored = await timed(tl, 'restore pre-deploy backup', () => restoreBeforeRollback(ctx, reporter));
      if (!restored) {
        reporter.error(
          `Release ${id} stays up: the database could not be put back to backup ${v.backupId}, and ${previous.id} would meet the new schema. Restore it by hand (belay restore --backup-id ${v.backupId}), then run belay rollback.`,
        );
        return { status: 'rollback-failed', previous, ...previousFacts };
      }
    }
    const back = await rollbackHost(t, plan, previous, id, tl, reporter, cli);
    return { status: back ? 'rolled-back' : 'rollback-failed', previous, ...previousFacts };
  } finally {
    if (await lock.release()) ledger.released(target, plan.appDir);
  }
}

/** The image refs of `services`, when every one is given and pinned by digest; else undefined. */
function pinnedRefs(services: readonly string[], images: Readonly<Record<string, string>>): string[] | undefined {
  const refs = services.map((s) => images[s]);
  return refs.length > 0 && refs.every((r) => r !== undefined && DIGEST_PINNED.test(r))
    ? (refs as string[])
    : undefined;
}

/** True when every image of `refs` is on the server's docker (never throws: false when it cannot tell). */
async function imagesPresent(t: Transport, refs: readonly string[]): Promise<boolean> {
  const r = await t.exec(cmd('docker', 'image', 'inspect', '--format', '.', '--', ...refs)).catch(() => undefined);
  return r?.code === 0;
}

function takeLock(
  t: Transport,
  appDir: string,
  owner: LockOwner,
  v: Values,
  reporter: Reporter,
  reconnect: () => Promise<Transport>,
  then?: AcquireOptions['then'],
) {
  return acquireDeployLock(t, appDir, owner, {
    reconnect,
    ...(then ? { then } : {}),
    timeoutMs: v.lockTimeout ?? 5 * 60_000,
    staleAfterMs: v.lockStaleAfter ?? 3_600_000,
    progress: (waited, holder) =>
      reporter.info(
        `waiting for the deploy lock on ${t.label} (${formatDuration(waited)} so far)${holder ? `, held by ${holder.actor ?? '?'} for release ${holder.release}` : ''}`,
      ),
    warn: (message) => reporter.warn(message),
  });
}

/**
 * The post step of deploy and rollback: the locks the main step took and did not release (the job was cancelled,
 * or the server could not be reached at the end) are released if they are still this run's. Someone else's lock
 * is left alone. Never fails the job: what cannot be released is a warning with the command to run by hand.
 */
export async function releaseLeftLocks({ reporter, face, loaded, state }: RunContext): Promise<boolean> {
  const left = parseLeftLocks(state?.(LEFT_LOCKS) ?? '');
  if (left.length === 0) return true;
  const { options } = resolveConnection(loaded.values, face);
  const pool = new ConnectionPool(options, reporter);
  try {
    for (const { target, appDir, owner } of left) {
      const where = `${target.user}@${target.host}:${target.port}`;
      try {
        const released = await releaseIfOurs(await pool.get(target), appDir, owner);
        reporter.info(
          released
            ? `released the deploy lock of release ${owner.release} on ${where}, left by this job`
            : `the deploy lock on ${where} is not this job's any more (released, or broken as stale): left alone`,
        );
      } catch (err) {
        reporter.warn(notReleased(where, err instanceof Error ? err.message : String(err), appDir));
      }
    }
  } finally {
    await pool.closeAll();
  }
  return true;
}

/**
 * The images of pruned releases that no kept release uses: only images belay deployed (the refs in the records).
 */
function unusedImages(kept: readonly ReleaseRecord[], pruned: readonly ReleaseRecord[]): string[] {
  const used = new Set(kept.flatMap((r) => Object.values(r.images)));
  return [...new Set(pruned.flatMap((r) => Object.values(r.images)))].filter((ref) => !used.has(ref));
}

/** `unused` removed from the server's docker; docker itself refuses one a container still uses, which is then left. */
async function removeImages(t: Transport, unused: readonly string[], reporter: Reporter): Promise<void> {
  const r = await t.exec(cmd('docker', 'image', 'rm', '--', ...unused));
  const gone = unused.filter((ref) => !r.stderr.includes(ref));
  if (gone.length) reporter.info(`removed ${gone.length} image(s) no kept release uses: ${gone.join(', ')}`);
  if (r.code !== 0) reporter.debug(`docker image rm left some: ${lastLine(r.stderr)}`);
}

/**
 * The previous release's compose files, env and images, back up and through the same gate. Returns true when it
 * is healthy again; otherwise prints the exact commands to run by hand.
 */
async function rollbackHost(
  t: Transport,
  plan: DeployPlan,
  previous: ReleaseRecord,
  failedId: string,
  tl: Timeline,
  reporter: Reporter,
  known?: Stack['cli'],
): Promise<boolean> {
  const cli = known ?? (await detectCompose(t));
  const store = new ReleaseStore(t, plan.appDir);
  const stack = stackOf(previous, store, cli, plan.appDir);
  reporter.warn(`rolling back to release ${previous.id} on ${t.label}`);
  // Its images ran seconds ago: when every one is still on the server, the pull is skipped.
  const refs = previous.services.map((s) => previous.images[s]);
  const present = refs.length > 0 && refs.every(Boolean) && (await imagesPresent(t, refs as string[]));
  const failure = await bringUp(t, stack, previous.services, plan, tl, reporter, 'rollback', !present);
  if (!failure) {
    await store.setCurrent(previous.id);
    await store.update(failedId, { outcome: 'rolled-back' }).catch(() => undefined);
    reporter.error(`release ${failedId} was rolled back: ${previous.id} is serving again on ${t.label}`);
    tl.note(
      `${t.label}: rolled back from ${failedId} to ${previous.id} (compose files, env and images of ${previous.id})`,
    );
    return true;
  }
  await showFailure(t, stack, previous.services, reporter);
  const by = compose(stack, 'up', '-d', ...previous.services);
  reporter.error(
    `The rollback to ${previous.id} is not healthy either (${failure}). By hand on ${t.label}: ${renderForHuman(by)} ; then check \`${renderForHuman(compose(stack, 'ps'))}\` and the logs.`,
  );
  return false;
}

/** A command as a person pastes it into a shell on the server: quoted where it needs to be. */
const renderForHuman = (c: ReturnType<typeof cmd>) => render(c);

/** pull, up -d, gate. Returns undefined when healthy, else why not. */
async function bringUp(
  t: Transport,
  stack: Stack,
  services: readonly string[],
  check: GateSpec,
  tl: Timeline,
  reporter: Reporter,
  what: string,
  pull = true,
): Promise<string | undefined> {
  if (pull) {
    const pulled = await timed(tl, `pull (${what})`, () => t.exec(compose(stack, 'pull', '--quiet', ...services)));
    if (pulled.code !== 0) return `pulling its images failed: ${lastLine(pulled.stderr)}`;
  }
  // The gate's first look at the containers comes back with `up -d`, in the same round trip.
  const { up, states } = await timed(tl, `up -d (${what})`, () => upThenLook(t, stack, services));
  if (up.code !== 0) return `docker compose up failed: ${lastLine(up.stderr)}`;
  const failure = await timed(tl, `health gate (${what})`, () =>
    gate(t, stack, services, check, reporter, (text) => tl.note(`${t.label}, ${what}: ${text}`), states),
  );
  if (failure) tl.note(`${t.label}, ${what}: not healthy: ${failure.split('\n')[0]}`);
  return failure;
}

async function gate(
  t: Transport,
  stack: Stack,
  services: readonly string[],
  check: GateSpec,
  reporter: Reporter,
  note: (text: string) => void,
  /** The containers as they were just seen, for the first look. */
  seen?: ServiceState[],
): Promise<string | undefined> {
  const v = check.values;
  const timeoutMs = v.healthTimeout ?? 60_000;
  const intervalMs = v.healthInterval ?? 2_000;
  const deadline = Date.now() + timeoutMs;
  if (check.gate.containers) {
    for (;;) {
      const states = seen ?? (await serviceStates(t, stack, services));
      seen = undefined;
      const names = services.length ? services : [...new Set(states.map((s) => s.service))];
      const verdict = containersVerdict(states, names);
      if (verdict.ready) {
        reporter.info(`containers: ${verdict.why}`);
        note(`containers ${verdict.why}`);
        break;
      }
      if (verdict.final || Date.now() >= deadline) return `containers: ${verdict.why}`;
      await sleep(Math.min(intervalMs, 1000));
    }
  }
  if (check.gate.url) {
    const options = healthOptions({
      url: v.healthUrl!,
      ...(v.healthExpectStatus ? { expectStatus: v.healthExpectStatus } : {}),
      ...(v.healthExpectBody ? { expectBody: v.healthExpectBody } : {}),
      ...(v.healthExpectJson ? { expectJson: v.healthExpectJson } : {}),
      timeout: Math.max(1000, deadline - Date.now()),
      interval: intervalMs,
      requestTimeout: v.healthRequestTimeout ?? 5_000,
      healthyThreshold: v.healthHealthyThreshold ?? 1,
      ...(v.healthHeaders ? { headers: v.healthHeaders } : {}),
    });
    for (const value of Object.values(options.headers)) reporter.secret(value);
    const openTunnel = v.healthViaSsh
      ? async (host: string, port: number): Promise<Tunnel> => {
          const f = await t.forward(host, port);
          return { host: f.localHost, port: f.localPort, close: () => f.close() };
        }
      : undefined;
    const result = await checkHealth(options, { reporter, ...(openTunnel ? { openTunnel } : {}) });
    if (!result.healthy) return describeFailure(result, options);
    reporter.info(`✓ ${v.healthUrl} healthy after ${result.attempts} attempt(s)`);
    note(`${v.healthUrl} healthy after ${result.attempts} attempt(s)`);
  }
  return undefined;
}

/** What the failing containers said: their last log lines and their healthcheck's own log. */
async function showFailure(t: Transport, stack: Stack, services: readonly string[], reporter: Reporter) {
  const [logs, states] = await Promise.all([
    t.exec(compose(stack, 'logs', '--no-color', '--tail', '30', ...services)),
    serviceStates(t, stack, services),
  ]);
  await reporter.group('What the failing containers said', async () => {
    for (const s of states) {
      reporter.info(
        `${s.name}: ${s.status}${s.health ? `, ${s.health}` : ''}, ${s.restarts} restart(s), image ${s.image}`,
      );
      for (const line of s.healthLog) reporter.info(`  healthcheck ${line}`);
    }
    // compose writes terminal control sequences (erase line) even with --no-color; a log is plain text.
    const text = `${logs.stdout}${logs.stderr}`.replace(TERMINAL_CONTROL, '');
    for (const line of text.trim().split('\n').slice(-60)) reporter.info(line);
  });
}

/** A user's hook: their own shell text, run by sh in app-dir, with the release's facts as variables (not pasted in). */
async function hook(
  t: Transport,
  appDir: string,
  text: string,
  facts: Record<string, string>,
  name: string,
  reporter: Reporter,
): Promise<void> {
  const runner = 'cd -- "$1" && shift && exec sh -ec "$1"';
  const r = await t.exec(
    cmd('env', ...Object.entries(facts).map(([k, val]) => `${k}=${val}`), 'sh', '-c', runner, 'belay', appDir, text),
    { onStdout: (c) => reporter.info(c.toString().trimEnd()) },
  );
  if (r.code !== 0) throw new BelayError(`${name} failed (exit ${r.code}): ${lastLine(r.stderr) || 'no message'}.`);
}

/** Who takes the lock for `release`: this run (url, actor), this runner and process, and now. */
function lockOwner(release: string): LockOwner {
  const p = provenance();
  return {
    release,
    ...(p.run?.url ? { run: p.run.url } : {}),
    ...(p.run?.actor ? { actor: p.run.actor } : {}),
    host: hostname(),
    pid: process.pid,
    time: new Date().toISOString(),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError('migrations', 'it is not JSON', "Pass the migrate step's applied output as it is.");
  }
}

const lastLine = (text: string) => text.trim().split('\n').filter(Boolean).pop() ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `belay releases`: the release history on the first host. */
export async function runReleases({ reporter, face, loaded }: RunContext): Promise<boolean> {
  const v = loaded.values;
  if (!v.app) throw missing('app', face);
  const appDir = appDirFor(loaded.values);
  const { targets, options } = resolveConnection(v, face);
  const pool = new ConnectionPool(options, reporter);
  try {
    const store = new ReleaseStore(await pool.get(targets[0]!), appDir);
    const [list, current] = await Promise.all([store.list(), store.current()]);
    const rows = list.map((r) => [
      r.id + (r.id === current ? ' ← current' : ''),
      r.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      r.outcome,
      Object.entries(r.images)
        .map(([s, ref]) => `${s}=${ref}`)
        .join(' '),
      r.run?.actor ?? '',
    ]);
    const table = markdownTable(['Release', 'Started', 'Status', 'Images', 'Actor'], rows);
    reporter.info(list.length ? table : `no releases of ${v.app} in ${appDir}`);
    reporter.summary(`### belay releases of ${v.app}\n\n${table}`);
    reporter.setOutput(
      'releases',
      JSON.stringify(
        list.map((r) => ({
          id: r.id,
          createdAt: r.createdAt,
          outcome: r.outcome,
          current: r.id === current,
          images: r.images,
          ...(r.run?.actor ? { actor: r.run.actor } : {}),
        })),
      ),
    );
    return true;
  } finally {
    await pool.closeAll();
  }
}

/**
 * `belay rollback [--release <id>]`: to the release before the current one, or a named one. Its images must be
 * present (pinned by digest and on the server) or pullable (pulled) before anything running is touched; then the
 * same up and health gate as a deploy.
 */
export async function runRollback({ reporter, face, loaded }: RunContext): Promise<boolean> {
  const v = loaded.values;
  if (!v.app) throw missing('app', face);
  if (!v.host) throw missing('host', face);
  checkConfirmation(v);
  const appDir = appDirFor(loaded.values);
  const check = gateSpec(v);
  const { targets, options } = resolveConnection(v, face);
  const pool = new ConnectionPool(options, reporter);
  const spare = new ConnectionPool(options, reporter);
  const ledger = new LockLedger(reporter);
  const tl = timeline();
  const url = v.environmentUrl ?? v.healthUrl;
  let status: DeployStatus = 'failed';
  let why = '';
  let deployment: DeploymentRecord | undefined;
  try {
    for (const target of targets) {
      const t = await pool.get(target);
      const cli = await detectCompose(t);
      const store = new ReleaseStore(t, appDir);
      const current = await store.current();
      const list = await store.list();
      const to = v.release
        ? list.find((r) => r.id === v.release)
        : [...list].reverse().find((r) => r.id !== current && r.outcome === 'deployed');
      if (!to) {
        throw new InputError(
          'release',
          v.release
            ? `there is no release ${v.release} of ${v.app} on ${t.label}`
            : `there is no earlier healthy release of ${v.app} on ${t.label}`,
          `See them with belay releases; the newest are: ${
            list
              .slice(-5)
              .map((r) => r.id)
              .join(', ') || 'none'
          }.`,
        );
      }
      const owner = lockOwner(to.id);
      deployment ??= await startDeployment(
        v.githubToken,
        {
          environment: v.environment ?? 'production',
          description: `belay rollback ${v.app} to ${to.id}`,
          payload: { app: v.app, release: to.id },
        },
        reporter,
      );
      ledger.taken(target, appDir, owner);
      const lock = await takeLock(t, appDir, owner, v, reporter, () => spare.get(target)).catch((err: unknown) => {
        ledger.released(target, appDir);
        throw err;
      });
      try {
        const stack = stackOf(to, store, cli, appDir);
        // Present or pullable, before anything running is touched: images pinned by digest that the server has
        // are used as they are (so a rollback works while the registry is down); anything else is pulled.
        const refs = pinnedRefs(to.services, to.images);
        if (refs && (await imagesPresent(t, refs))) {
          reporter.info(`the images of ${to.id} (pinned by digest) are on ${t.label} already: no pull`);
        } else {
          const pulled = await timed(tl, `pull (rollback to ${to.id})`, () =>
            t.exec(compose(stack, 'pull', '--quiet', ...to.services)),
          );
          if (pulled.code !== 0) {
            throw new BelayError(
              `The images of ${to.id} cannot be pulled on ${t.label} (${lastLine(pulled.stderr)}): nothing was changed.`,
            );
          }
        }
        const failure = await bringUp(t, stack, to.services, check, tl, reporter, `rollback to ${to.id}`, false);
        if (failure) {
          await showFailure(t, stack, to.services, reporter);
          reporter.error(`Release ${to.id} is not healthy on ${t.label}: ${failure}.`);
          status = 'rollback-failed';
          why = `${t.label}: ${failure}`;
          break;
        }
        await store.setCurrent(to.id);
        if (current) await store.update(current, { outcome: 'rolled-back' }).catch(() => undefined);
        await store.update(to.id, { outcome: 'deployed', finishedAt: new Date().toISOString() });
        reporter.setOutput('previous-release-id', current ?? '');
        reporter.setOutput('release-id', to.id);
        status = 'deployed';
        reporter.info(`✓ ${t.label} is on release ${to.id} again, healthy`);
      } finally {
        if (await lock.release()) ledger.released(target, appDir);
      }
    }
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    await Promise.all([pool.closeAll(), spare.closeAll()]);
    reporter.setOutput('status', status);
    if (url) reporter.setOutput('url', url);
    await deployment?.finish(status, status === 'deployed' ? 'rolled back, healthy' : why, url);
    reporter.summary(summaryOf(`belay rollback ${v.app}: ${status}`, tl));
  }
  return status === 'deployed';
}
