/** Tags and labels from the git context: the cases users rely on, as docker/metadata-action users know them. */
import { webUrl } from '../../src/build/git.js';
import { deriveTags, ociLabels, parseVersion, sanitiseTag, type GitContext } from '../../src/build/tags.js';

const sha = '0123456789abcdef0123456789abcdef01234567';
const base: GitContext = { sha, defaultBranch: 'main', event: 'push' };

describe('the auto rule', () => {
  it.each<[string, GitContext, string[]]>([
    ['push to a branch', { ...base, ref: 'refs/heads/feature/login' }, ['sha-0123456', 'feature-login']],
    ['push to the default branch', { ...base, ref: 'refs/heads/main' }, ['sha-0123456', 'main', 'latest']],
    ['a v1.2.3 tag', { ...base, ref: 'refs/tags/v1.2.3' }, ['sha-0123456', '1.2.3', '1.2', '1']],
    ['a tag without v', { ...base, ref: 'refs/tags/2.0.1' }, ['sha-0123456', '2.0.1', '2.0', '2']],
    ['a pre-release', { ...base, ref: 'refs/tags/v1.3.0-rc.1' }, ['sha-0123456', '1.3.0-rc.1']],
    ['a tag that is not a version', { ...base, ref: 'refs/tags/nightly' }, ['sha-0123456']],
    [
      'a pull request',
      { ...base, ref: 'refs/pull/7/merge', event: 'pull_request', pullRequest: 7 },
      ['sha-0123456', 'pr-7'],
    ],
    [
      'workflow_dispatch on the default branch',
      { ...base, ref: 'refs/heads/main', event: 'workflow_dispatch' },
      ['sha-0123456', 'main', 'latest'],
    ],
    [
      'a terminal on a tagged commit of main',
      { sha, ref: 'refs/heads/main', tagsAtHead: ['v0.9.0'], defaultBranch: 'main' },
      ['sha-0123456', 'main', '0.9.0', '0.9', '0', 'latest'],
    ],
    ['no default branch known: no latest', { sha, ref: 'refs/heads/main' }, ['sha-0123456', 'main']],
  ])('%s', (_, git, tags) => {
    expect(deriveTags(git, [])).toEqual(tags);
  });
});

describe('tag rules', () => {
  const onBranch: GitContext = { ...base, ref: 'refs/heads/dev' };
  it('fixed tags and templates; a template whose placeholder is empty here gives nothing', () => {
    expect(deriveTags(onBranch, ['stable', '{{branch}}-{{sha}}', 'v{{version}}'])).toEqual(['stable', 'dev-0123456']);
    expect(deriveTags({ ...base, ref: 'refs/tags/v4.5.6' }, ['{{branch}}-{{sha}}', 'v{{major}}'])).toEqual(['v4']);
  });
  it('auto mixes with other rules, without duplicates', () => {
    expect(deriveTags(onBranch, ['auto', 'dev', 'edge'])).toEqual(['sha-0123456', 'dev', 'edge']);
  });
  it('refuses an unknown placeholder and an invalid tag, naming the input', () => {
    expect(() => deriveTags(onBranch, ['{{date}}'])).toThrow(
      /Invalid input "tags": "\{\{date\}\}" is not a placeholder/,
    );
    expect(() => deriveTags(onBranch, ['-bad'])).toThrow(/Invalid input "tags": "-bad" is not a valid docker tag/);
  });
  it('no rule applies (no git, only templates): says how to fix it', () => {
    expect(() => deriveTags({}, ['{{sha}}'])).toThrow(/No tag applies to this build.*\{\{sha\}\} or a fixed tag/);
  });
});

describe('helpers', () => {
  it('sanitises branch names the way docker accepts tags', () => {
    expect(sanitiseTag('feature/Login#2')).toBe('feature-Login-2');
    expect(sanitiseTag('-x/../y')).toBe('x-..-y');
    expect(sanitiseTag('a'.repeat(200))).toHaveLength(128);
  });
  it('parses versions', () => {
    expect(parseVersion('v1.2.3')).toEqual({ full: '1.2.3', major: '1', minor: '1.2', prerelease: false });
    expect(parseVersion('v1.2.3+build.5')?.full).toBe('1.2.3');
    expect(parseVersion('v1.2')).toBeUndefined();
  });
  it('turns a git remote into the source URL, dropping credentials', () => {
    expect(webUrl('git@github.com:acme/shop.git')).toBe('https://github.com/acme/shop');
    expect(webUrl('https://x-access-token:ghs_abc@github.com/acme/shop.git')).toBe('https://github.com/acme/shop');
    expect(webUrl('/srv/git/shop')).toBeUndefined();
  });
  it('OCI labels: source, revision, created, version, title', () => {
    const git: GitContext = {
      ...base,
      ref: 'refs/tags/v2.0.0',
      commitTime: '2024-05-01T10:00:00.000Z',
      sourceUrl: 'https://github.com/acme/shop',
      repositoryName: 'shop',
    };
    expect(ociLabels(git, ['sha-0123456', '2.0.0'], 'ghcr.io/acme/shop-api')).toEqual({
      'org.opencontainers.image.source': 'https://github.com/acme/shop',
      'org.opencontainers.image.revision': sha,
      'org.opencontainers.image.created': '2024-05-01T10:00:00.000Z',
      'org.opencontainers.image.version': '2.0.0',
      'org.opencontainers.image.title': 'shop',
    });
    expect(ociLabels({}, ['edge'], 'ghcr.io/acme/shop-api')).toEqual({
      'org.opencontainers.image.version': 'edge',
      'org.opencontainers.image.title': 'shop-api',
    });
  });
});
