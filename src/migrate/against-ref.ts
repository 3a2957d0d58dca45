/**
 * `against-ref`: the review-time check. It compares the migrations folder of a branch with the same folder at a git
 * base (`origin/main`), with no database at all.
 *
 * Why this exists next to the database check: the ledger check runs at deploy time, when a merged edit of an
 * applied migration is already on main and the only way out is a revert or `belay migrate accept`. At review time
 * the same facts are visible from git alone: every migration on the base has been (or will be) applied somewhere,
 * so editing, removing or renaming one, or adding one that sorts before the newest one, is a problem the database
 * check would find later on every environment. Reporting it on the pull request, as annotations on the files,
 * costs a reviewer nothing and stops it before merge (Atlas's atlas.sum does the same with a hash file; belay needs
 * no extra file because git already has the base).
 *
 * The rules are the database check's rules (src/migrate/plan.ts), so that what passes here passes at deploy: the
 * same names, the same "equivalent checksums" (CRLF and LF variants of a file are equal, nothing else is), the same
 * order.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BelayError, InputError } from '../core/errors.js';
import { readMigrationFolder } from './folder.js';
import type { Migration, MigrationFolder, MigrationFormat } from './types.js';

const JOURNAL = 'meta/_journal.json';
const FIX_FETCH = 'Fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin main).';

/**
 * The migrations folder as it is at git `ref`, read from git's objects without touching the work tree (which holds
 * the branch under review, possibly with uncommitted changes). Returns undefined when the folder does not exist at
 * the ref, or holds no `.sql` file there: the branch adds the first migrations, and there is no history to protect.
 *
 * - `repoDir`: a directory inside the repository (the checkout).
 * - `dir`: the migrations folder, absolute or relative to `repoDir`: the same folder the branch's side is read from.
 * - `format`: pass the format the branch's folder was read with, so that both sides are named and ordered by the
 *   same rule (`auto` could pick differently on each side).
 *
 * The returned folder's `dir` is `<ref>:<path in the repository>` (e.g. `origin/main:db/migrations`): the files were
 * read from a temporary directory that no longer exists.
 */
