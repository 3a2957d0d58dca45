/**
 * The manifest written next to each backup file on the server (`<id>.json`). It exists only for a backup that was
 * written completely and verified, so "has a manifest" is what makes a file one of belay's good backups.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

const table = z.object({ name: z.string(), rows: z.number().int().nonnegative() });

export const manifestSchema = z.object({
  belay: z.literal(1),
  id: z.string(),
  app: z.string(),
  engine: z.enum(['postgres', 'sqlite']),
  database: z.string(),
  label: z.string().optional(),
  /** File name, in the same directory as the manifest. */
  file: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  durationMs: z.number().nonnegative(),
  serverVersion: z.string(),
  /** What made the dump: `pg_dump 15.18 in container shop-db-1`, `sqlite3 3.40.1 on the host`. */
  tool: z.string(),
  git: z.object({ sha: z.string().optional(), ref: z.string().optional() }).optional(),
  run: z.object({ id: z.string().optional(), url: z.string().optional(), actor: z.string().optional() }).optional(),
  tables: z.array(table),
  verified: z.object({ method: z.enum(['checksum', 'toc', 'restore']), at: z.string() }),
  /**
   * Only on copies that left the server encrypted (download, copy-to): the file that holds the dump there, with its
   * own size and sha256. `file`, `size` and `sha256` stay those of the dump, which `age -d` gives back.
   */
  encrypted: z
    .object({
      format: z.literal('age'),
      file: z.string(),
      size: z.number().int().nonnegative(),
      sha256: z.string(),
      recipients: z.array(z.string()),
    })
    .optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** `20261123T170102Z-1a2b`: sorts by time, unique enough for one app's backups. */
export function newBackupId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;

export const fileOf = (id: string, engine: Manifest['engine']) => `${id}.${engine === 'postgres' ? 'dump' : 'sqlite'}`;

/**
 * The files of a backup, its manifest last: the names belay itself gives them. A manifest whose id or file names
 * are anything else (written by hand, or by something other than belay) gives undefined, and is never pruned: a
 * manifest's content must not be able to point a removal at any other file.
 */
export function filesOf(m: Manifest): string[] | undefined {
  if (!BACKUP_ID.test(m.id) || m.file !== fileOf(m.id, m.engine)) return undefined;
  if (m.encrypted && m.encrypted.file !== `${m.file}.age`) return undefined;
  return [m.file, ...(m.encrypted ? [m.encrypted.file] : []), `${m.id}.json`];
}

/** Manifests as the server lists them, one JSON document per line; lines that are not belay manifests are skipped. */
export function parseManifests(text: string): { manifests: Manifest[]; unreadable: number } {
  const manifests: Manifest[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = manifestSchema.safeParse(JSON.parse(line));
      if (parsed.success) manifests.push(parsed.data);
      else unreadable++;
    } catch {
      unreadable++;
    }
  }
  return { manifests, unreadable };
}

/** Where this run comes from, for the manifest: the commit and the workflow run on GitHub. */
export function provenance(env: NodeJS.ProcessEnv = process.env): Pick<Manifest, 'git' | 'run'> {
  const run =
    env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY
      ? {
          id: env.GITHUB_RUN_ID,
          url: `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`,
          ...(env.GITHUB_ACTOR ? { actor: env.GITHUB_ACTOR } : {}),
        }
      : env.USER
        ? { actor: `${env.USER} (belay cli)` }
        : undefined;
  const git = env.GITHUB_SHA ? { sha: env.GITHUB_SHA, ...(env.GITHUB_REF ? { ref: env.GITHUB_REF } : {}) } : undefined;
  return { ...(git ? { git } : {}), ...(run ? { run } : {}) };
}
