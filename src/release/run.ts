/**
 * `belay release` / the release action: build-image → backup → migrate → deploy, in one step, each stage the same
 * code as its own command. A stage that fails stops the release there: a failed build, backup or migration
 * verification leaves the server running what it ran (the migrate stage applies nothing once verification
 * failed), and a deploy that is not healthy rolls back by itself as a deploy does. What one stage produced is
 * handed to the next: the built image's digest ref into `images`, the backup id and the applied migrations into
 * the release record.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { missing } from '../config/layers.js';
import { formatDuration } from '../core/duration.js';
import { InputError } from '../core/errors.js';
import type { RunContext } from '../engine.js';
import { markdownTable, type Reporter } from '../report/reporter.js';

type Values = RunContext['loaded']['values'];
export const STAGES = ['build', 'backup', 'migrate', 'deploy'] as const;
type Stage = (typeof STAGES)[number];

/** Outputs of the stages that are the release's own outputs too (`status` is the release's, set below). */
const FORWARDED = new Set(['ref', 'digest', 'backup-id', 'applied', 'release-id', 'previous-release-id', 'url']);

/** Which stages run: the `stages` input, or what the settings ask for (`auto`). */
export function releaseStages(v: Values, cwd: string): Stage[] {
  const given = (v.stages ?? 'auto').trim();
  if (given === 'auto') {
    const sqlite = v.engine === 'sqlite';
    const database = sqlite ? !!v.sqlitePath : !!v.database;
    const migrations = !sqlite && (!!v.databaseUrl || !!v.database) && existsSync(resolve(cwd, v.dir ?? 'migrations'));
    return STAGES.filter(
      (s) =>
        s === 'deploy' ||
        (s === 'build' && !!v.image) ||
        (s === 'backup' && database) ||
        (s === 'migrate' && migrations),
    );
  }
  const asked = given.split(/[\s,]+/).filter(Boolean);
  for (const s of asked) {
    if (!(STAGES as readonly string[]).includes(s)) {
      throw new InputError('stages', `"${s}" is not a stage`, `Use auto, or a list of ${STAGES.join(', ')}.`);
    }
  }
  return STAGES.filter((s) => asked.includes(s));
}

/** The label of the pre-deploy backup: `pre-deploy-<commit>` (GITHUB_SHA, else the workspace's HEAD). */
function preDeployLabel(cwd: string): string {
  let sha = process.env.GITHUB_SHA;
  if (!sha) {
    try {
      sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      sha = undefined;
    }
  }
  return sha ? `pre-deploy-${sha.trim().slice(0, 7)}` : 'pre-deploy';
}

/** The service that runs the built image: build-service, else the only one in services (or in images). */
function builtService(v: Values, face: RunContext['face']): string {
  if (v.buildService) return v.buildService;
  const named = v.services ? v.services.split(/[\s,]+/).filter(Boolean) : [];
  if (named.length === 1) return named[0]!;
  throw missing('buildService', face, 'release builds an image but does not know which compose service runs it, so it');
}

/** Sets `service=ref` in the images lines, replacing that service's line when there is one. */
function withImage(images: string | undefined, service: string, ref: string): string {
  const kept = (images ?? '').split('\n').filter((l) => l.trim() && l.slice(0, l.indexOf('=')).trim() !== service);
  return [...kept, `${service}=${ref}`].join('\n');
}

export async function runRelease(ctx: RunContext): Promise<boolean> {
  const { reporter, face, loaded, cwd } = ctx;
  const v = loaded.values;
  if (!v.app) throw missing('app', face);
  if (!v.host) throw missing('host', face);
  // Loaded, not imported: deploy's code is then one chunk of the bundle that both deploy and release load.
  const { checkConfirmation, planDeploy } = await import('../deploy/run.js');
  checkConfirmation(v);
  const stages = releaseStages(v, cwd);
  // Everything deploy will refuse is refused now, before a stage changes anything.
  planDeploy(loaded, face, cwd);
  const service = stages.includes('build') ? builtService(v, face) : undefined;
  if (stages.includes('build') && !v.image) throw missing('image', face, 'the build stage is asked for, so it');

  const outputs: Record<Stage, Record<string, string>> = { build: {}, backup: {}, migrate: {}, deploy: {} };
  const rows: [string, string, string][] = [];
  let values: Values = v;
  let stoppedAt: Stage | 'done' = 'done';
  let status = 'failed';
  reporter.info(`release ${v.app}: ${stages.join(' → ')}`);
  try {
    for (const stage of stages) {
      const started = Date.now();
      const ok = await reporter
        .group(`belay release: ${stage}`, () => runStage(stage, ctx, values, stageReporter(reporter, outputs[stage])))
        .catch((err: unknown) => {
          stoppedAt = stage;
          rows.push([stage, 'failed', formatDuration(Date.now() - started)]);
          throw err;
        });
      const result =
        stage === 'deploy' ? (outputs.deploy.status ?? (ok ? 'deployed' : 'failed')) : ok ? 'ok' : 'failed';
      rows.push([stage, result, formatDuration(Date.now() - started)]);
      if (stage === 'deploy') status = outputs.deploy.status ?? (ok ? 'deployed' : 'failed');
      if (!ok) {
        stoppedAt = stage;
        if (stage !== 'deploy') reporter.error(`release ${v.app} stopped at ${stage}: nothing was deployed.`);
        return false;
      }
      values = handOn(stage, values, outputs[stage], service);
    }
    return true;
  } finally {
    reporter.setOutput('stage', stoppedAt);
    reporter.setOutput('status', status);
    reporter.summary(`### belay release ${v.app}: ${status}\n\n${markdownTable(['Stage', 'Result', 'Took'], rows)}`);
  }
}

/** Each stage sees the release's reporter, its outputs kept for the next stage. */
function stageReporter(reporter: Reporter, outputs: Record<string, string>): Reporter {
  return Object.assign(Object.create(reporter) as Reporter, {
    setOutput(name: string, value: string | number | boolean) {
      outputs[name] = String(value);
      if (FORWARDED.has(name)) reporter.setOutput(name, value);
    },
  });
}

async function runStage(stage: Stage, ctx: RunContext, values: Values, reporter: Reporter): Promise<boolean> {
  const at = { ...ctx, reporter, loaded: { ...ctx.loaded, values } };
  switch (stage) {
    case 'build':
      return (await import('../build/run.js')).runBuild(at);
    case 'backup':
      return (await import('../backup/run.js')).runBackup({
        ...at,
        loaded: { ...at.loaded, values: { ...values, label: values.label ?? preDeployLabel(ctx.cwd) } },
      });
    case 'migrate':
      return (await import('../migrate/run.js')).runMigrate({
        ...at,
        loaded: { ...at.loaded, values: { ...values, mode: 'apply' } },
      });
    case 'deploy':
      return (await import('../deploy/run.js')).runDeploy(at);
  }
}

/** What a stage hands to the ones after it. */
function handOn(stage: Stage, v: Values, out: Record<string, string>, service: string | undefined): Values {
  if (stage === 'build' && service && out.ref) return { ...v, images: withImage(v.images, service, out.ref) };
  if (stage === 'backup' && out['backup-id']) return { ...v, backupId: out['backup-id'] };
  if (stage === 'migrate' && out.applied) return { ...v, migrations: out.applied };
  return v;
}