export async function readFolderAtRef(
  repoDir: string,
  ref: string,
  dir: string,
  format: 'auto' | MigrationFormat,
): Promise<MigrationFolder | undefined> {
  if (ref === '' || ref.startsWith('-') || /[\0\n\r]/.test(ref)) {
    // A leading "-" would be read by git as an option; a newline would break cat-file's line protocol.
    throw new InputError(
      'against-ref',
      `"${ref}" is not a git revision`,
      'Use a branch, tag or commit, such as origin/main.',
    );
  }
  const top = await toplevel(repoDir);
  const path = pathInRepository(top, resolve(repoDir, dir));

  // The commit's id, resolved once: every later read names this id, so a ref moved by a concurrent fetch cannot
  // make the listing and the contents come from two different commits.
  const commit = (await git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], '', [0, 1])).stdout
    .toString()
    .trim();
  if (commit === '') throw new InputError('against-ref', `"${ref}" is not a commit in this repository`, FIX_FETCH);

  const label = `${ref}:${path === '' ? '.' : path}`;
  const tree = await folderTree(top, commit, path);
  if (tree === undefined) return undefined;
  const sqlFiles = (await listTree(top, tree)).filter(
    (e) => e.type === 'blob' && e.name.endsWith('.sql') && !e.name.includes('\n'),
  );
  if (sqlFiles.length === 0) return undefined;

  // `<commit>:<path>` names each blob; --follow-symlinks makes a symlinked migration read as its target's content
  // at the same commit (what a checkout of that commit would read), not as whatever the work tree has there now.
  const prefix = path === '' ? '' : `${path}/`;
  const wanted = [...sqlFiles.map((e) => e.name), JOURNAL];
  const blobs = await catBlobs(
    top,
    wanted.map((name) => `${commit}:${prefix}${name}`),
  );

  const temp = mkdtempSync(join(tmpdir(), 'belay-against-ref-'));
  try {
    mkdirSync(join(temp, 'meta'));
    wanted.forEach((name, i) => {
      const blob = blobs[i]!;
      if (blob.kind === 'blob') writeFileSync(join(temp, name), blob.content);
      // A link that points outside the repository reads whatever that path holds on the machine, which git does
      // not know: fail rather than compare the branch with a guess. Dangling or looping links, and links to
      // folders, are skipped, as folder.ts skips them in a checkout.
      else if (blob.what === 'symlink') {
        throw new BelayError(
          `${label}/${name} is a symbolic link to a path outside the repository, so its content at ${ref} is unknown. ` +
            'Make it a regular file, or a link to a file inside the repository.',
        );
      }
    });
    const folder = readMigrationFolder(temp, format);
    return { ...folder, dir: label };
  } catch (err) {
    // folder.ts names the directory it read; say where the files really come from.
    if (err instanceof Error) err.message = err.message.split(temp).join(label);
    throw err;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

export interface ReviewProblem {
  /** The file the problem is about, relative to the migrations folder (the base's file when it is gone). */
  readonly file: string;
  readonly kind: 'edited' | 'removed' | 'renamed' | 'out-of-order';
  /** One line: what is wrong and the way out. */
  readonly message: string;
}

/**
 * What the branch (`head`) does to the migrations that exist on the base, pure and without a database. `base`
 * undefined (no folder at the base) means there is nothing to compare with.
 *
 * - edited: a base migration whose file changed beyond line endings. Checked the way the deploy-time check
 *   checks a ledger row (the base's checksum among the branch file's equivalent checksums), so a change this lets
 *   through is not one the database check would refuse later.
 * - removed / renamed: a base migration whose name is gone. The ledger records migrations by name, so a database
 *   that applied it would find it missing, and a renamed copy would run a second time. A rename is recognised by a
 *   new migration with the same content, and reported once, on the new file.
 * - out-of-order: a new migration that sorts before the newest base migration (by the folder's order). Databases
 *   that already applied the base would have to run it out of order: belay refuses that, drizzle-orm skips it
 *   without a word. For drizzle folders, a new migration whose journal `when` is not later than every `when` on the
 *   base is out of order too even when the journal lists it last: drizzle-orm's migrator decides by `when`, so an
 *   app that runs it on start would skip that migration (a branch generated before main's newest migration and
 *   merged after it).
 */
export function compareWithBase(base: MigrationFolder | undefined, head: MigrationFolder): ReviewProblem[] {
  if (base === undefined) return [];
  const problems: ReviewProblem[] = [];
  const headByName = new Map(head.migrations.map((m) => [m.name, m]));
  const baseNames = new Set(base.migrations.map((m) => m.name));
  const added = head.migrations.filter((m) => !baseNames.has(m.name));
  const renamedTo = new Set<Migration>();

  // The newest base migration still in the branch, by the branch's order: new migrations must come after it.
  let newest: Migration | undefined;
  const later = (m: Migration) => {
    if (newest === undefined || m.index > newest.index) newest = m;
  };

  for (const old of base.migrations) {
    const current = headByName.get(old.name);
    if (current !== undefined) {
      later(current);
      if (!current.equivalentChecksums.includes(old.checksum)) problems.push(edited(old, current));
      continue;
    }
    const copy = added.find((m) => !renamedTo.has(m) && m.equivalentChecksums.includes(old.checksum));
    if (copy === undefined) {
      problems.push(removed(old));
      continue;
    }
    renamedTo.add(copy);
    later(copy);
    problems.push(renamed(old, copy));
  }

  const newestWhen = newestByWhen(base.migrations);
  for (const m of added) {
    if (renamedTo.has(m)) continue;
    if (newest !== undefined && m.index < newest.index) problems.push(beforeNewest(m, newest, head.format));
    else if (newestWhen?.drizzle && m.drizzle && m.drizzle.when <= newestWhen.drizzle.when) {
      problems.push(notAfterWhen(m, newestWhen));
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------- messages

function edited(old: Migration, current: Migration): ReviewProblem {
  return {
    file: current.file,
    kind: 'edited',
    message:
      `${current.file} exists on the base and was edited: expected sha256 ${old.checksum}, actual ${current.checksum}. ` +
      'Databases that applied it would fail verification; restore it and put the change in a new migration.',
  };
}

function removed(old: Migration): ReviewProblem {
  return {
    file: old.file,
    kind: 'removed',
    message:
      `${old.file} exists on the base but was removed, so databases that applied it would fail verification. ` +
      'Restore it; to undo what it did, add a new migration.',
  };
}

function renamed(old: Migration, copy: Migration): ReviewProblem {
  return {
    file: copy.file,
    kind: 'renamed',
    message:
      `${old.file} exists on the base and was renamed to ${copy.file}: databases that applied ${old.name} would ` +
      `find it missing and run ${copy.name} again. Restore the name ${old.file}.`,
  };
}

function beforeNewest(m: Migration, newest: Migration, format: MigrationFormat): ReviewProblem {
  const fix =
    format === 'drizzle'
      ? `Regenerate it with drizzle-kit (drop it, then generate) so that it comes after ${newest.name} in ${JOURNAL}.`
      : `Rename it so that it sorts after ${newest.file}.`;
  return {
    file: m.file,
    kind: 'out-of-order',
    message:
      `${m.file} is new but sorts before ${newest.file}, the newest migration on the base: databases that already ` +
      `applied ${newest.name} would have to run it out of order. ${fix}`,
  };
}

function notAfterWhen(m: Migration, newest: Migration): ReviewProblem {
  const when = (x: Migration) => `${x.drizzle!.when} (${isoOrRaw(x.drizzle!.when)})`;
  return {
    file: m.file,
    kind: 'out-of-order',
    message:
      `${m.file} is new but its ${JOURNAL} "when" ${when(m)} is not later than ${newest.name}'s ${when(newest)} ` +
      `on the base: drizzle-orm's migrator would skip it silently on every database that applied ${newest.name}. ` +
      'Regenerate it with drizzle-kit (drop it, then generate) so that it gets a later timestamp.',
  };
}

function newestByWhen(migrations: readonly Migration[]): Migration | undefined {
  let newest: Migration | undefined;
  for (const m of migrations) {
    if (m.drizzle && (newest?.drizzle === undefined || m.drizzle.when > newest.drizzle.when)) newest = m;
  }
  return newest;
}

function isoOrRaw(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

// ---------------------------------------------------------------------------------------------------- git

interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Variables that tell git which repository to use. Git sets them for hooks (a pre-push hook running belay), and an
 * inherited one would make git read some other repository than the one `repoDir` names.
 */
const REPOSITORY_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
];

/** git exited with an unexpected code: a broken or unreadable repository, not a problem in the folder. */
class GitFailed extends BelayError {
  constructor(
    args: readonly string[],
    cwd: string,
    readonly detail: string,
  ) {
    super(`git ${args[0]} failed in ${cwd}: ${detail}. Check the checkout.`);
  }
}

/**
 * Run git with an argv array (never a shell), in `cwd`, with optional stdin. An exit code in `ok` is returned
 * (`rev-parse --verify --quiet` exits 1 for "no such revision"); any other is a GitFailed with git's first line.
 */
function git(cwd: string, args: readonly string[], input = '', ok: readonly number[] = [0]): Promise<GitResult> {
  const env = { ...process.env };
  for (const name of REPOSITORY_VARIABLES) delete env[name];
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, env, encoding: 'buffer', maxBuffer: Number.POSITIVE_INFINITY, windowsHide: true },
      (err, stdout, stderr) => {
        const detail = stderr.toString().trim().split('\n')[0] || err?.message || '';
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          // spawn says ENOENT both for a missing program and for a missing working directory.
          reject(
            existsSync(cwd)
              ? new BelayError('against-ref needs git, and git is not installed or not on PATH. Install git.')
              : new GitFailed(args, cwd, 'the directory does not exist'),
          );
          return;
        }
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (ok.includes(code)) resolvePromise({ code, stdout, stderr: detail });
        else reject(new GitFailed(args, cwd, detail));
      },
    );
    child.stdin?.on('error', () => {}); // git exiting early closes stdin; its exit code tells what happened
    child.stdin?.end(input);
  });
}

