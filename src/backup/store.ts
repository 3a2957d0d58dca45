/**
 * The backup directory on the server: one folder per app, `<id>.<dump|sqlite>` files with `<id>.json` manifests,
 * and `<id>.*.partial` files only while a backup is being written. Every path reaches the shell as a quoted
 * positional argument of a constant script.
 */
import { cmd } from '../core/command.js';
import { byCodeUnits } from '../core/order.js';
import { BelayError } from '../core/errors.js';
import type { Transport } from '../transport/types.js';
import { filesOf, parseManifests, type Manifest } from './manifest.js';
import { applyRetention, type RetentionRules } from './retention.js';

/**
 * Waits for a line `keep` on stdin (anything else, or its end: exit 0, nothing done), then renames the verified
 * partial ($1) to its final name ($2), never over another file, then writes the manifest, the rest of stdin, to $3
 * (through a temporary name, so a listed manifest is always whole) and runs the script $4 on the folder $5 (LIST).
 * Exit 3: $2 exists already; 4: the rename failed (the partial is still there); 5: the manifest could not be
 * written, and the renamed file was removed again, so no backup without a manifest is left.
 */
const KEEP =
  'IFS= read -r go && [ "$go" = keep ] || exit 0; ' +
  '[ ! -e "$2" ] || { echo "$2 exists already" >&2; exit 3; }; mv -- "$1" "$2" || exit 4; umask 077; ' +
  'if cat > "$3.tmp" && mv -f -- "$3.tmp" "$3"; then exec sh -c "$4" belay "$5"; fi; ' +
  'rm -f -- "$2" "$3.tmp"; exit 5';

/**
 * Shell functions: `belay_sha256 FILE` prints the file's sha256 (first word of its output). OpenSSL's is used when
 * the server has it: it uses the CPU's SHA instructions and reads a large dump several times faster than
 * coreutils' sha256sum, which is the fallback. Either way it is the sha256 of the file as it is on disk.
 */
export const SHA256_FUNCTION =
  'belay_sha256() { h=$(openssl dgst -sha256 -r < "$1" 2>/dev/null) && [ -n "$h" ] || h=$(sha256sum < "$1") || return; ' +
  'printf \'%s\\n\' "$h"; }; ';

/** Every manifest in the folder $1, one per line. */
const LIST = 'for f in "$1"/*.json; do [ -f "$f" ] && { tr -d "\\n" < "$f"; echo; }; done; exit 0';

/** The manifests in a backup folder, oldest first, and how many files there looked like one but could not be read. */
export interface Listing {
  readonly manifests: Manifest[];
  readonly unreadable: number;
}

function listing(text: string): Listing {
  const { manifests, unreadable } = parseManifests(text);
  manifests.sort((a, b) => byCodeUnits(a.createdAt, b.createdAt) || byCodeUnits(a.id, b.id));
  return { manifests, unreadable };
}

export class BackupStore {
  private made: Promise<void> | undefined;

  constructor(
    private readonly t: Transport,
    /** `<backup-dir>/<app>`, relative to the SSH user's home unless absolute. */
    readonly dir: string,
  ) {}

  path(file: string): string {
    return `${this.dir}/${file}`;
  }

  /**
   * Create the folder, readable by the SSH user only: dumps hold every row of the database. Once per store, so it
   * can be started early, beside other work, and asked for again where it must be done.
   */
  ensure(): Promise<void> {
    this.made ??= this.run(
      'create the backup directory',
      cmd('sh', '-c', 'umask 077 && mkdir -p -- "$1"', 'belay', this.dir),
    ).then(
      () => undefined,
      (err: unknown) => {
        this.made = undefined;
        throw err;
      },
    );
    return this.made;
  }

  async list(): Promise<Listing> {
    const r = await this.t.exec(cmd('sh', '-c', LIST, 'belay', this.dir));
    return listing(r.stdout);
  }

