/**
 * The review-time check (`against-ref`) on real, temporary git repositories: the base side is read from git at a
 * ref, the branch side from the work tree, and compareWithBase says what a pull request does to migrations that
 * exist on the base. No database is involved.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithBase, readFolderAtRef, type ReviewProblem } from '../../src/migrate/against-ref.js';
import { readMigrationFolder } from '../../src/migrate/folder.js';
import { InputError } from '../../src/core/errors.js';
import type { MigrationFormat } from '../../src/migrate/types.js';

const root = mkdtempSync(join(tmpdir(), 'belay-against-ref-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** git for the fixtures, isolated from the machine's and the user's configuration (signing, hooks, templates). */
function git(cwd: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  for (const name of Object.keys(env))
    if (/^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY)$/.test(name)) delete env[name];
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' });
}

let repos = 0;
/** A repository whose main branch has `files` committed, checked out on a new branch `feature`. */
function repository(files: Record<string, string>): string {
  const repo = join(root, `repo-${repos++}`);
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'belay test');
  git(repo, 'config', 'user.email', 'test@belay.invalid');
  git(repo, 'config', 'core.autocrlf', 'false');
  write(repo, files);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'base');
  git(repo, 'checkout', '-q', '-b', 'feature');
  return repo;
}

function write(repo: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
}

function commit(repo: string): void {
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'change');
}

const INIT = 'CREATE TABLE users (id serial PRIMARY KEY);\nCREATE INDEX users_id ON users (id);\n';
const POSTS = 'CREATE TABLE posts (id serial PRIMARY KEY, user_id int NOT NULL);\n';
const PLAIN = { 'db/0001_init.sql': INIT, 'db/0003_posts.sql': POSTS };

/** Base at `ref` against the work tree's folder. */
async function review(repo: string, format: 'auto' | MigrationFormat = 'plain', dir = 'db', ref = 'main') {
  const head = readMigrationFolder(join(repo, dir), format);
  const base = await readFolderAtRef(repo, ref, dir, head.format);
  return compareWithBase(base, head);
}

const kinds = (problems: readonly ReviewProblem[]) => problems.map((p) => `${p.kind} ${p.file}`);

