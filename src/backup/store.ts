/**
 * The backup directory on the server: one folder per app, `<id>.<dump|sqlite>` files with `<id>.json` manifests,
 * and `<id>.*.partial` files only while a backup is being written. Every path reaches the shell as a quoted
 * positional argument of a constant script.
 */
import { cmd } from '../core/command.js';
import { BelayError } from '../core/errors.js';
import type { Transport } from '../transport/types.js';
import { parseManifests, type Manifest } from './manifest.js';

export class BackupStore {
  constructor(
    private readonly t: Transport,
    /** `<backup-dir>/<app>`, relative to the SSH user's home unless absolute. */
    readonly dir: string,
  ) {}

  path(file: string): string {
    return `${this.dir}/${file}`;
  }

  /** Create the folder, readable by the SSH user only: dumps hold every row of the database. */
  async ensure(): Promise<void> {
    await this.run('create the backup directory', cmd('sh', '-c', 'umask 077 && mkdir -p -- "$1"', 'belay', this.dir));
  }

  async list(): Promise<{ manifests: Manifest[]; unreadable: number }> {
    const script = 'for f in "$1"/*.json; do [ -f "$f" ] && { tr -d "\\n" < "$f"; echo; }; done; exit 0';
    const r = await this.t.exec(cmd('sh', '-c', script, 'belay', this.dir));
    const { manifests, unreadable } = parseManifests(r.stdout);
    manifests.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return { manifests, unreadable };
  }

  async size(file: string): Promise<number | undefined> {
    const r = await this.t.exec(cmd('stat', '-c', '%s', '--', this.path(file)));
    return r.code === 0 ? Number(r.stdout.trim()) : undefined;
  }

  async sha256(file: string): Promise<string> {
    const out = await this.run(`checksum ${file}`, cmd('sha256sum', '--', this.path(file)));
    const hex = /^([0-9a-f]{64})\b/.exec(out.trim())?.[1];
    if (!hex) throw new BelayError(`sha256sum on ${this.t.label} gave no checksum for ${this.path(file)}.`);
    return hex;
  }

  /** Rename without replacing: a finished backup never overwrites another file. */
  async promote(partial: string, final: string): Promise<void> {
    const script = '[ ! -e "$2" ] && mv -- "$1" "$2"';
    await this.run(`rename ${partial}`, cmd('sh', '-c', script, 'belay', this.path(partial), this.path(final)));
  }

  async writeManifest(manifest: Manifest): Promise<void> {
    await this.t.upload(`${JSON.stringify(manifest)}\n`, this.path(`${manifest.id}.json`), 0o600);
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