  async size(file: string): Promise<number | undefined> {
    const r = await this.t.exec(cmd('stat', '-c', '%s', '--', this.path(file)));
    return r.code === 0 ? Number(r.stdout.trim()) : undefined;
  }

  async sha256(file: string): Promise<string> {
    const script = `${SHA256_FUNCTION}belay_sha256 "$1"`;
    const out = await this.run(`checksum ${file}`, cmd('sh', '-c', script, 'belay', this.path(file)));
    const hex = /^([0-9a-f]{64})\b/.exec(out.trim())?.[1];
    if (!hex) throw new BelayError(`sha256 on ${this.t.label} gave no checksum for ${this.path(file)}.`);
    return hex;
  }

  /**
   * Promote a verified partial and write its manifest, in one command (see KEEP), which then lists the folder as
   * it is now, for retention. The command may be started before the manifest is known: it waits for it, and does
   * nothing (undefined) when it comes as undefined. When it fails, no file of this backup is left under its final
   * name; the caller removes the partial.
   */
  async keep(
    partial: string,
    final: string,
    id: string,
    manifest: Manifest | Promise<Manifest | undefined>,
  ): Promise<Listing | undefined> {
    let given: Manifest | undefined;
    const stdin = Promise.resolve(manifest).then((m) => {
      given = m;
      return m ? `keep\n${JSON.stringify(m)}\n` : undefined;
    });
    const r = await this.t.exec(
      cmd('sh', '-c', KEEP, 'belay', this.path(partial), this.path(final), this.path(`${id}.json`), LIST, this.dir),
      { stdin },
    );
    if (!given) return undefined;
    if (r.code === 0) return listing(r.stdout);
    const why = r.stderr.trim().split('\n').pop() || `exit ${r.code}`;
    const what = r.code === 3 || r.code === 4 ? `rename ${partial} to ${final}` : `write the manifest ${id}.json`;
    throw new BelayError(`Could not ${what} on ${this.t.label}: ${why}.`);
  }

  /**
   * Retention over the backups of `fresh`'s app, database and engine in this folder, once `fresh` is in place
   * (listed here, with its manifest): never `fresh`, never the newest, never a file whose manifest does not name
   * it the way belay does (see filesOf). When `fresh` is not listed, nothing is pruned. One command removes
   * every pruned backup, manifests first. `listing` is the folder as keep() listed it, else it is listed here.
   * Returns what was pruned, how many manifests could not be read, and whether `fresh` was listed.
   */
  async prune(
    fresh: Manifest,
    rules: RetentionRules,
    listing?: Listing,
    now = new Date(),
  ): Promise<{ pruned: Manifest[]; unreadable: number; listed: boolean }> {
    const { manifests, unreadable } = listing ?? (await this.list());
    const mine = manifests.filter(
      (m) =>
        m.app === fresh.app && m.database === fresh.database && m.engine === fresh.engine && filesOf(m) !== undefined,
    );
    if (!mine.some((m) => m.id === fresh.id)) return { pruned: [], unreadable, listed: false };
    const pruned = applyRetention(mine, rules, now).prune.filter((m) => m.id !== fresh.id);
    if (pruned.length) {
      const files = pruned.map((m) => filesOf(m)!);
      await this.remove(...files.map((f) => f[f.length - 1]!), ...files.flatMap((f) => f.slice(0, -1)));
    }
    return { pruned, unreadable, listed: true };
  }

  /** Remove files; the manifest first, so a half-removed backup is never listed as good. */
  async remove(...files: string[]): Promise<void> {
    await this.run('remove', cmd('rm', '-f', '--', ...files.map((f) => this.path(f))));
  }

  async run(what: string, command: ReturnType<typeof cmd>): Promise<string> {
    const r = await this.t.exec(command);
    if (r.code !== 0) {
      throw new BelayError(
        `Could not ${what} on ${this.t.label}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}.`,
      );
    }
    return r.stdout;
  }
}
