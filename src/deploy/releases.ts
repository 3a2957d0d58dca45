/**
 * Release records on the server, Capistrano style: `<app-dir>/.belay/releases/<id>/` holds what a deploy shipped
 * (compose file(s), the env file, the images override) and `release.json`, its record; `<app-dir>/.belay/current`
 * is a symlink to `releases/<id>`, switched by renaming a new symlink over it, so a reader sees the old release or
 * the new one, never none. All of it is written under umask 077: env files hold the app's secrets.
 */
import { z } from 'zod';

import { newBackupId } from '../backup/manifest.js';
import { BelayError } from '../core/errors.js';
import type { Transport } from '../transport/types.js';
import { belayDir, ENSURE_BELAY_DIR, runChecked, shellScript, uniqueToken } from './belay-dir.js';
import { byCodeUnits } from '../core/order.js';

export type ReleaseOutcome = 'pending' | 'deployed' | 'failed' | 'rolled-back' | 'superseded';

export interface ReleaseRecord {
  readonly id: string;
  readonly app: string;
  readonly createdAt: string;
  finishedAt?: string;
  outcome: ReleaseOutcome;
  /** service → image ref (with its digest when known). */
  readonly images: Record<string, string>;
  readonly services: readonly string[];
  readonly composeFiles: readonly string[];
  readonly composeHash: string;
  readonly envHash?: string;
  readonly git?: { sha?: string; ref?: string };
  readonly run?: { id?: string; url?: string; actor?: string };
  readonly backupId?: string;
  readonly migrations?: unknown;
  readonly previous?: string;
  readonly note?: string;
}

export interface ReleaseFile {
  /** A plain file name: no `/`, no `..`, not `release.json`. */
  readonly name: string;
  readonly content: string;
  /** Default 0600; group and other bits are always dropped. */
  readonly mode?: number;
}

const OUTCOMES = ['pending', 'deployed', 'failed', 'rolled-back', 'superseded'] as const;

/** What an id may look like: one plain path component, e.g. `20261123T170102Z-1a2b`. */
export const RELEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const recordSchema = z.looseObject({
  id: z.string().regex(RELEASE_ID),
  app: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  outcome: z.enum(OUTCOMES),
  images: z.record(z.string(), z.string()),
  services: z.array(z.string()),
  composeFiles: z.array(z.string()),
  composeHash: z.string(),
  envHash: z.string().optional(),
  git: z.object({ sha: z.string().optional(), ref: z.string().optional() }).optional(),
  run: z.object({ id: z.string().optional(), url: z.string().optional(), actor: z.string().optional() }).optional(),
  backupId: z.string().optional(),
  migrations: z.unknown().optional(),
  previous: z.string().optional(),
  note: z.string().optional(),
});

/** `20261123T170102Z-1a2b`: sorts by time to the second, like backup ids (order within a second is createdAt's). */
export function newReleaseId(now: Date): string {
  return newBackupId(now);
}

