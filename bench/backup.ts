/**
 * A backup of a ~1 GB PostgreSQL database, printed, never asserted: `belay backup` (the CLI bundle, as a user runs
 * it, verify: toc) next to the plain way, `ssh server pg_dump -Fc db > file`, in the same run, over the test host's
 * sshd. Rounds alternate which goes first; both medians, the median of the per-round ratios (target ≤ 1.1) and
 * belay's peak memory (the CLI process's max RSS, target ≤ 150 MB) are printed, with where belay's time goes.
 *
 * The database is a compose PostgreSQL of its own (test/harness/pg-image.ts), filled by `pgbench -i`, and belay
 * reaches it as a user's stack has it: `db-service: db`, pg_dump run inside the container. Not the test host's
 * shared PostgreSQL: other test runs keep creating and dropping schemas in its one database, and belay dumps a
 * whole database, so the two tools would not be dumping the same thing; and loading 1 GB into it would slow every
 * other run using it. The baseline runs pg_dump in the same container (`ssh … docker exec <db> pg_dump`),
 * so both pay the same docker exec and read the same data with the same pg_dump; the difference is belay's own
 * work: Node and the SSH setup from it, finding the container (one command, while the dump command's `docker exec`
 * already starts beside it and waits for the snapshot), the connection and the snapshot, the row counts (run
 * beside pg_dump once it writes, in its snapshot, on the same CPUs), then the sha256 and `pg_restore --list` of the
 * written file (in the same command as pg_dump; pg_restore's `docker exec` started while pg_dump runs), the rename
 * with the manifest and the listing for retention (one command, started while the file is checked).
 *
 * Where the time goes: while each run goes on, the bench watches the files (belay's `<id>.dump.partial`, the
 * baseline's local file) every 50 ms: the first byte marks "pg_dump started", the last change "dump written"; for
 * belay the rename to `<id>.dump` marks "verified" and `<id>.json` "manifest written". Each run's CPU time is
 * printed too: the database container's (pg_dump, the server process feeding it and belay's row counts; the
 * difference between the two is what belay's counts cost) and how busy the whole machine was, which says how
 * much a round was slowed by other work. After the rounds each of belay's extra steps is timed on its own over the
 * same sshd (system ssh client).
 *
 * The data: pgbench's tables at scale 70 (7 million accounts, ~1 GB), with `filler` holding a 32-character hex
 * token per row (BELAY_BENCH_DATA=text, the default) or left as pgbench makes it, blank (BELAY_BENCH_DATA=blank).
 * Blank rows compress about 55:1 (a 19 MiB dump; pg_dump gets through them in about 4 s), which no application's
 * tables do: ids, hashes, names and text make dumps of 3-10:1. With the token the dump compresses about 6:1
 * (~160 MiB, ~14 s of pg_dump here), so the time goes where it goes on a real database: compressing; and the
 * baseline then also carries 160 MiB through ssh to this machine, which belay does not (its dump stays on the
 * server; `download:` is a step of its own), so belay can come out ahead. The target is read on this data; the
 * blank run is the worst case for belay's fixed cost, and is run for it (see README, Choices).
 * That cost: Node and the SSH setup (~0.2 s), the checks after the dump (~0.1 s) and the exact row counts, which
 * are per row, not per byte: counting 7 million rows costs about 0.6 s of the database's CPU (reading the table;
 * walking its primary key costs 0.9 s), which on this machine's two CPUs turns into about 0.25-0.5 s more for
 * pg_dump whether the counts run at once, paced or at the lowest CPU priority (measured all three ways). Other
 * work on the machine (and its page cache, which the host empties every few seconds, so a run reads the tables
 * from disk or not) makes single rounds swing by ±30%, which is why each round's ratio and the machine's busy
 * share are shown.
 *
 * Run: npx tsx bench/backup.ts   (BELAY_BENCH_SCALE=70 pgbench scale, ~1 GB, e.g. 5 for a quick run;
 * BELAY_BENCH_DATA=text or blank, see above;
 * BENCH_ROUNDS=5 rounds of each; needs `scripts/test-host up` and a current bundle: `npm run bundle`)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startComposePostgres, type ComposePostgres } from '../test/harness/pg-image.js';
import { testHost } from '../test/harness/test-host.js';

const SCALE = Number(process.env.BELAY_BENCH_SCALE ?? 70);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DATA = process.env.BELAY_BENCH_DATA ?? 'text';
if (DATA !== 'text' && DATA !== 'blank') throw new Error(`BELAY_BENCH_DATA is "${DATA}": use text or blank.`);
const POLL_MS = 50;

const host = testHost();
const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const cli = join(root, 'dist/cli/index.js');
const pgbench = join(host.pg.bin, 'pgbench');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const id = randomBytes(3).toString('hex');
/** The compose project, which is also belay's app: backups land in <backup-dir>/<app>. */
const app = `belay-bench-backup-${id}`;
const container = `${app}-db-1`;
const dbUser = 'bench';
const database = 'bench';
const password = randomBytes(12).toString('hex');
const temp = mkdtempSync(join(tmpdir(), 'belay-bench-backup-'));
const backupDir = join(temp, 'backups');
const appDir = join(backupDir, app);
const plainFile = join(temp, 'plain.dump');

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const secs = (ms: number) => `${(ms / 1000).toFixed(2).padStart(7)} s`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const now = () => performance.now();

