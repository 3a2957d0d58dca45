/**
 * Copies of a new backup that leave the server: streamed to the runner (`download`) and/or through the runner to a
 * second SSH host (`copy-to`), encrypted on the way with age to `encrypt-to`. Nothing is held in memory: the file
 * is read from the server by SFTP with a bounded read-ahead, hashed, encrypted in age's 64 KiB chunks and written
 * as it comes. Each copy is written as `<name>.partial`, checked (the plaintext's sha256 against the manifest,
 * the written file's against what was sent), and only then renamed and given its manifest; a failed copy leaves
 * no partial, and the backup on the server stays as it is.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ReadableStream } from 'node:stream/web';

import { resolveConnection } from '../config/connection.js';
import type { Values } from '../config/inputs.js';
import type { Face } from '../config/layers.js';
import { formatSize } from '../core/duration.js';
import { BelayError, InputError } from '../core/errors.js';
import { hostLabel } from '../core/hosts.js';
import { markdownTable, type Reporter } from '../report/reporter.js';
import { ConnectionPool } from '../transport/pool.js';
import type { ConnectionOptions, HostTarget, Transport } from '../transport/types.js';
import type { Manifest } from './manifest.js';
import { retentionRules, type RetentionRules } from './retention.js';
import { BackupStore, type Listing } from './store.js';

/** How often a long transfer reports its progress. */
const PROGRESS_MS = 5_000;

export interface OffsitePlan {
  /** Absolute folder on the runner. */
  readonly download?: string;
  readonly copyTo?: {
    readonly target: HostTarget;
    readonly dir: string;
    readonly options: ConnectionOptions;
    /** The server's keep-* rules, applied to the copies there too. */
    readonly rules: RetentionRules;
  };
  /** age recipients; empty when copies go unencrypted (allow-unencrypted-offsite). */
  readonly recipients: readonly string[];
}

/**
 * Checked before anything is done: where copies go, and the refusal to send a dump off the server in clear
 * unless allow-unencrypted-offsite says so. Undefined when no copy leaves the server.
 */
export async function planOffsite(v: Partial<Values>, face: Face, cwd: string): Promise<OffsitePlan | undefined> {
  if (!v.download && !v.copyTo) return undefined;
  const recipients = v.encryptTo ?? [];
  if (recipients.length === 0 && !v.allowUnencryptedOffsite) {
    throw new InputError(
      v.download ? 'download' : 'copy-to',
      'it would send the backup off the server unencrypted',
      'Set encrypt-to to an age public key (age-keygen makes one), or set allow-unencrypted-offsite: true to send it in clear.',
    );
  }
  if (recipients.length) {
    // Loaded only when a copy is encrypted: it is most of the code a backup would otherwise load and never use.
    const { Encrypter } = await import('age-encryption');
    for (const r of recipients) {
      try {
        new Encrypter().addRecipient(r);
      } catch {
        throw new InputError(
          'encrypt-to',
          `"${r.slice(0, 16)}…" is not a valid age recipient`,
          'Copy the public key age-keygen printed (age1…).',
        );
      }
    }
  }
  let copyTo: OffsitePlan['copyTo'];
  if (v.copyTo) {
    const user = v.copyTo.user ?? v.user;
    if (!user) throw new InputError('copy-to', `no SSH user for ${v.copyTo.host}`, 'Write it as user@host:dir.');
    // The same key and host-key rules as the server; the backup host is reached directly, not through jump-host.
    const options: ConnectionOptions = { ...resolveConnection(v, face).options, jumpHost: undefined };
    copyTo = {
      target: { user, host: v.copyTo.host, port: v.copyTo.port ?? v.port ?? 22 },
      dir: v.copyTo.dir,
      options,
      rules: retentionRules(v),
    };
  }
  return { ...(v.download ? { download: resolve(cwd, v.download) } : {}), ...(copyTo ? { copyTo } : {}), recipients };
}

/** Send the new backup wherever the plan says, after it was promoted and retention ran on the server. */
export async function sendOffsite(
  plan: OffsitePlan | undefined,
  t: Transport,
  store: BackupStore,
  manifest: Manifest,
  reporter: Reporter,
): Promise<void> {
  if (!plan) return;
  const job: Job = { plan, t, store, manifest, reporter };
  const rows: string[][] = [];
  const keptOnServer = `Backup ${manifest.id} is kept on the server at ${store.path(manifest.file)}`;
  if (plan.download) {
    const sent = await downloadTo(plan.download, job).catch((err: unknown) => {
      throw offsiteFailed(err, `${keptOnServer}, but the download to ${plan.download} failed`);
    });
    reporter.setOutput('download-path', sent.path);
    reporter.setOutput('download-sha256', sent.sha256);
    rows.push(row('download', sent, plan));
  }
  if (plan.copyTo) {
    const sent = await copyTo(plan.copyTo, job, keptOnServer);
    rows.push(row('copy-to', sent, plan));
  }
  reporter.summary(
    `### belay backup ${manifest.id} off the server\n\n${markdownTable(['Copy', 'Where', 'Size', 'sha256', 'Encrypted'], rows)}`,
  );
}