describe('plain folder', () => {
  it('reads the base from git and finds nothing when nothing changed', async () => {
    const repo = repository(PLAIN);
    const base = await readFolderAtRef(repo, 'main', 'db', 'plain');
    expect(base?.dir).toBe('main:db');
    expect(base?.migrations.map((m) => m.name)).toEqual(['0001_init.sql', '0003_posts.sql']);
    expect(await review(repo)).toEqual([]);
  });

  it('reports an edited base migration with both checksums', async () => {
    const repo = repository(PLAIN);
    const before = readMigrationFolder(join(repo, 'db'), 'plain').migrations[1]!.checksum;
    write(repo, { 'db/0003_posts.sql': POSTS.replace('NOT NULL', 'NULL') });
    commit(repo);
    const after = readMigrationFolder(join(repo, 'db'), 'plain').migrations[1]!.checksum;
    const problems = await review(repo);
    expect(kinds(problems)).toEqual(['edited 0003_posts.sql']);
    expect(problems[0]!.message).toContain(`expected sha256 ${before}, actual ${after}`);
    expect(problems[0]!.message).toContain('put the change in a new migration');
    expect(problems[0]!.message).not.toContain('\n');
  });

  it('accepts a CRLF re-save of a base migration, and nothing else', async () => {
    const repo = repository(PLAIN);
    write(repo, { 'db/0001_init.sql': INIT.replace(/\n/g, '\r\n') });
    commit(repo);
    expect(await review(repo)).toEqual([]);
    // A trailing space is an edit, even though it changes nothing a database would see.
    write(repo, { 'db/0001_init.sql': INIT.replace(/\n/g, ' \n') });
    expect(kinds(await review(repo))).toEqual(['edited 0001_init.sql']);
  });

  it('reports a removed base migration', async () => {
    const repo = repository(PLAIN);
    unlinkSync(join(repo, 'db/0001_init.sql'));
    commit(repo);
    const problems = await review(repo);
    expect(kinds(problems)).toEqual(['removed 0001_init.sql']);
    expect(problems[0]!.message).toMatch(/^0001_init\.sql exists on the base but was removed/);
  });

  it('reports a rename (same content under a new name) once, naming both files', async () => {
    const repo = repository(PLAIN);
    git(repo, 'mv', 'db/0001_init.sql', 'db/0000_init.sql');
    commit(repo);
    const problems = await review(repo);
    expect(kinds(problems)).toEqual(['renamed 0000_init.sql']);
    expect(problems[0]!.message).toContain('0001_init.sql exists on the base and was renamed to 0000_init.sql');
  });

  it('reports a new migration that sorts before the newest base migration, and accepts one after it', async () => {
    const repo = repository(PLAIN);
    write(repo, { 'db/0002_tags.sql': 'CREATE TABLE tags (id int);\n' });
    commit(repo);
    const problems = await review(repo);
    expect(kinds(problems)).toEqual(['out-of-order 0002_tags.sql']);
    expect(problems[0]!.message).toContain('sorts before 0003_posts.sql, the newest migration on the base');

    git(repo, 'mv', 'db/0002_tags.sql', 'db/0004_tags.sql');
    commit(repo);
    expect(await review(repo)).toEqual([]);
  });

  it('reads the base from git, not from the disk, while the work tree has uncommitted changes', async () => {
    const repo = repository(PLAIN);
    write(repo, { 'db/0001_init.sql': '-- edited, not committed\n', 'db/0002_new.sql': 'SELECT 1;\n' });
    unlinkSync(join(repo, 'db/0003_posts.sql'));
    const base = await readFolderAtRef(repo, 'main', 'db', 'plain');
    expect(base?.migrations.map((m) => [m.name, m.text])).toEqual([
      ['0001_init.sql', INIT],
      ['0003_posts.sql', POSTS],
    ]);
    expect(git(repo, 'status', '--porcelain')).toContain('0002_new.sql'); // the work tree was left as it was
    expect(readFileSync(join(repo, 'db/0001_init.sql'), 'utf8')).toBe('-- edited, not committed\n');
    expect(kinds(await review(repo))).toEqual(['edited 0001_init.sql', 'removed 0003_posts.sql']);
  });

  it('reads a remote-tracking ref, from a subdirectory, with an absolute dir', async () => {
    const origin = repository(PLAIN);
    const clone = join(root, `clone-${repos++}`);
    git(root, 'clone', '-q', '-b', 'main', origin, clone);
    write(clone, { 'db/0003_posts.sql': '-- gone\n' });
    const head = readMigrationFolder(join(clone, 'db'), 'plain');
    const base = await readFolderAtRef(join(clone, 'db'), 'origin/main', join(clone, 'db'), 'plain');
    expect(base?.dir).toBe('origin/main:db');
    expect(kinds(compareWithBase(base, head))).toEqual(['edited 0003_posts.sql']);
  });

  it('follows a symlinked migration to its content at the ref', async () => {
    const repo = repository({ 'shared/0001_init.sql': INIT, 'db/0003_posts.sql': POSTS });
    symlinkSync('../shared/0001_init.sql', join(repo, 'db/0001_init.sql'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'link');
    write(repo, { 'shared/0001_init.sql': '-- changed on disk only\n' });
    const base = await readFolderAtRef(repo, 'HEAD', 'db', 'plain');
    expect(base?.migrations.find((m) => m.name === '0001_init.sql')?.text).toBe(INIT);

    // A link out of the repository has no content git knows of: refused rather than guessed.
    symlinkSync('/etc/hostname', join(repo, 'db/0004_outside.sql'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'outside');
    await expect(readFolderAtRef(repo, 'HEAD', 'db', 'plain')).rejects.toThrow(
      /^HEAD:db\/0004_outside\.sql is a symbolic link to a path outside the repository/,
    );
  });
});

describe('drizzle folder', () => {
  const journal = (entries: [tag: string, when: number][]) =>
    JSON.stringify({
      version: '7',
      dialect: 'postgresql',
      entries: entries.map(([tag, when], idx) => ({ idx, version: '7', when, tag, breakpoints: true })),
    });
  const DRIZZLE = {
    'drizzle/meta/_journal.json': journal([
      ['0000_init', 1700000000000],
      ['0001_posts', 1700000100000],
    ]),
    'drizzle/meta/0000_snapshot.json': '{}',
    'drizzle/0000_init.sql': 'CREATE TABLE "users" ("id" serial PRIMARY KEY);\n',
    'drizzle/0001_posts.sql': 'CREATE TABLE "posts" ("id" serial PRIMARY KEY);\n--> statement-breakpoint\nSELECT 1;\n',
  };

  it('reads the journal at the ref and catches an edit', async () => {
    const repo = repository(DRIZZLE);
    const base = await readFolderAtRef(repo, 'main', 'drizzle', 'auto');
    expect(base?.format).toBe('drizzle');
    expect(base?.migrations.map((m) => m.name)).toEqual(['0000_init', '0001_posts']);
    expect(await review(repo, 'auto', 'drizzle')).toEqual([]);

    write(repo, { 'drizzle/0000_init.sql': 'CREATE TABLE "users" ("id" bigserial PRIMARY KEY);\n' });
    commit(repo);
    const problems = await review(repo, 'auto', 'drizzle');
    expect(kinds(problems)).toEqual(['edited 0000_init.sql']);
    expect(problems[0]!.message).toMatch(/expected sha256 [0-9a-f]{64}, actual [0-9a-f]{64}/);
  });

  it('accepts a new migration generated later, and refuses one drizzle-orm would skip for its older "when"', async () => {
    const repo = repository(DRIZZLE);
    const newSql = { 'drizzle/0002_tags.sql': 'CREATE TABLE "tags" ("id" int);\n' };
    write(repo, {
      ...newSql,
      'drizzle/meta/_journal.json': journal([
        ['0000_init', 1700000000000],
        ['0001_posts', 1700000100000],
        ['0002_tags', 1700000200000],
      ]),
    });
    expect(await review(repo, 'drizzle', 'drizzle')).toEqual([]);

    // Listed last, but generated on a branch before main's newest migration: drizzle-orm compares `when`.
    write(repo, {
      'drizzle/meta/_journal.json': journal([
        ['0000_init', 1700000000000],
        ['0001_posts', 1700000100000],
        ['0002_tags', 1700000050000],
      ]),
    });
    const problems = await review(repo, 'drizzle', 'drizzle');
    expect(kinds(problems)).toEqual(['out-of-order 0002_tags.sql']);
    expect(problems[0]!.message).toContain("drizzle-orm's migrator would skip it silently");
  });
});

describe('base without migrations', () => {
  it('returns undefined when the folder does not exist at the ref, and compare finds nothing', async () => {
    const repo = repository({ 'README.md': '# app\n' });
    write(repo, PLAIN);
    commit(repo);
    const base = await readFolderAtRef(repo, 'main', 'db', 'plain');
    expect(base).toBeUndefined();
    expect(compareWithBase(base, readMigrationFolder(join(repo, 'db'), 'plain'))).toEqual([]);
  });

  it('returns undefined when the folder exists at the ref with no .sql file', async () => {
    const repo = repository({ 'db/.gitkeep': '' });
    expect(await readFolderAtRef(repo, 'main', 'db', 'plain')).toBeUndefined();
  });
});

describe('bad input', () => {
  it('refuses a ref that is not a commit, naming against-ref and the fix', async () => {
    const repo = repository(PLAIN);
    const attempt = readFolderAtRef(repo, 'origin/nope', 'db', 'plain');
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(attempt).rejects.toMatchObject({
      input: 'against-ref',
      message:
        'Invalid input "against-ref": "origin/nope" is not a commit in this repository. Fetch it first ' +
        '(actions/checkout with fetch-depth: 0, or git fetch origin main).',
    });
    await expect(readFolderAtRef(repo, '--output=x', 'db', 'plain')).rejects.toMatchObject({ input: 'against-ref' });
  });

  it('refuses a folder outside the repository and a directory that is not a repository', async () => {
    const repo = repository(PLAIN);
    await expect(readFolderAtRef(repo, 'main', join(root, 'elsewhere'), 'plain')).rejects.toMatchObject({
      input: 'dir',
    });
    const plainDir = join(root, `not-a-repo-${repos++}`);
    mkdirSync(plainDir);
    // (os.tmpdir() is not inside a repository on CI or test hosts, so git finds none above this directory.)
    await expect(readFolderAtRef(plainDir, 'main', 'db', 'plain')).rejects.toMatchObject({ input: 'against-ref' });
  });

  it('names the ref in errors about the base folder', async () => {
    const repo = repository({ 'drizzle/meta/_journal.json': '{ not json', 'drizzle/0000_init.sql': 'SELECT 1;\n' });
    await expect(readFolderAtRef(repo, 'main', 'drizzle', 'drizzle')).rejects.toThrow(
      /main:drizzle\/meta\/_journal\.json is not valid JSON/,
    );
  });
});