// Ctrl-C or SIGTERM: stop the running command and clean up (the finally below), then exit.
const running = new Set<ChildProcess>();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`${signal}: stopping, then cleaning up`);
    for (const child of running) child.kill('SIGTERM');
  });
}

interface Ran {
  readonly ms: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak RSS of the process in bytes (GNU time's %M, else VmHWM polled from /proc), when known. */
  readonly maxRss?: number;
}

/**
 * Run a command to its end without blocking this process (the file watcher keeps ticking), its stdout to `stdoutFd`
 * when given. With measureRss it runs under GNU time (`-f %M`), else its VmHWM is polled while it runs.
 */
async function run(
  command: string,
  args: readonly string[],
  options: { stdoutFd?: number; env?: NodeJS.ProcessEnv; measureRss?: boolean; tick?: () => void } = {},
): Promise<Ran> {
  if (interrupted) throw new Error('interrupted');
  const rssFile = join(temp, `rss-${randomBytes(3).toString('hex')}`);
  const viaTime = options.measureRss && TIME !== undefined;
  const [file, argv] = viaTime ? [TIME!, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, [...args]];
  const start = now();
  const child = spawn(file, argv, {
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let hwm = 0;
  const timer = setInterval(() => {
    options.tick?.();
    if (options.measureRss && !viaTime && child.pid !== undefined) {
      try {
        const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        if (kb) hwm = Math.max(hwm, Number(kb) * 1024);
      } catch {
        // gone already
      }
    }
  }, POLL_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => {
    clearInterval(timer);
    running.delete(child);
  });
  const ms = now() - start;
  options.tick?.();
  let maxRss: number | undefined = hwm || undefined;
  if (viaTime) {
    const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    rmSync(rssFile, { force: true });
    maxRss = Number.isFinite(kb) ? kb * 1024 : undefined;
  }
  return { ms, code, stdout, stderr, ...(maxRss ? { maxRss } : {}) };
}

function must(r: Ran, what: string): Ran {
  if (interrupted) throw new Error(`interrupted during ${what}: cleaning up`);
  if (r.code !== 0)
    throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return r;
}

/** The system ssh client with belay's key and known_hosts, no user config, strict host keys. */
const sshArgs = (...remote: string[]) => [
  ...['-F', 'none', '-i', host.keys.ed25519, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
  ...['-o', `UserKnownHostsFile=${host.knownHosts}`, '-o', 'StrictHostKeyChecking=yes'],
  ...['-p', String(host.sshPort), `${host.user}@${host.sshHost}`, ...remote],
];

/** When a file first got bytes and when it last changed, as seen by polling. */
class Watch {
  firstByte?: number;
  lastChange?: number;
  private last = '';
  constructor(private readonly start: number) {}
  see(path: string): void {
    let sig: string;
    try {
      const s = statSync(path);
      if (s.size === 0) return;
      sig = `${s.size}:${s.mtimeMs}`;
    } catch {
      return;
    }
    const t = now() - this.start;
    this.firstByte ??= t;
    if (sig !== this.last) {
      this.last = sig;
      this.lastChange = t;
    }
  }
}

/**
 * CPU time, to tell belay's own work from a busy machine: the database container's (its cgroup's cpu.stat: pg_dump,
 * the server process feeding it, belay's row counts; not found on every cgroup layout) and the whole machine's
 * busy share (/proc/stat), between two readings.
 */
let containerCpuStat: string | undefined;
function findContainerCpuStat(): void {
  const id = spawnSync('docker', ['inspect', '-f', '{{.Id}}', container], { encoding: 'utf8' }).stdout.trim();
  const candidates = [
    `/sys/fs/cgroup/unified/docker/${id}/cpu.stat`,
    `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`,
    `/sys/fs/cgroup/docker/${id}/cpu.stat`,
  ];
  containerCpuStat = id ? candidates.find((p) => existsSync(p)) : undefined;
}
interface CpuReading {
  readonly containerUs?: number;
  readonly busy: number;
  readonly total: number;
}
function readCpu(): CpuReading {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  let containerUs: number | undefined;
  if (containerCpuStat) {
    const m = /usage_usec (\d+)/.exec(readFileSync(containerCpuStat, 'utf8'));
    if (m) containerUs = Number(m[1]);
  }
  return { ...(containerUs !== undefined ? { containerUs } : {}), busy: total - idle, total };
}
interface CpuUsed {
  /** CPU seconds the database container used. */
  readonly container?: number;
  /** Share of the machine's CPU time that was busy (everything on it, other work included). */
  readonly machineBusy: number;
}
function cpuSince(before: CpuReading): CpuUsed {
  const after = readCpu();
  const span = Math.max(1, after.total - before.total);
  return {
    ...(after.containerUs !== undefined && before.containerUs !== undefined
      ? { container: (after.containerUs - before.containerUs) / 1e6 }
      : {}),
    machineBusy: (after.busy - before.busy) / span,
  };
}
const cpuText = (c: CpuUsed) =>
  `${c.container !== undefined ? `db CPU ${c.container.toFixed(2)} s, ` : ''}machine ${(c.machineBusy * 100).toFixed(0)}% busy`;

interface BelayRun {
  readonly ms: number;
  readonly cpu: CpuUsed;
  readonly maxRss?: number;
  readonly size: number;
  /** ms from start: pg_dump's first byte in the partial, its last change, the rename, the manifest. */
  readonly partial?: number;
  readonly written?: number;
  readonly promoted?: number;
  readonly manifest?: number;
}

/** How the CLI reaches the server: the test host's sshd, its key and known_hosts. */
const belayConnection = [
  ...['--host', `${host.user}@${host.sshHost}:${host.sshPort}`],
  ...['--ssh-key-file', host.keys.ed25519, '--known-hosts-file', host.knownHosts],
];
const belayArgs = [
  cli,
  'backup',
  ...['--app', app, '--db-service', 'db', '--database', database, '--db-user', dbUser],
  ...belayConnection,
  ...['--backup-dir', backupDir, '--verify', 'toc', '--json'],
];

/** belay backup through the CLI bundle; the password from the environment, so it is in no argv. */
async function belay(keep = false): Promise<BelayRun & { path: string }> {
  const start = now();
  const watch = new Watch(start);
  let promoted: number | undefined;
  let manifest: number | undefined;
  const tick = () => {
    let files: string[];
    try {
      files = readdirSync(appDir);
    } catch {
      return;
    }
    const partial = files.find((f) => f.endsWith('.dump.partial'));
    if (partial) watch.see(join(appDir, partial));
    if (promoted === undefined && files.some((f) => f.endsWith('.dump'))) promoted = now() - start;
    if (manifest === undefined && files.some((f) => f.endsWith('.json'))) manifest = now() - start;
  };
  const cpu = readCpu();
  const r = must(
    await run(process.execPath, belayArgs, {
      measureRss: true,
      tick,
      env: { ...process.env, BELAY_DB_PASSWORD: password },
    }),
    'belay backup',
  );
  const outputs = JSON.parse(r.stdout.trim().split('\n').pop()!) as { 'backup-id': string; path: string; size: string };
  const size = statSync(outputs.path).size;
  if (size !== Number(outputs.size)) throw new Error(`belay said ${outputs.size} bytes, the file has ${size}`);
  if (!keep) rmSync(appDir, { recursive: true, force: true });
  return {
    ms: r.ms,
    cpu: cpuSince(cpu),
    ...(r.maxRss ? { maxRss: r.maxRss } : {}),
    size,
    path: outputs.path,
    ...(watch.firstByte !== undefined ? { partial: watch.firstByte } : {}),
    ...(watch.lastChange !== undefined ? { written: watch.lastChange } : {}),
    ...(promoted !== undefined ? { promoted } : {}),
    ...(manifest !== undefined ? { manifest } : {}),
  };
}

interface PlainRun {
  readonly ms: number;
  readonly cpu: CpuUsed;
  readonly maxRss?: number;
  readonly size: number;
  readonly firstByte?: number;
  readonly written?: number;
}

/** The baseline: `ssh server docker exec <db> pg_dump -Fc db > file`, pg_dump on the server, stdout to a local file. */
async function plain(): Promise<PlainRun> {
  const fd = openSync(plainFile, 'w', 0o600);
  const watch = new Watch(now());
  let r: Ran;
  const cpu = readCpu();
  try {
    r = await run('ssh', sshArgs('docker', 'exec', container, 'pg_dump', '-U', dbUser, '-Fc', database), {
      stdoutFd: fd,
      measureRss: true,
      tick: () => watch.see(plainFile),
    });
  } finally {
    closeSync(fd);
  }
  must(r, 'ssh … pg_dump');
  const size = statSync(plainFile).size;
  rmSync(plainFile, { force: true });
  return {
    ms: r.ms,
    cpu: cpuSince(cpu),
    ...(r.maxRss ? { maxRss: r.maxRss } : {}),
    size,
    ...(watch.firstByte !== undefined ? { firstByte: watch.firstByte } : {}),
    ...(watch.lastChange !== undefined ? { written: watch.lastChange } : {}),
  };
}

/** Warn when src/ changed after the CLI bundle was built: the figures would be of older code. */
function checkBundle(): void {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run bundle first`);
  const built = statSync(cli).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (statSync(p).mtimeMs > built) newer.push(p.slice(root.length + 1));
    }
  };
  walk(join(root, 'src'));
  console.log(`CLI bundle ${cli.slice(root.length + 1)} built ${new Date(built).toISOString()}`);
  if (newer.length) {
    console.log(`  ⚠ changed since (run npm run bundle to measure them): ${newer.slice(0, 8).join(', ')}`);
  }
}

let db: ComposePostgres | undefined;
let failed = false;
try {
  checkBundle();
  mkdirSync(backupDir, { mode: 0o700 });
  const uid = Number(spawnSync('id', ['-u', host.user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', host.user], { encoding: 'utf8' }).stdout.trim());
  chownSync(temp, uid, gid);
  chownSync(backupDir, uid, gid);

  let t = now();
  db = await startComposePostgres({ project: app, user: dbUser, password, database });
  console.log(`compose PostgreSQL ${container} up in ${secs(now() - t)}`);
  findContainerCpuStat();
  // The test image is made of this machine's PostgreSQL binaries without libLLVM, so a query costly enough for JIT
  // (pgbench's generate_series, belay's count(*) on pgbench_accounts) fails to load llvmjit.so. A stock postgres
  // image has it; here JIT is off for the database, for every session the bench and belay open.
  const admin = await db.connect();
  try {
    await admin.query(`ALTER DATABASE ${database} SET jit = off`);
  } finally {
    await admin.end();
  }
  t = now();
  // Server-side generation (G): the rows are made inside PostgreSQL, nothing streams from this process. For text
  // data the accounts are made again with a token in filler, before the primary keys (p) are built.
  const init = async (steps: string) =>
    must(
      await run(pgbench, ['-i', '-q', '-s', String(SCALE), '-I', steps, '-h', db!.address(), '-U', dbUser, database], {
        env: { ...process.env, PGPASSWORD: password },
      }),
      `pgbench -i -I ${steps}`,
    );
  if (DATA === 'blank') await init('dtGvp');
  else {
    await init('dtG');
    const filling = await db.connect();
    try {
      await filling.query('TRUNCATE pgbench_accounts');
      await filling.query(
        'INSERT INTO pgbench_accounts (aid, bid, abalance, filler) ' +
          `SELECT aid, (aid - 1) / 100000 + 1, 0, md5(aid::text) FROM generate_series(1, ${SCALE * 100_000}) AS aid`,
      );
    } finally {
      await filling.end();
    }
    await init('vp');
  }
  const client = await db.connect();
  let size: number;
  let tables: { name: string; rows: string }[];
  try {
    size = Number((await client.query<{ n: string }>('SELECT pg_database_size($1) AS n', [database])).rows[0]!.n);
    tables = (
      await client.query<{ name: string; rows: string }>(
        "SELECT relname AS name, reltuples::bigint::text AS rows FROM pg_class WHERE relkind = 'r' AND relname LIKE 'pgbench%' ORDER BY 1",
      )
    ).rows;
  } finally {
    await client.end();
  }
  console.log(
    `pgbench -i -s ${SCALE} (${DATA === 'text' ? 'a hex token in filler' : "pgbench's blank filler"}) in ${secs(now() - t)}: database ${database} is ${mib(size)} (pg_database_size), ` +
      tables.map((x) => `${x.name} ${Number(x.rows).toLocaleString('en')}`).join(', '),
  );

  console.log(`\nbackup, ${ROUNDS} round(s) of each, order alternating (belay: verify toc, db-service db)`);
  const belayRuns: (BelayRun & { path: string })[] = [];
  const plainRuns: PlainRun[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // The last round's belay backup is kept, for timing belay's extra steps on it below.
    const keep = round === ROUNDS - 1;
    let b: BelayRun & { path: string }, p: PlainRun;
    if (round % 2 === 0) {
      p = await plain();
      b = await belay(keep);
    } else {
      b = await belay(keep);
      p = await plain();
    }
    belayRuns.push(b);
    plainRuns.push(p);
    console.log(
      `  round ${round + 1} (${round % 2 === 0 ? 'ssh pg_dump' : 'belay'} first): ssh pg_dump ${secs(p.ms)} ` +
        `(${mib(p.size)}), belay ${secs(b.ms)} (${mib(b.size)}, max RSS ${b.maxRss ? mib(b.maxRss) : '?'}), ` +
        `${(b.ms / p.ms).toFixed(2)}×`,
    );
    console.log(`      ssh pg_dump: ${cpuText(p.cpu)}; belay: ${cpuText(b.cpu)}`);
  }

  const ratio = median(belayRuns.map((b, i) => b.ms / plainRuns[i]!.ms));
  const rss = belayRuns.map((b) => b.maxRss).filter((x): x is number => x !== undefined);
  const peak = rss.length ? Math.max(...rss) : undefined;
  console.log(`ssh … pg_dump -Fc > file (baseline)  median ${secs(median(plainRuns.map((p) => p.ms)))}`);
  console.log(`belay backup (CLI bundle)             median ${secs(median(belayRuns.map((b) => b.ms)))}`);
  console.log(`ratio (median of per-round ratios): ${ratio.toFixed(2)}×  (target ≤ 1.10)`);
  console.log(
    `belay peak memory (max RSS of the CLI process${TIME ? ', GNU time %M' : ', VmHWM'}): ` +
      `${peak ? mib(peak) : 'not measured'}  (target ≤ 150 MB)`,
  );
  const dbCpu = (runs: readonly { cpu: CpuUsed }[]) => {
    const xs = runs.map((r) => r.cpu.container).filter((x): x is number => x !== undefined);
    return xs.length ? `${median(xs).toFixed(2)} s` : '?';
  };
  console.log(
    `database container CPU per run (median): ssh pg_dump ${dbCpu(plainRuns)}, belay ${dbCpu(belayRuns)} ` +
      `(belay's extra is mostly its row counts, on the same CPUs as pg_dump)`,
  );
  const sshRss = plainRuns.map((p) => p.maxRss).filter((x): x is number => x !== undefined);
  if (sshRss.length) console.log(`  (the ssh client of the baseline: ${mib(Math.max(...sshRss))})`);

  // Where the time goes: the phases seen from the files, medians over the rounds.
  const phase = (xs: (number | undefined)[]) => {
    const known = xs.filter((x): x is number => x !== undefined);
    return known.length === xs.length ? secs(Math.max(0, median(known))) : '      ?  ';
  };
  const diff = <T>(runs: readonly T[], a: (r: T) => number | undefined, b: (r: T) => number | undefined) =>
    runs.map((r) => {
      const x = a(r);
      const y = b(r);
      return x === undefined || y === undefined ? undefined : x - y;
    });
  console.log('\nwhere the time goes (medians; phases seen by watching the files every 50 ms)');
  console.log(`  ${''.padEnd(52)}${'ssh pg_dump'.padStart(11)}${'belay'.padStart(11)}`);
  const row = (name: string, p: string, b: string) =>
    console.log(`  ${name.padEnd(52)}${p.padStart(11)}${b.padStart(11)}`);
  row(
    'start → first byte of the dump (setup)',
    phase(plainRuns.map((p) => p.firstByte)),
    phase(belayRuns.map((b) => b.partial)),
  );
  row(
    'first byte → dump written (pg_dump)',
    phase(
      diff(
        plainRuns,
        (p) => p.written,
        (p) => p.firstByte,
      ),
    ),
    phase(
      diff(
        belayRuns,
        (b) => b.written,
        (b) => b.partial,
      ),
    ),
  );
  row(
    'dump written → renamed (sha256, toc, rename + manifest)',
    '-',
    phase(
      diff(
        belayRuns,
        (b) => b.promoted,
        (b) => b.written,
      ),
    ),
  );
  row(
    'renamed → manifest written',
    '-',
    phase(
      diff(
        belayRuns,
        (b) => b.manifest,
        (b) => b.promoted,
      ),
    ),
  );
  row(
    'last file change → exit (retention, close)',
    phase(
      diff(
        plainRuns,
        (p) => p.ms,
        (p) => p.written,
      ),
    ),
    phase(
      diff(
        belayRuns,
        (b) => b.ms,
        (b) => b.manifest,
      ),
    ),
  );

  // belay's extra steps, each on its own, over the same sshd with the system client, on the last belay dump.
  console.log(
    "\nbelay's extra steps timed on their own (medians of 3; each over a new ssh connection, belay's share one)",
  );
  const kept = belayRuns[belayRuns.length - 1]!;
  const three = async (what: string, f: () => Promise<number>) => {
    const xs: number[] = [];
    for (let i = 0; i < 3; i++) xs.push(await f());
    console.log(`  ${what.padEnd(68)}${secs(median(xs))}`);
  };
  const timed = async (command: string, args: string[], what: string, env?: NodeJS.ProcessEnv) =>
    must(await run(command, args, env ? { env } : {}), what).ms;
  await three('node starts the CLI bundle (belay --version)', () =>
    timed(process.execPath, [cli, '--version'], 'belay --version'),
  );
  await three('ssh connect + `true`', () => timed('ssh', sshArgs('true'), 'ssh true'));
  // belay's own connection cost, for comparison with the line above: the CLI, an SSH connection, one command.
  await three('belay backup list (node, config, SSH connect from Node, one command)', () =>
    timed(
      process.execPath,
      [cli, 'backup', 'list', '--app', app, '--backup-dir', backupDir, ...belayConnection],
      'belay backup list',
    ),
  );
  await three('ssh docker exec <db> pg_dump --version', () =>
    timed('ssh', sshArgs('docker', 'exec', container, 'pg_dump', '--version'), 'pg_dump --version'),
  );
  await three('row counts: count(*) of every table in one snapshot (psql, alone; belay: beside pg_dump)', () =>
    timed(
      join(host.pg.bin, 'psql'),
      [
        ...['-X', '-q', '-h', db!.address(), '-U', dbUser, '-d', database, '-c'],
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL max_parallel_workers_per_gather = 0; ' +
          'SET LOCAL jit = off; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; ' +
          'SET LOCAL enable_bitmapscan = off; SELECT count(*) FROM pgbench_accounts; SELECT count(*) FROM pgbench_branches; ' +
          'SELECT count(*) FROM pgbench_history; SELECT count(*) FROM pgbench_tellers; COMMIT',
      ],
      'count(*)',
      { ...process.env, PGPASSWORD: password },
    ),
  );
  await three(`sha256sum of the dump on the server (${mib(kept.size)}; belay: after pg_dump, same command)`, () =>
    timed('ssh', sshArgs('sha256sum', '--', kept.path), 'sha256sum'),
  );
  await three('pg_restore --list of the dump (ssh docker exec -i … < file; belay: started beside pg_dump)', () =>
    timed(
      'ssh',
      sshArgs('docker', 'exec', '-i', container, 'pg_restore', '-U', dbUser, '--list', '<', kept.path),
      'pg_restore --list',
    ),
  );
} catch (err) {
  failed = true;
  console.error(err instanceof Error ? err.message : err);
} finally {
  try {
    if (db) db.down();
    // Interrupted while the stack was coming up: take it down by its project name.
    else spawnSync('docker', ['compose', '-p', app, 'down', '-v', '--timeout', '1'], { stdio: 'ignore' });
  } catch (err) {
    failed = true;
    console.error(`could not remove the compose project ${app}: ${(err as Error).message}`);
  }
  rmSync(temp, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