/** The work tree's root, as git spells it (symlinks resolved). */
async function toplevel(repoDir: string): Promise<string> {
  try {
    const top = (await git(repoDir, ['rev-parse', '--show-toplevel'])).stdout.toString().trim();
    if (top !== '') return top;
  } catch (err) {
    if (!(err instanceof GitFailed)) throw err;
    throw new InputError(
      'against-ref',
      `${repoDir} is not in a git work tree that git can read (${err.detail})`,
      'Run belay from a git checkout (actions/checkout), or leave against-ref empty.',
    );
  }
  // A bare repository has no toplevel and no folder on disk to compare with.
  throw new InputError(
    'against-ref',
    `${repoDir} is not in a git work tree`,
    'Run belay from a git checkout (actions/checkout), or leave against-ref empty.',
  );
}

/** `dir`'s path inside the repository, with `/` separators; '' for the root itself. */
function pathInRepository(top: string, dir: string): string {
  // git prints the toplevel with symlinks resolved (/tmp → /private/tmp on macOS), so resolve dir's the same way.
  // The folder need not exist on disk: the branch may have deleted it, and the base still has it.
  const rel = relative(realpathSync(top), realpathOfExisting(dir));
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new InputError(
      'dir',
      `${dir} is not inside the git repository ${top}, so against-ref cannot compare it`,
      'Point "dir" at the migrations folder inside the repository, or leave against-ref empty.',
    );
  }
  return rel.split(sep).join('/');
}

