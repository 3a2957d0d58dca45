/**
 * GitHub Deployments for deploy and rollback: with `github-token`, a Deployment of the environment is created when
 * the work starts (status `in_progress`) and given its outcome at the end (`success` with the environment URL,
 * `failure` when it was rolled back or failed, `error` when even the rollback failed).
 *
 * GitHub is reached through `DeploymentService`, which the action entry provides (src/github/deployments.ts wraps
 * @actions/github): capabilities never import @actions/*. Recording is never what fails a deploy: a refused call
 * is a warning and the deploy goes on.
 */
import type { Reporter } from '../report/reporter.js';
import type { DeployStatus } from './run.js';

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error';

export interface DeploymentRequest {
  readonly token: string;
  /** Commit (or ref) deployed: GITHUB_SHA on a runner. */
  readonly ref: string;
  readonly environment: string;
  readonly description: string;
  /** What belay adds to the Deployment's payload: app, release id. */
  readonly payload: Readonly<Record<string, string>>;
}

export interface DeploymentService {
  /** Creates the Deployment; returns its id. */
  create(request: DeploymentRequest): Promise<number>;
  status(token: string, id: number, state: DeploymentState, description: string, url?: string): Promise<void>;
}

let provider: (() => Promise<DeploymentService>) | undefined;

/** Called by an action entry before it runs: how to reach GitHub's REST API. */
export function provideDeploymentService(load: () => Promise<DeploymentService>): void {
  provider = load;
}

/** A Deployment being recorded; every method is a no-op when there is none. */
export interface DeploymentRecord {
  finish(status: DeployStatus, description: string, url?: string): Promise<void>;
}

const NONE: DeploymentRecord = { finish: async () => undefined };

const STATE: Record<DeployStatus, DeploymentState> = {
  deployed: 'success',
  'rolled-back': 'failure',
  failed: 'failure',
  'rollback-failed': 'error',
};

/** Starts a Deployment when a token is given; warns (and records nothing) when that is not possible. */
export async function startDeployment(
  token: string | undefined,
  request: Omit<DeploymentRequest, 'token' | 'ref'>,
  reporter: Reporter,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DeploymentRecord> {
  if (!token) return NONE;
  if (!provider) {
    reporter.warn('github-token is given, but GitHub Deployments are recorded by the action only: none was made.');
    return NONE;
  }
  const ref = env.GITHUB_SHA ?? env.GITHUB_REF;
  if (!ref || !env.GITHUB_REPOSITORY) {
    reporter.warn('github-token is given, but GITHUB_SHA or GITHUB_REPOSITORY is not set: no GitHub Deployment made.');
    return NONE;
  }
  const warn = (what: string, err: unknown) =>
    reporter.warn(`GitHub Deployment: could not ${what} (${err instanceof Error ? err.message : String(err)}).`);
  let service: DeploymentService;
  let id: number;
  try {
    service = await provider();
    id = await service.create({ token, ref, ...request });
    await service.status(token, id, 'in_progress', request.description);
    reporter.info(`GitHub Deployment ${id} of ${request.environment}: in progress`);
  } catch (err) {
    warn('create it', err);
    return NONE;
  }
  return {
    async finish(status, description, url) {
      try {
        await service.status(token, id, STATE[status], description, url);
        reporter.info(`GitHub Deployment ${id}: ${STATE[status]}`);
      } catch (err) {
        warn(`set its status to ${STATE[status]}`, err);
      }
    },
  };
}