/** What every copy of this run starts from. */
interface Job {
  readonly plan: OffsitePlan;
  /** The server and the backup folder on it. */
  readonly t: Transport;
  readonly store: BackupStore;
  readonly manifest: Manifest;
  readonly reporter: Reporter;
}

interface Sent {
  /** Where the copy now is. */
  readonly path: string;
  /** Size and sha256 of the file as written (the ciphertext when encrypted). */
  readonly size: number;
  readonly sha256: string;
}

async function downloadTo(dir: string, job: Job): Promise<Sent> {
  const { plan, manifest, reporter } = job;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = nameOf(manifest, plan);
  const final = join(dir, name);
  const partial = `${final}.partial`;
  const manifestPath = join(dir, `${manifest.id}.json`);
  let renamed = false;
  try {
    await rm(partial, { force: true });
    const sent = await stream(job, dir, async (chunks) => {
      const file = await open(partial, 'wx', 0o600);
      try {
        await file.chmod(0o600);
        for await (const chunk of chunks) await file.write(chunk);
      } finally {
        await file.close();
      }
    });
    const written = await sha256OfFile(partial);
    if (written !== sent.sha256) {
      throw new BelayError(`${partial} has sha256 ${written} after writing, not ${sent.sha256}: the disk changed it`);
    }
    await rename(partial, final);
    renamed = true;
    await writeFile(manifestPath, `${JSON.stringify(copyManifest(manifest, plan, name, sent))}\n`, { mode: 0o600 });
    reporter.info(`✓ downloaded backup ${manifest.id} to ${final} (${formatSize(sent.size)}, sha256 checked)`);
    return { path: final, size: sent.size, sha256: sent.sha256 };
  } catch (err) {
    await rm(partial, { force: true }).catch(() => undefined);
    if (renamed) await rm(final, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * The copy on the second host, then retention there: the copies of this app and database in `<dir>/<app>` are
 * pruned by the same keep-* rules as the server's backups, once the new copy is checked and in place (so the
 * newest copy there is always a good one). A copy that fails prunes nothing.
 */
async function copyTo(to: NonNullable<OffsitePlan['copyTo']>, job: Job, keptOnServer: string): Promise<Sent> {
  const pool = new ConnectionPool(to.options, job.reporter);
  const where = `${hostLabel(to.target)} ${to.dir}`;
  try {
    const remote = await pool.get(to.target).catch((err: unknown) => {
      throw offsiteFailed(err, `${keptOnServer}, but the copy to ${where} failed`);
    });
    const there = new BackupStore(remote, `${to.dir}/${job.manifest.app}`);
    const { sent, listing } = await copyInto(there, remote, job).catch((err: unknown) => {
      throw offsiteFailed(err, `${keptOnServer}, but the copy to ${where} failed`);
    });
    await pruneCopies(there, listing, to, job).catch((err: unknown) => {
      const message = err instanceof Error ? err.message.replace(/\.$/, '') : String(err);
      throw new BelayError(
        `Backup ${job.manifest.id} was copied to ${where} and checked there, but pruning older copies there failed: ${message}. The new copy is in place; the copies not yet pruned stay, and the next backup prunes them once the cause is fixed.`,
      );
    });
    return sent;
  } finally {
    await pool.closeAll();
  }
}

/** Write the copy as a partial, check its sha256 there, then rename it and write its manifest beside it. */
async function copyInto(there: BackupStore, remote: Transport, job: Job): Promise<{ sent: Sent; listing: Listing }> {
  const { plan, manifest, reporter } = job;
  await there.ensure();
  const name = nameOf(manifest, plan);
  const partial = `${name}.partial`;
  try {
    await there.remove(partial);
    const sent = await stream(job, remote.label, (chunks) => remote.uploadStream(chunks, there.path(partial), 0o600));
    const written = await there.sha256(partial);
    if (written !== sent.sha256) {
      throw new BelayError(`${there.path(partial)} has sha256 ${written} there, not the ${sent.sha256} that was sent`);
    }
    const listing = (await there.keep(partial, name, manifest.id, copyManifest(manifest, plan, name, sent)))!;
    const path = `${remote.label}:${there.path(name)}`;
    reporter.info(`✓ copied backup ${manifest.id} to ${path} (${formatSize(sent.size)}, sha256 checked there)`);
    return { sent: { path, size: sent.size, sha256: sent.sha256 }, listing };
  } catch (err) {
    await there.remove(partial).catch(() => undefined);
    throw err;
  }
}

async function pruneCopies(
  there: BackupStore,
  listing: Listing,
  to: NonNullable<OffsitePlan['copyTo']>,
  job: Job,
): Promise<void> {
  const { manifest, reporter } = job;
  const { pruned, unreadable, listed } = await there.prune(manifest, to.rules, listing);
  const dir = `${hostLabel(to.target)}:${there.dir}`;
  if (!listed) reporter.warn(`copy ${manifest.id} is not listed in ${dir}, so no older copy there was pruned`);
  if (unreadable) reporter.warn(`${unreadable} manifest(s) in ${dir} could not be read and were left alone`);
  for (const old of pruned) reporter.info(`pruned copy ${old.id} (${old.createdAt}) on ${dir}`);
}

/**
 * Read the backup from the server, hash it, encrypt it when there are recipients, hash what comes out, and hand
 * the chunks to `write`; then check the plaintext against the manifest. Returns the written bytes' size and hash.
 */
async function stream(
  { t, store, manifest, plan, reporter }: Job,
  where: string,
  write: (chunks: AsyncIterable<Uint8Array>) => Promise<void>,
): Promise<{ size: number; sha256: string }> {
  const source = await t.download(store.path(manifest.file));
  const plain = new Tally(createHash('sha256'));
  const out = new Tally(createHash('sha256'));
  const progress = { at: Date.now(), size: 0 };
  try {
    let chunks: AsyncIterable<Uint8Array> = plain.count(source as AsyncIterable<Uint8Array>, (size) => {
      const now = Date.now();
      if (now - progress.at < PROGRESS_MS) return;
      const rate = ((size - progress.size) / (now - progress.at)) * 1000;
      reporter.info(`  ${formatSize(size)} of ${formatSize(manifest.size)} sent to ${where} (${formatSize(rate)}/s)`);
      Object.assign(progress, { at: now, size });
    });
    if (plan.recipients.length) chunks = await encrypt(chunks, plan.recipients);
    await write(out.count(chunks));
  } finally {
    source.destroy();
  }
  const sha256 = plain.hash.digest('hex');
  if (plain.size !== manifest.size || sha256 !== manifest.sha256) {
    throw new BelayError(
      `what was read from the server (${plain.size} bytes, sha256 ${sha256}) does not match the manifest (${manifest.size} bytes, sha256 ${manifest.sha256})`,
    );
  }
  return { size: out.size, sha256: out.hash.digest('hex') };
}

/**
 * age's own streaming: the library encrypts a web ReadableStream in 64 KiB STREAM chunks. The source is pulled
 * only when the encrypter asks for more (highWaterMark 0), so what is in flight stays a few chunks.
 */
async function encrypt(
  chunks: AsyncIterable<Uint8Array>,
  recipients: readonly string[],
): Promise<AsyncIterable<Uint8Array>> {
  const { Encrypter } = await import('age-encryption');
  const encrypter = new Encrypter();
  for (const r of recipients) encrypter.addRecipient(r);
  const iterator = chunks[Symbol.asyncIterator]();
  const source = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return (await encrypter.encrypt(source)) as unknown as AsyncIterable<Uint8Array>;
}

/** Bytes and sha256 of what flows through. */
class Tally {
  size = 0;
  constructor(readonly hash: Hash) {}

  async *count(chunks: AsyncIterable<Uint8Array>, onChunk?: (size: number) => void): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      this.hash.update(chunk);
      this.size += chunk.length;
      onChunk?.(this.size);
      yield chunk;
    }
  }
}

const row = (copy: string, sent: Sent, plan: OffsitePlan): string[] => [
  copy,
  sent.path,
  formatSize(sent.size),
  sent.sha256.slice(0, 12),
  plan.recipients.length ? 'age' : 'no',
];

const nameOf = (manifest: Manifest, plan: OffsitePlan): string =>
  plan.recipients.length ? `${manifest.file}.age` : manifest.file;

/**
 * `file`, `size` and `sha256` stay those of the dump (what `age -d` gives back, what restore checks); an encrypted
 * copy says which file holds it and that file's own size and sha256.
 */
function copyManifest(
  manifest: Manifest,
  plan: OffsitePlan,
  name: string,
  sent: { size: number; sha256: string },
): Manifest {
  if (!plan.recipients.length) return manifest;
  return {
    ...manifest,
    encrypted: { format: 'age', file: name, size: sent.size, sha256: sent.sha256, recipients: [...plan.recipients] },
  };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function offsiteFailed(err: unknown, context: string): BelayError {
  const message = err instanceof Error ? err.message.replace(/\.$/, '') : String(err);
  return new BelayError(`${context}: ${message}. Nothing partial was left there.`);
}
