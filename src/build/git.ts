/**
 * The git context of a build. On GitHub it is what the runner says (GITHUB_REF, GITHUB_SHA, GITHUB_EVENT_NAME and
 * the event payload at GITHUB_EVENT_PATH, read the way docker/metadata-action reads them); in a terminal it is read
 * from the repository with git. Whatever cannot be known is left out, and the tag rules that need it give no tag.
 */
import { readFileSync } from 'node:fs';
import { cmd } from '../core/command.js';
import { BelayError } from '../core/errors.js';
import { runCommand } from './process.js';
import type { GitContext } from './tags.js';

type Env = Readonly<Record<string, string | undefined>>;

interface EventPayload {
  repository?: { default_branch?: string; html_url?: string; name?: string };
  pull_request?: { number?: number; head?: { sha?: string } };
  number?: number;
  head_commit?: { timestamp?: string };
}

export interface GitReadOptions {
  /** Ask for origin's default branch (a terminal build): only the `auto` tag rule uses it. Default true. */
  readonly defaultBranch?: boolean;
}

let primed: { readonly env: Env; readonly cwd: string; readonly context: Promise<GitContext> } | undefined;

/**
 * Starts reading the git context before the build asks for it: the engine calls this while the configuration
 * loads, so the git processes run meanwhile. The next `readGitContext` with the same env and cwd takes what was
 * started (once); a build that never comes leaves it unread.
 */
export function primeGitContext(env: Env, cwd: string): void {
  const context = env.GITHUB_SHA ? fromGitHub(env, cwd) : fromRepository(cwd);
  context.catch(() => undefined); // reported by the build that takes it, if one does
  primed = { env, cwd, context };
}

export async function readGitContext(env: Env, cwd: string, options: GitReadOptions = {}): Promise<GitContext> {
  const taken = primed?.env === env && primed.cwd === cwd ? primed.context : undefined;
  primed = undefined;
  if (env.GITHUB_SHA) return taken ?? fromGitHub(env, cwd);
  const [context, defaultBranch] = await Promise.all([
    taken ?? fromRepository(cwd),
    options.defaultBranch === false ? undefined : originDefaultBranch(cwd),
  ]);
  return { ...context, ...(defaultBranch ? { defaultBranch } : {}) };
}

async function fromGitHub(env: Env, cwd: string): Promise<GitContext> {
  let event: EventPayload = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as EventPayload;
    } catch (err) {
      throw new BelayError(
        `Cannot read the GitHub event payload ${env.GITHUB_EVENT_PATH} (${(err as Error).message}); the runner writes it, so this runner is broken.`,
      );
    }
  }
  const ref = env.GITHUB_REF;
  const prFromRef = /^refs\/pull\/(\d+)\//.exec(ref ?? '')?.[1];
  const pr = event.pull_request?.number ?? (prFromRef ? Number(prFromRef) : undefined);
  const repository = env.GITHUB_REPOSITORY;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  // A pull request builds GitHub's merge commit; the head commit is the one its author knows.
  const sha = event.pull_request?.head?.sha ?? env.GITHUB_SHA;
  const defaultBranch = event.repository?.default_branch;
  const name = event.repository?.name ?? repository?.split('/')[1];
  const created = (sha ? await commitTime(cwd, sha) : undefined) ?? event.head_commit?.timestamp;
  return {
    ...(sha ? { sha } : {}),
    ...(ref ? { ref } : {}),
    ...(env.GITHUB_EVENT_NAME ? { event: env.GITHUB_EVENT_NAME } : {}),
    ...(defaultBranch ? { defaultBranch } : {}),
    ...(pr !== undefined ? { pullRequest: pr } : {}),
    ...(created ? { commitTime: new Date(created).toISOString() } : {}),
    ...(repository ? { sourceUrl: `${server}/${repository}` } : {}),
    ...(name ? { repositoryName: name } : {}),
  };
}

const git = (cwd: string, ...args: string[]) =>
  runCommand(cmd('git', ...args), { cwd, env: { GIT_TERMINAL_PROMPT: '0' } }).then(
    (r) => (r.code === 0 ? r.stdout.trim() : undefined),
    () => undefined, // no git here: nothing is known
  );

async function commitTime(cwd: string, sha: string): Promise<string | undefined> {
  const seconds = await git(cwd, 'show', '-s', '--format=%ct', sha);
  return seconds && /^\d+$/.test(seconds) ? new Date(Number(seconds) * 1000).toISOString() : undefined;
}

/** origin's default branch, from `refs/remotes/origin/HEAD` (set by `git clone`). */
async function originDefaultBranch(cwd: string): Promise<string | undefined> {
  return (await git(cwd, 'symbolic-ref', '-q', 'refs/remotes/origin/HEAD'))?.replace('refs/remotes/origin/', '');
}

/**
 * A terminal build: HEAD, its time, branch and tags (one `git log`: `%D` lists `HEAD -> main, tag: v1.2.3, …`) and
 * origin's URL, asked at once (origin's default branch is asked beside them, by readGitContext, when needed).
 */
async function fromRepository(cwd: string): Promise<GitContext> {
  const [head, origin] = await Promise.all([
    git(cwd, 'log', '-1', '--no-show-signature', '--format=%H %ct%n%D', 'HEAD'),
    git(cwd, 'config', '--get', 'remote.origin.url'),
  ]);
  const [first, decorations = ''] = head?.split('\n') ?? [];
  const [sha, seconds] = first?.split(' ') ?? [];
  const names = decorations.split(', ').filter(Boolean);
  const branch = names.find((n) => n.startsWith('HEAD -> '))?.slice(8);
  const tagList = names.filter((n) => n.startsWith('tag: ')).map((n) => n.slice(5));
  const ref = branch ? `refs/heads/${branch}` : tagList[0] ? `refs/tags/${tagList[0]}` : undefined;
  const source = origin ? webUrl(origin) : undefined;
  return {
    ...(sha ? { sha } : {}),
    ...(ref ? { ref } : {}),
    ...(tagList.length ? { tagsAtHead: tagList } : {}),
    ...(seconds ? { commitTime: new Date(Number(seconds) * 1000).toISOString() } : {}),
    ...(source ? { sourceUrl: source, repositoryName: source.split('/').pop()! } : {}),
  };
}

/** `git@github.com:o/r.git` or `https://user:token@github.com/o/r.git` → `https://github.com/o/r` (no credentials). */
export function webUrl(remote: string): string | undefined {
  const scp = /^[\w.-]+@([\w.-]+):(.+?)(\.git)?\/?$/.exec(remote);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  try {
    const url = new URL(remote);
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol)) return undefined;
    return `https://${url.hostname}${url.pathname.replace(/\.git\/?$/, '').replace(/\/$/, '')}`;
  } catch {
    return undefined;
  }
}
