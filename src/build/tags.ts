/**
 * Tags and OCI labels from the git context, pure: the same context always gives the same tags. The context comes
 * from the GitHub runner's variables (GITHUB_REF, GITHUB_SHA, the event payload) or, in a terminal, from git
 * itself (see git.ts).
 *
 * Default rules (the `auto` rule): `sha-<7>` always; the branch name (sanitised) when a branch was pushed;
 * `1.2.3`, `1.2`, `1` for a `v1.2.3` tag (only `1.2.3-rc.1` for a pre-release); `latest` on the default branch only;
 * `pr-<n>` for a pull request.
 */
import { BelayError, InputError } from '../core/errors.js';

export interface GitContext {
  /** Full commit id of what is built (for a pull request: the head commit the author pushed). */
  readonly sha?: string;
  /** `refs/heads/<branch>`, `refs/tags/<tag>` or `refs/pull/<n>/merge`. */
  readonly ref?: string;
  /** Tags pointing at the commit (a terminal build on a tagged commit), besides `ref`. */
  readonly tagsAtHead?: readonly string[];
  /** GitHub's event name (`push`, `pull_request`, `workflow_dispatch`, …); absent outside GitHub. */
  readonly event?: string;
  readonly defaultBranch?: string;
  readonly pullRequest?: number;
  /** Commit time, ISO 8601: the image's `created` label, so one commit always gives the same image. */
  readonly commitTime?: string;
  /** `https://github.com/owner/repo`, for the `source` label. */
  readonly sourceUrl?: string;
  /** `repo` of `owner/repo`, for the `title` label. */
  readonly repositoryName?: string;
}

export interface Version {
  readonly full: string;
  readonly major: string;
  readonly minor: string;
  readonly prerelease: boolean;
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
/** Docker's tag grammar. */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function parseVersion(tag: string): Version | undefined {
  const m = SEMVER.exec(tag);
  if (!m) return undefined;
  const [, major, minor, patch, pre] = m;
  // `+build` metadata is not allowed in a docker tag; it does not make another version either.
  return {
    full: `${major}.${minor}.${patch}${pre ?? ''}`,
    major: major!,
    minor: `${major}.${minor}`,
    prerelease: !!pre,
  };
}

/** A branch name as a docker tag: `feature/Login#2` → `feature-Login-2` (as docker/metadata-action does). */
export function sanitiseTag(name: string): string {
  return name
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
}

export const branchOf = (ref: string | undefined) => (ref?.startsWith('refs/heads/') ? ref.slice(11) : undefined);
const tagOf = (ref: string | undefined) => (ref?.startsWith('refs/tags/') ? ref.slice(10) : undefined);
const isPullRequest = (git: GitContext) =>
  git.pullRequest !== undefined || (git.event?.startsWith('pull_request') ?? false);

/** The version this commit is released as: the pushed tag, or (terminal) a version tag at HEAD. */
export function versionOf(git: GitContext): Version | undefined {
  for (const tag of [tagOf(git.ref), ...(git.tagsAtHead ?? [])]) {
    const v = tag === undefined ? undefined : parseVersion(tag);
    if (v) return v;
  }
  return undefined;
}

/** What `{{name}}` placeholders expand to in this context (absent: the rule gives no tag here). */
export function placeholders(git: GitContext): Record<string, string | undefined> {
  const v = versionOf(git);
  const branch = isPullRequest(git) ? undefined : branchOf(git.ref);
  return {
    sha: git.sha?.slice(0, 7),
    branch: branch === undefined ? undefined : sanitiseTag(branch),
    version: v?.full,
    major: v && !v.prerelease ? v.major : undefined,
    minor: v && !v.prerelease ? v.minor : undefined,
    pr: git.pullRequest === undefined ? undefined : String(git.pullRequest),
  };
}

/** The `auto` rule: see the top of this file. */
export function autoTags(git: GitContext): string[] {
  const p = placeholders(git);
  const tags: string[] = [];
  if (p.sha) tags.push(`sha-${p.sha}`);
  if (p.branch) tags.push(p.branch);
  if (p.version) tags.push(p.version);
  if (p.minor) tags.push(p.minor);
  if (p.major) tags.push(p.major);
  const branch = branchOf(git.ref);
  if (!isPullRequest(git) && branch !== undefined && branch === git.defaultBranch) tags.push('latest');
  if (p.pr) tags.push(`pr-${p.pr}`);
  return tags;
}

/**
 * The `tags` input: one rule per line (or comma-separated). `auto` is the default set; a line with `{{sha}}`,
 * `{{branch}}`, `{{version}}`, `{{minor}}`, `{{major}}` or `{{pr}}` is a template that gives a tag only where every
 * placeholder has a value (`{{branch}}-{{sha}}` gives nothing on a tag push); anything else is a literal tag.
 */
export function deriveTags(git: GitContext, rules: readonly string[]): string[] {
  const p = placeholders(git);
  const out: string[] = [];
  for (const rule of rules.length ? rules : ['auto']) {
    if (rule === 'auto') {
      out.push(...autoTags(git));
      continue;
    }
    let complete = true;
    const tag = rule.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (_, name: string) => {
      if (!(name in p)) {
        throw new InputError(
          'tags',
          `"{{${name}}}" is not a placeholder`,
          'Use {{sha}}, {{branch}}, {{version}}, {{minor}}, {{major}} or {{pr}}.',
        );
      }
      const value = p[name];
      if (value === undefined) complete = false;
      return value ?? '';
    });
    if (!complete) continue;
    if (!TAG.test(tag)) {
      throw new InputError(
        'tags',
        `"${tag}" is not a valid docker tag`,
        'A tag is up to 128 letters, digits, _ . and -, not starting with . or -.',
      );
    }
    out.push(tag);
  }
  const unique = [...new Set(out)];
  if (unique.length === 0) {
    throw new BelayError(
      `No tag applies to this build (rules: ${rules.join(', ')}; ref ${git.ref ?? 'unknown'}). ` +
        'Add a rule that always applies, such as {{sha}} or a fixed tag, to the tags input.',
    );
  }
  return unique;
}

/** OCI annotations as labels; a label the user gives under `labels` wins. */
export function ociLabels(git: GitContext, tags: readonly string[], imageName: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value) labels[`org.opencontainers.image.${name}`] = value;
  };
  set('source', git.sourceUrl);
  set('revision', git.sha);
  set('created', git.commitTime);
  set('version', versionOf(git)?.full ?? tags.find((t) => !t.startsWith('sha-')) ?? tags[0]);
  set('title', git.repositoryName ?? imageName.split('/').pop());
  return labels;
}