/** The record in `text`, or undefined when it is not a release record (fields unknown to this version are kept). */
export function parseRecord(text: string): ReleaseRecord | undefined {
  try {
    const parsed = recordSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as ReleaseRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Why `name` cannot be a file of a release folder, or undefined when it can. */
export function badFileName(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'it is not a file name';
  if (name.includes('/') || name.includes('\\')) return 'it contains a slash';
  if (name.includes('..')) return 'it contains ".."';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  if (name.length > 255) return 'it is longer than 255 characters';
  if (name === 'release.json') return 'release.json is the record itself';
  return undefined;
}

/** `release.json` lines as `list` prints them: `<folder name>\t<record on one line>`; others are skipped. */
export function parseRecordLines(text: string): ReleaseRecord[] {
  const records: ReleaseRecord[] = [];
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const record = parseRecord(line.slice(tab + 1));
    if (record && record.id === line.slice(0, tab)) records.push(record);
  }
  return records.sort(oldestFirst);
}

const oldestFirst = (a: ReleaseRecord, b: ReleaseRecord) =>
  byCodeUnits(a.createdAt, b.createdAt) || byCodeUnits(a.id, b.id);

/**
 * Which releases `prune` removes: all but the newest `keep` (by time) and those in `protect`; oldest first.
 */
export function selectPrunable(
  records: readonly ReleaseRecord[],
  keep: number,
  protect: readonly string[],
): ReleaseRecord[] {
  if (!Number.isInteger(keep) || keep < 0) throw new Error(`keep must be a whole number ≥ 0, not ${keep}`);
  const sorted = [...records].sort(oldestFirst);
  const newest = new Set(sorted.slice(Math.max(0, sorted.length - keep)).map((r) => r.id));
  return sorted.filter((r) => !newest.has(r.id) && !protect.includes(r.id));
}

/** `releases/<id>` (or a path ending so) → id. */
export function idFromPointer(target: string): string | undefined {
  const id = /(?:^|\/)releases\/([^/]+)\/?$/.exec(target.trim())?.[1];
  return id !== undefined && RELEASE_ID.test(id) ? id : undefined;
}

const FIX = 'Check that the SSH user owns app-dir and can write to it.';

/** $1 app-dir, then the release ids: remove each folder, renamed away first so it is never seen half-removed. */
const PRUNE = `r="$1/.belay/releases"; shift
for id in "$@"; do
  rm -rf -- "$r/.pruned-$id"; mv -- "$r/$id" "$r/.pruned-$id" && rm -rf -- "$r/.pruned-$id" || exit 1
done`;

/** $1 app-dir, $2 id, $3 unique token. */
const SET_CURRENT = `cd -- "$1/.belay" || exit 1
[ -f "releases/$2/release.json" ] || { echo "releases/$2/release.json does not exist" >&2; exit 1; }
ln -s -- "releases/$2" ".current-$3" || exit 1
mv -T -f -- ".current-$3" current || { rm -f -- ".current-$3"; exit 1; }`;

/**
 * What a deploy reads first, as the step run under the deploy lock the moment it is taken (AcquireOptions.then):
 * `.belay/releases` made, the new release's folder made (before the records are read, so it is not among them),
 * the `current` pointer and every record. $1 app-dir, $2 the new release's id. Lines: `current\t<target>`,
 * `record\t<folder>\t<record on one line>`, and `state read` last.
 */
const READ_STATE = `a="$1"; n="$2"; shift 2
umask 077; { [ -d "$a/.belay/releases" ] || mkdir -p -- "$a/.belay/releases"; } && mkdir -- "$a/.belay/releases/$n" || exit 1
c="$a/.belay/current"
if [ -L "$c" ]; then t=$(readlink -- "$c") || exit 1; printf 'current\\t%s\\n' "$t"; fi
for f in "$a/.belay/releases"/*/release.json; do
  [ -f "$f" ] || continue; d=\${f%/release.json}; printf 'record\\t%s\\t' "\${d##*/}"
  # On one line, read by the shell itself (a program per record would cost a few ms each).
  while IFS= read -r line || [ -n "$line" ]; do printf '%s' "$line"; line=; done < "$f"; echo
done
echo 'state read'`;

/** A deploy's view of the releases on a server, read under its lock. */
export interface ReleaseState {
  /** The id `current` points to, when there is a pointer. */
  readonly current?: string;
  /** The record `current` points to, when its folder exists. */
  readonly previous?: ReleaseRecord;
  /** Every readable record, oldest first. */
  readonly records: readonly ReleaseRecord[];
}

/** READ_STATE for the lock's `then`: app-dir `appDir`, with the folder of release `id` made. */
export const readStateStep = (appDir: string, id: string) => {
  checkId(id);
  return { script: READ_STATE, args: [appDir, id] };
};

/** What READ_STATE printed (`then` of the lock), as a ReleaseState; a problem on the server is a BelayError. */
export function parseReleaseState(
  then: { readonly code: number; readonly stdout: string; readonly stderr: string },
  label: string,
  appDir: string,
): ReleaseState {
  const lines = then.stdout.split('\n');
  if (then.code !== 0 || !lines.includes('state read')) {
    const why = then.stderr.trim().split('\n').pop()?.trim() || `exit ${then.code}`;
    throw new BelayError(`Could not read the releases in ${belayDir(appDir)} on ${label}: ${why}. ${FIX}`);
  }
  let pointer: string | undefined;
  const texts = new Map<string, string>();
  for (const line of lines) {
    const [kind, a = '', ...rest] = line.split('\t');
    if (kind === 'current') pointer = [a, ...rest].join('\t');
    else if (kind === 'record') texts.set(a, rest.join('\t'));
  }
  const records: ReleaseRecord[] = [];
  for (const [folder, text] of texts) {
    const record = parseRecord(text);
    if (record && record.id === folder) records.push(record);
  }
  records.sort(oldestFirst);
  const current = pointer === undefined ? undefined : idFromPointer(pointer);
  if (pointer !== undefined && current === undefined) {
    const at = `${belayDir(appDir)}/current`;
    throw new BelayError(
      `${at} on ${label} points to ${JSON.stringify(pointer.trim())}, not to a release. Point it at one: cd ${belayDir(appDir)} && ln -sfn releases/<id> current`,
    );
  }
  const previous = current === undefined ? undefined : records.find((r) => r.id === current);
  if (current !== undefined && !previous && texts.has(current)) {
    throw new BelayError(
      `${belayDir(appDir)}/releases/${current}/release.json on ${label} is not a readable belay release record. Restore it, or remove the folder ${belayDir(appDir)}/releases/${current} if that release is not needed.`,
    );
  }
  return {
    ...(current !== undefined ? { current } : {}),
    ...(previous ? { previous } : {}),
    records,
  };
}

/**
 * The end of a healthy deploy in one command: $1 app-dir, $2 id, $3 unique token, then the ids to prune; the
 * record's new text on stdin. The record is replaced by a rename, `current` moved to it, the old folders pruned.
 */
const FINISH = `cd -- "$1/.belay" || exit 1
umask 077; r="releases/$2/release.json"; n="releases/$2/.release.json-$3"
{ while IFS= read -r line; do printf '%s\\n' "$line"; done; printf '%s' "$line"; } > "$n" && mv -f -- "$n" "$r" || { rm -f -- "$n"; exit 1; }
ln -s -- "releases/$2" ".current-$3" || exit 1
mv -T -f -- ".current-$3" current || { rm -f -- ".current-$3"; exit 1; }
shift 3
for id in "$@"; do
  rm -rf -- "releases/.pruned-$id"; mv -- "releases/$id" "releases/.pruned-$id" && rm -rf -- "releases/.pruned-$id" || exit 1
done`;

export class ReleaseStore {
  private readonly root: string;

  constructor(
    private readonly t: Transport,
    /** app-dir on the server, relative to the SSH user's home unless absolute. */
    readonly appDir: string,
  ) {
    this.root = `${belayDir(appDir)}/releases`;
  }

  /** Path of the release folder on the server. */
  dir(id: string): string {
    checkId(id);
    return `${this.root}/${id}`;
  }

  /** Create `.belay/releases`, readable by the SSH user only (and app-dir, when missing). */
  async ensure(): Promise<void> {
    const script = `${ENSURE_BELAY_DIR} && mkdir -p -- "$1/.belay/releases"`;
    await runChecked(this.t, `create ${this.root}`, shellScript(script, this.appDir), FIX);
  }

  /**
   * Write a new release folder: `files` first, `release.json` last, so a folder with a record is complete. The
   * folder must not exist yet, unless `made` says it was just made empty; on failure it is removed again.
   */
  async write(record: ReleaseRecord, files: readonly ReleaseFile[], made = false): Promise<void> {
    const dir = this.dir(record.id);
    const seen = new Set<string>();
    for (const file of files) {
      const bad = badFileName(file.name) ?? (seen.has(file.name) ? 'it is given twice' : undefined);
      if (bad)
        throw new BelayError(`Refusing to write ${JSON.stringify(file.name)} into release ${record.id}: ${bad}.`);
      seen.add(file.name);
    }
    const script = `${ENSURE_BELAY_DIR} && mkdir -p -- "$1/.belay/releases" && mkdir -- "$1/.belay/releases/$2"`;
    // `made`: the (empty) folder was made already, by readStateStep.
    if (!made)
      await runChecked(
        this.t,
        `create the release folder ${dir}`,
        shellScript(script, this.appDir, record.id),
        'Release ids are unique; if this one exists, a deploy of the same id ran before: run the deploy again.',
      );
    try {
      // The files at once (SFTP requests on one channel), the record only once they are all there.
      await Promise.all(files.map((f) => this.t.upload(f.content, `${dir}/${f.name}`, (f.mode ?? 0o600) & 0o700)));
      await this.writeRecord(record);
    } catch (err) {
      await this.t.exec(shellScript('rm -rf -- "$1"', dir)).catch(() => undefined);
      throw err;
    }
  }

  /** Change the outcome, finish time or note of a recorded release; returns the record as now written. */
  async update(
    id: string,
    change: Partial<Pick<ReleaseRecord, 'outcome' | 'finishedAt' | 'note'>>,
  ): Promise<ReleaseRecord> {
    const record = await this.read(id);
    if (!record) throw new BelayError(`There is no release ${id} in ${this.root} on ${this.t.label}.`);
    const defined = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
    const updated: ReleaseRecord = { ...record, ...defined };
    await this.writeRecord(updated);
    return updated;
  }

  /** The record of `id`, or undefined when there is none; a record that cannot be read is an error. */
  async read(id: string): Promise<ReleaseRecord | undefined> {
    const file = `${this.dir(id)}/release.json`;
    const script = '[ -e "$1" ] || exit 3; cat -- "$1"';
    const r = await runChecked(this.t, `read ${file}`, shellScript(script, file), FIX, [3]);
    if (r.code === 3) return undefined;
    const record = parseRecord(r.stdout);
    if (!record || record.id !== id) {
      throw new BelayError(
        `${file} on ${this.t.label} is not a readable belay release record. Restore it, or remove the folder ${this.dir(id)} if that release is not needed.`,
      );
    }
    return record;
  }

  /** Every recorded release, oldest first; folders without a readable record are skipped. */
  async list(): Promise<ReleaseRecord[]> {
    const script = `for f in "$1"/*/release.json; do
  [ -f "$f" ] || continue; d=\${f%/release.json}; printf '%s\\t' "\${d##*/}"; tr -d '\\n' < "$f"; echo
done; exit 0`;
    const r = await runChecked(this.t, `list ${this.root}`, shellScript(script, this.root), FIX);
    return parseRecordLines(r.stdout);
  }

  /** The id `current` points to, or undefined when there is no pointer yet. */
  async current(): Promise<string | undefined> {
    const pointer = `${belayDir(this.appDir)}/current`;
    const script = '[ -L "$1" ] || exit 3; readlink -- "$1"';
    const r = await runChecked(this.t, `read ${pointer}`, shellScript(script, pointer), FIX, [3]);
    if (r.code === 3) return undefined;
    const id = idFromPointer(r.stdout);
    if (id === undefined) {
      throw new BelayError(
        `${pointer} on ${this.t.label} points to ${JSON.stringify(r.stdout.trim())}, not to a release. Point it at one: cd ${belayDir(this.appDir)} && ln -sfn releases/<id> current`,
      );
    }
    return id;
  }

  /** Point `current` at `id` (which must be recorded) in one rename: readers never see it missing. */
  async setCurrent(id: string): Promise<void> {
    checkId(id);
    const command = shellScript(SET_CURRENT, this.appDir, id, uniqueToken());
    await runChecked(this.t, `point current at release ${id}`, command, FIX);
  }

  /**
   * Remove the releases beyond the newest `keep`, never one in `protect` nor the one `current` names; returns
   * the removed records, oldest first.
   */
  async prune(keep: number, protect: readonly string[]): Promise<ReleaseRecord[]> {
    const current = await this.current();
    const doomed = selectPrunable(await this.list(), keep, current ? [...protect, current] : protect);
    if (doomed.length === 0) return [];
    const command = shellScript(PRUNE, this.appDir, ...doomed.map((r) => r.id));
    await runChecked(this.t, `remove old releases from ${this.root}`, command, FIX);
    return doomed;
  }

  /** Remove the folder of a release that was never written (its deploy stopped before the record). */
  async discard(id: string): Promise<void> {
    await this.t.exec(shellScript('rm -rf -- "$1"', this.dir(id)));
  }

  /**
   * A healthy deploy's last writes, as one command's step: `record` (its outcome now) replaces the one written at
   * the start, `current` points at it, and the folders of `prune` (never the record itself) are removed. Run it
   * with finish, or with the lock's releaseAfter; `finished` says what its result means.
   */
  finishStep(record: ReleaseRecord, prune: readonly string[]) {
    checkId(record.id);
    for (const id of prune) checkId(id);
    if (prune.includes(record.id)) throw new Error(`release ${record.id} cannot be pruned as it finishes`);
    return {
      script: FINISH,
      args: [this.appDir, record.id, uniqueToken(), ...prune],
      stdin: `${JSON.stringify(record, null, 2)}\n`,
    };
  }

  /** Throws when finishStep's command failed (its exit status and messages). */
  finished(id: string, r: { readonly code: number; readonly stderr: string }): void {
    if (r.code === 0) return;
    const why = r.stderr.trim().split('\n').pop()?.trim() || `exit ${r.code}`;
    throw new BelayError(`Could not point current at release ${id} on ${this.t.label}: ${why}. ${FIX}`);
  }

  /** finishStep on its own. */
  async finish(record: ReleaseRecord, prune: readonly string[]): Promise<void> {
    const step = this.finishStep(record, prune);
    this.finished(record.id, await this.t.exec(shellScript(step.script, ...step.args), { stdin: step.stdin }));
  }

  private async writeRecord(record: ReleaseRecord): Promise<void> {
    await this.t.upload(`${JSON.stringify(record, null, 2)}\n`, `${this.dir(record.id)}/release.json`, 0o600);
  }
}

function checkId(id: string): void {
  if (!RELEASE_ID.test(id)) {
    throw new BelayError(
      `${JSON.stringify(id)} is not a release id: ids are like 20261123T170102Z-1a2b (see belay releases).`,
    );
  }
}