function realpathOfExisting(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    const parent = dirname(path);
    if (parent === path || (err as NodeJS.ErrnoException).code !== 'ENOENT') return path;
    return join(realpathOfExisting(parent), basename(path));
  }
}

/** The tree id of the folder at `commit`, or undefined when the path does not exist there or is not a folder. */
async function folderTree(top: string, commit: string, path: string): Promise<string | undefined> {
  // cat-file --batch-check takes `<commit>:<path>` literally (no pathspec globbing) and answers "missing" instead
  // of failing, so a missing folder is told apart from a broken repository.
  const spec = path === '' ? `${commit}^{tree}` : `${commit}:${path}`;
  const { stdout } = await git(top, ['cat-file', '--batch-check'], `${spec}\n`);
  const match = /^([0-9a-f]{40,64}) (\w+) \d+$/.exec(stdout.toString().trim());
  return match?.[2] === 'tree' ? match[1] : undefined;
}

interface TreeEntry {
  readonly type: string;
  readonly name: string;
}

/** The entries directly in a tree (no recursion: drizzle's snapshots under meta/ are never read). */
async function listTree(top: string, tree: string): Promise<TreeEntry[]> {
  const { stdout } = await git(top, ['ls-tree', '-z', tree]);
  const entries: TreeEntry[] = [];
  for (const record of stdout.toString().split('\0')) {
    // "<mode> SP <type> SP <object> TAB <name>"; -z leaves names unquoted.
    const tab = record.indexOf('\t');
    if (tab === -1) continue;
    entries.push({ type: record.slice(0, tab).split(' ')[1] ?? '', name: record.slice(tab + 1) });
  }
  return entries;
}

type CatResult =
  { readonly kind: 'blob'; readonly content: Buffer } | { readonly kind: 'other'; readonly what: string };

/**
 * The contents of many blobs from one `git cat-file --batch --follow-symlinks`, one result per spec, in order:
 * `blob` with the bytes exactly as committed (no eol or filter conversion), `missing`, or what git says about a
 * symlink it cannot follow inside the repository (`symlink` outside it, `dangling`, `loop`, `notdir`), or the type
 * of a non-blob object.
 */
async function catBlobs(top: string, specs: readonly string[]): Promise<CatResult[]> {
  const { stdout: out } = await git(
    top,
    ['cat-file', '--batch', '--follow-symlinks'],
    specs.map((s) => `${s}\n`).join(''),
  );
  const results: CatResult[] = [];
  let at = 0;
  for (let i = 0; i < specs.length; i++) {
    const end = out.indexOf(0x0a, at);
    if (end === -1) throw new BelayError(`git cat-file ended early while reading ${specs[i]}. Check the checkout.`);
    const header = out.subarray(at, end).toString();
    at = end + 1;
    const object = /^[0-9a-f]{40,64} (\w+) (\d+)$/.exec(header);
    const link = /^(symlink|dangling|loop|notdir) (\d+)$/.exec(header);
    if (object) {
      const size = Number(object[2]);
      results.push(
        object[1] === 'blob'
          ? { kind: 'blob', content: out.subarray(at, at + size) }
          : { kind: 'other', what: object[1]! },
      );
      at += size + 1;
    } else if (link) {
      results.push({ kind: 'other', what: link[1]! });
      at += Number(link[2]) + 1;
    } else if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
      results.push({ kind: 'other', what: 'missing' });
    } else {
      throw new BelayError(`git cat-file answered "${header}" for ${specs[i]}. Check the checkout.`);
    }
  }
  return results;
}
