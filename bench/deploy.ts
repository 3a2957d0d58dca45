/**
 * An unchanged redeploy, printed, never asserted: `belay deploy` (the CLI bundle, as a user runs it) next to a
 * hand-written bash script doing the steps such scripts do (one `ssh … "docker compose pull && docker compose up
 * -d"`, then a curl loop on the health URL), in the same run, against the test host's dockerd, registry and compose v2. Rounds
 * alternate which goes first; each round's times, both medians and the median of the per-round ratios are printed
 * (target: belay ≤ 1.2×). Then the rollback: a release whose /health never answers is deployed (health-timeout
 * 3s), and the time from belay's verdict (`release … is not healthy on …`) to its `was rolled back: … is serving
 * again` line is printed, with the moment this process first got the previous release's answer again.
 *
 * SSH connections are counted on the server: the bench starts an sshd of its own (test/harness/sshd.ts: the test
 * host's config, LogLevel VERBOSE, its own port and log) that only this bench talks to, and each run's share of
 * that log is counted: TCP connections (`Connection from`), logins (`Accepted publickey`), commands (`Starting
 * session: command`) and SFTP sessions. Target: 1 connection per host per deploy. belay itself is not instrumented.
 *
 * The app is test/harness/web-image.ts (busybox httpd FROM scratch, pushed to the registry, referenced by digest),
 * with `network_mode: host` on a port of its own (41000–44999, away from the deploy tests' 20000–39999) and
 * `init: true`: busybox httpd as PID 1 ignores SIGTERM, so without an init every container replacement would wait
 * compose's 10 s stop timeout, which a real app that exits on SIGTERM does not. belay's app and the script's app are
 * two compose projects, so each redeploy is unchanged against its own previous deploy. belay runs with its defaults
 * plus health-url (so its gate is `both`: containers running, then the URL) and health-interval 500ms, the
 * script's loop sleeps 0.5 s between tries; on an unchanged redeploy both pass on the first try.
 *
 * Where the time goes: the arrival time of each line belay prints marks its phases; the deploy action (the same
 * engine) is run 3 more times for the per-step timeline of its job summary; and each step is timed on its own over
 * the same sshd, the server commands through belay's own SSH transport on one open connection, so that each costs
 * what one of belay's commands costs (an exec channel, sshd's session, the login shell). The CPU time each deploy
 * takes on this side (GNU time: node for belay; bash, ssh and curl for the script) is printed too: runner and
 * server share these 2 CPUs, so the more CPU belay needs, the more other load on the machine stretches its time.
 *
 * Reading the figures: the first deploys (which create the containers) are not compared. An unchanged redeploy of a
 * tiny app over loopback is the worst case for a ratio: the script's whole deploy is two compose calls, so belay's
 * fixed cost per deploy (Node starting the bundle, the lock, the release record, the container check, the
 * `current` switch) weighs far more than against a deploy that pulls a new image and restarts a real
 * app. `container REPLACED` after a round would mean an unchanged redeploy restarted the app (it should not). Other
 * work on this machine (2 CPUs, shared) makes single rounds swing, which is why each round is shown.
 *
 * Run: npx tsx bench/deploy.ts   (BENCH_ROUNDS=5 redeploy rounds, BENCH_ROLLBACKS=3 failed deploys; needs
 * `scripts/test-host up` and a current bundle: `npm run bundle`)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmd } from '../src/core/command.js';
import { SshTransport } from '../src/transport/ssh.js';
import type { ConnectionOptions, Transport } from '../src/transport/types.js';
import { runAction } from '../test/harness/runner.js';
import { startSshd, type ExtraSshd } from '../test/harness/sshd.js';
import { testHost } from '../test/harness/test-host.js';
import { buildWebImage, type WebImage } from '../test/harness/web-image.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROLLBACKS = Number(process.env.BENCH_ROLLBACKS ?? 3);
const TIMELINE_RUNS = 3;

const host = testHost();
const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const cli = join(root, 'dist/cli/index.js');
const id = randomBytes(3).toString('hex');
const belayApp = `belay-bench-deploy-${id}`;
const plainApp = `belay-bench-plain-${id}`;
const temp = mkdtempSync(join(tmpdir(), 'belay-bench-deploy-'));
const workspace = join(temp, 'repo');
const belayDir = join(temp, 'belay-app');
const plainDir = join(temp, 'plain-app');
const knownHostsFile = join(temp, 'known_hosts');
/** A copy of the test key, with an authorized_keys of the bench's own (see the start of the run). */
const keyFile = join(temp, 'id_ed25519');
const authorizedKeys = join(temp, 'authorized_keys');

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0).padStart(5)} ms`;
const now = () => performance.now();
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

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

interface Line {
  /** ms from the start of the command to the arrival of the line. */
  readonly t: number;
  readonly text: string;
}

interface Ran {
  readonly ms: number;
  readonly code: number | null;
  readonly lines: readonly Line[];
  readonly output: string;
  /** CPU time (user + system) of the command and its children on this machine, when measured. */
  readonly cpuMs?: number;
}

/** Run a command to its end without blocking this process; every line of stdout and stderr with its arrival time. */
async function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; onLine?: (line: Line) => void; cpu?: boolean } = {},
): Promise<Ran> {
  if (interrupted) throw new Error('interrupted');
  const cpuFile = join(temp, `cpu-${randomBytes(3).toString('hex')}`);
  const viaTime = options.cpu && TIME !== undefined;
  const [file, argv] = viaTime ? [TIME!, ['-f', '%U %S', '-o', cpuFile, command, ...args]] : [command, [...args]];
  const start = now();
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd ?? temp });
  running.add(child);
  const lines: Line[] = [];
  const reader = () => {
    let rest = '';
    return (chunk: Buffer) => {
      const t = now() - start;
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop()!;
      for (const text of parts) {
        const line = { t, text };
        lines.push(line);
        options.onLine?.(line);
      }
    };
  };
  child.stdout.on('data', reader());
  child.stderr.on('data', reader());
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => running.delete(child));
  const ms = now() - start;
  let cpuMs: number | undefined;
  if (viaTime) {
    // GNU time's user and system seconds of the command and the children it waited for.
    const [user, system] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    rmSync(cpuFile, { force: true });
    if (Number.isFinite(user) && Number.isFinite(system)) cpuMs = (user! + system!) * 1000;
  }
  return { ms, code, lines, output: lines.map((l) => l.text).join('\n'), ...(cpuMs !== undefined ? { cpuMs } : {}) };
}

function must(r: Ran, what: string): Ran {
  if (interrupted) throw new Error(`interrupted during ${what}: cleaning up`);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.output.slice(-3000)}`);
  return r;
}

/** A free port in 41000–44999, away from the deploy tests' 20000–39999 and the kernel's ephemeral range. */
async function freeAppPort(): Promise<number> {
  for (;;) {
    const port = 41000 + Math.floor(Math.random() * 4000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

let extraSshd: ExtraSshd | undefined;
/** The bench's own sshd, started first thing. */
const sshd = (): ExtraSshd => {
  if (!extraSshd) throw new Error('the bench sshd is not running');
  return extraSshd;
};

interface SshdCounts {
  readonly connections: number;
  readonly logins: number;
  readonly commands: number;
  readonly sftp: number;
}

function sshdCounts(): SshdCounts {
  const text = sshd().logText();
  const count = (re: RegExp) => text.match(re)?.length ?? 0;
  return {
    connections: count(/Connection from /g),
    logins: count(/Accepted publickey for /g),
    commands: count(/Starting session: command /g),
    sftp: count(/Starting session: subsystem 'sftp' /g),
  };
}

const minus = (a: SshdCounts, b: SshdCounts): SshdCounts => ({
  connections: a.connections - b.connections,
  logins: a.logins - b.logins,
  commands: a.commands - b.commands,
  sftp: a.sftp - b.sftp,
});

/** The system ssh client with the test key and this sshd's known_hosts, no user config, strict host keys. */
const sshOptions = () => [
  ...['-F', 'none', '-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
  ...['-o', `UserKnownHostsFile=${knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-p', String(sshd().port)],
];
const sshArgs = (...remote: string[]) => [...sshOptions(), `${host.user}@${host.sshHost}`, ...remote];

/** `<project>-web-1`'s container id and start time, to tell whether a deploy replaced it. */
function container(project: string): string {
  const r = spawnSync('docker', ['inspect', '-f', '{{.Id}} {{.State.StartedAt}}', `${project}-web-1`], {
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : 'none';
}

async function get(port: number, path: string): Promise<string> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return `${r.status} ${(await r.text()).trim()}`;
  } catch {
    return 'down';
  }
}

// ------------------------------------------------------------------------------------------------ the two deploys

let belayPort: number;
let plainPort: number;

const connectionFlags = () => [
  ...['--host', `${host.user}@${host.sshHost}:${sshd().port}`],
  ...['--ssh-key-file', keyFile, '--known-hosts-file', knownHostsFile],
];

const deployFlags = (image: WebImage, healthTimeout: string) => [
  ...['--app', belayApp, '--app-dir', belayDir, '--compose-file', 'compose.yml'],
  ...['--images', `web=${image.ref}`, '--env', `PORT=${belayPort}`],
  ...['--health-url', `http://127.0.0.1:${belayPort}/health`, '--health-interval', '500ms'],
  ...['--health-timeout', healthTimeout],
  ...connectionFlags(),
];

interface Phases {
  /** ms from start to the line that marks each phase's end, when seen. */
  readonly [mark: string]: number | undefined;
}

interface DeployRun {
  readonly ms: number;
  readonly ssh: SshdCounts;
  readonly replaced: boolean;
  readonly phases: Phases;
  readonly cpuMs?: number;
}

const firstAt = (lines: readonly Line[], re: RegExp, after = -1) =>
  lines.find((l) => l.t > after && re.test(l.text))?.t;

async function belay(image: WebImage): Promise<DeployRun> {
  const before = sshdCounts();
  const was = container(belayApp);
  const r = must(
    await run(process.execPath, [cli, 'deploy', ...deployFlags(image, '30s')], { cwd: workspace, cpu: true }),
    'belay deploy',
  );
  const ssh = minus(sshdCounts(), before);
  const release = firstAt(r.lines, /^release \S+ on /);
  const containers = firstAt(r.lines, /^containers: /);
  const url = firstAt(r.lines, /^✓ .* healthy after/);
  const done = firstAt(r.lines, /deployed and healthy$/);
  return {
    ms: r.ms,
    ssh,
    replaced: was !== container(belayApp),
    phases: { release, containers, url, done, exit: r.ms },
    ...(r.cpuMs !== undefined ? { cpuMs: r.cpuMs } : {}),
  };
}

let plainScript = '';

async function plain(): Promise<DeployRun> {
  const before = sshdCounts();
  const was = container(plainApp);
  const r = must(await run('bash', [plainScript], { cpu: true }), 'the bash deploy script');
  const ssh = minus(sshdCounts(), before);
  return {
    ms: r.ms,
    ssh,
    replaced: was !== container(plainApp),
    phases: { up: firstAt(r.lines, /^up$/), healthy: firstAt(r.lines, /^healthy$/), exit: r.ms },
    ...(r.cpuMs !== undefined ? { cpuMs: r.cpuMs } : {}),
  };
}

const sshText = (c: SshdCounts) =>
  `${c.connections} conn, ${c.logins} login, ${c.commands} cmd${c.sftp ? `, ${c.sftp} sftp` : ''}`;

// ------------------------------------------------------------------------------------------------ setup

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

const composeText = (image: string, environment?: string) =>
  [
    'services:',
    '  web:',
    `    image: ${image}`,
    '    network_mode: host',
    '    init: true',
    ...(environment ? ['    environment:', `      PORT: "${environment}"`] : []),
    '',
  ].join('\n');

/** The deploy action (the same engine as the CLI) with the CLI's inputs; its job summary holds the timeline. */
function deployAction(image: WebImage, healthTimeout = '30s') {
  return runAction(
    'deploy',
    {
      host: `${host.user}@${host.sshHost}:${sshd().port}`,
      'ssh-key': readFileSync(keyFile, 'utf8'),
      'known-hosts': readFileSync(knownHostsFile, 'utf8'),
      app: belayApp,
      'app-dir': belayDir,
      'compose-file': 'compose.yml',
      images: `web=${image.ref}`,
      env: `PORT=${belayPort}`,
      'health-url': `http://127.0.0.1:${belayPort}/health`,
      'health-interval': '500ms',
      'health-timeout': healthTimeout,
    },
    { cwd: workspace },
  );
}

/** The `| step | took |` rows of a deploy's job summary, in ms. */
function timelineOf(summary: string): [string, number][] {
  const rows: [string, number][] = [];
  for (const m of summary.matchAll(/^\| (.+?) \| ([\d.]+)(ms|s) \|$/gm)) {
    if (m[1] !== 'Step') rows.push([m[1]!, Number(m[2]) * (m[3] === 's' ? 1000 : 1)]);
  }
  return rows;
}

let failed = false;
let transport: Transport | undefined;
let good: WebImage | undefined;
let bad: WebImage | undefined;
try {
  checkBundle();
  // The bench's sshd takes its keys from copies made now: `scripts/test-host up`, run by another session while this
  // one goes on, generates new test keys, and the old ones would then be refused half-way through the run.
  writeFileSync(keyFile, readFileSync(host.keys.ed25519), { mode: 0o600 });
  writeFileSync(authorizedKeys, readFileSync(`${host.keys.ed25519}.pub`), { mode: 0o644 });
  extraSshd = await startSshd({ settings: [`AuthorizedKeysFile=${authorizedKeys}`] });
  const knownHosts = readFileSync(host.knownHosts, 'utf8');
  writeFileSync(
    knownHostsFile,
    knownHosts.replaceAll(`[${host.sshHost}]:${host.sshPort}`, `[${host.sshHost}]:${sshd().port}`),
  );
  [belayPort, plainPort] = [await freeAppPort(), await freeAppPort()];
  while (plainPort === belayPort) plainPort = await freeAppPort();

  const t = now();
  good = buildWebImage({ name: 'belay-bench-web', version: `good-${id}`, healthy: true });
  bad = buildWebImage({ name: 'belay-bench-web', version: `bad-${id}`, healthy: false });
  console.log(`images built and pushed in ${(now() - t).toFixed(0)} ms: ${good.ref}`);

  const uid = Number(spawnSync('id', ['-u', host.user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', host.user], { encoding: 'utf8' }).stdout.trim());
  for (const dir of [workspace, belayDir, plainDir]) mkdirSync(dir);
  for (const dir of [temp, belayDir, plainDir]) chownSync(dir, uid, gid);
  // belay's compose file in the repository (the image comes from --images); the script's is on the server.
  writeFileSync(join(workspace, 'compose.yml'), composeText('placeholder'));
  writeFileSync(join(plainDir, 'compose.yml'), composeText(good.ref, String(plainPort)));
  chownSync(join(plainDir, 'compose.yml'), uid, gid);
  plainScript = join(temp, 'deploy.sh');
  writeFileSync(
    plainScript,
    [
      '#!/bin/bash',
      '# A hand-written deploy: pull and up over one ssh, then a health loop from here.',
      'set -eu',
      `ssh ${sshArgs().join(' ')} 'cd ${plainDir} && docker compose -p ${plainApp} pull --quiet web && docker compose -p ${plainApp} up -d web'`,
      'echo up',
      'for i in $(seq 1 60); do',
      `  if curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:${plainPort}/health; then echo healthy; exit 0; fi`,
      '  sleep 0.5',
      'done',
      'echo "not healthy after 30 s" >&2',
      'exit 1',
      '',
    ].join('\n'),
  );

  // First deploys: each creates its containers; not part of the comparison.
  const firstBelay = await belay(good);
  const firstPlain = await plain();
  console.log(
    `first deploys (containers created): belay ${ms(firstBelay.ms)} (${sshText(firstBelay.ssh)}), ` +
      `script ${ms(firstPlain.ms)} (${sshText(firstPlain.ssh)})`,
  );
  for (const [port, app] of [
    [belayPort, belayApp],
    [plainPort, plainApp],
  ] as const) {
    const answer = await get(port, '/version');
    if (answer !== `200 good-${id}`) throw new Error(`${app} answers ${answer} after its first deploy`);
  }

  console.log(`\nunchanged redeploy, ${ROUNDS} rounds, order alternating`);
  const belayRuns: DeployRun[] = [];
  const plainRuns: DeployRun[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let b: DeployRun;
    let p: DeployRun;
    if (round % 2 === 0) {
      b = await belay(good);
      p = await plain();
    } else {
      p = await plain();
      b = await belay(good);
    }
    belayRuns.push(b);
    plainRuns.push(p);
    const replaced = (r: DeployRun) => (r.replaced ? ', container REPLACED' : '');
    console.log(
      `  round ${round + 1} (${round % 2 === 0 ? 'belay' : 'script'} first): belay ${ms(b.ms)} ` +
        `[${sshText(b.ssh)}${replaced(b)}]   script ${ms(p.ms)} [${sshText(p.ssh)}${replaced(p)}]   ` +
        `${(b.ms / p.ms).toFixed(2)}×`,
    );
  }
  const ratio = median(belayRuns.map((b, i) => b.ms / plainRuns[i]!.ms));
  console.log(
    `bash script: ssh compose pull + up -d, curl loop (baseline)  median ${ms(median(plainRuns.map((r) => r.ms)))}`,
  );
  console.log(
    `belay deploy (CLI bundle)                                    median ${ms(median(belayRuns.map((r) => r.ms)))}`,
  );
  console.log(`ratio (median of per-round ratios): ${ratio.toFixed(2)}×  (target ≤ 1.20)`);
  const perDeploy = (runs: readonly DeployRun[], key: keyof SshdCounts) => {
    const xs = [...new Set(runs.map((r) => r.ssh[key]))].sort((a, b) => a - b);
    return xs.join('/');
  };
  console.log(
    `SSH per deploy, counted in sshd's log (1 host): belay ${perDeploy(belayRuns, 'connections')} TCP connection(s), ` +
      `${perDeploy(belayRuns, 'logins')} login(s), ${perDeploy(belayRuns, 'commands')} commands ` +
      `(more with hooks, or when pruned releases leave images to remove), ` +
      `${perDeploy(belayRuns, 'sftp')} SFTP session(s)  (target 1 connection per host); ` +
      `script ${perDeploy(plainRuns, 'connections')} connection(s), ${perDeploy(plainRuns, 'commands')} command(s)`,
  );

  const cpu = (runs: readonly DeployRun[]) => {
    const xs = runs.map((r) => r.cpuMs).filter((x): x is number => x !== undefined);
    return xs.length === runs.length ? `${median(xs).toFixed(0)} ms` : '?';
  };
  console.log(
    `CPU time on this side per deploy (GNU time, user + system, median): belay ${cpu(belayRuns)} (node), ` +
      `script ${cpu(plainRuns)} (bash, ssh, curl); the server's share runs on the same 2 CPUs`,
  );

  // Where belay's time goes, from the arrival of its own lines.
  const phase = (runs: readonly DeployRun[], to: string, from?: string) => {
    const xs = runs.map((r) => {
      const end = r.phases[to];
      const start = from === undefined ? 0 : r.phases[from];
      return end === undefined || start === undefined ? undefined : end - start;
    });
    return xs.every((x) => x !== undefined) ? ms(median(xs as number[])) : '      ?  ';
  };
  console.log('\nwhere the time goes (medians over the rounds; phases marked by the arrival of each printed line)');
  const row = (name: string, value: string) => console.log(`  ${name.padEnd(94)}${value}`);
  row(
    'belay: start → "release … on" (node, connect, lock + release state + compose probe, write release)',
    phase(belayRuns, 'release'),
  );
  row(
    'belay: → "containers: all running" (up -d and the first container look, one command)',
    phase(belayRuns, 'containers', 'release'),
  );
  row('belay: → "✓ … healthy after 1 attempt(s)" (URL gate)', phase(belayRuns, 'url', 'containers'));
  row(
    'belay: → "deployed and healthy" (record, current, prune and unlock, one command)',
    phase(belayRuns, 'done', 'url'),
  );
  row('belay: → exit (close the connection, node exits)', phase(belayRuns, 'exit', 'done'));
  row('script: start → "up" (ssh connect, compose pull, up -d)', phase(plainRuns, 'up'));
  row('script: → "healthy" (curl)', phase(plainRuns, 'healthy', 'up'));
  row('script: → exit', phase(plainRuns, 'exit', 'healthy'));

  // The deploy action runs the same engine and writes the per-step timeline into its job summary.
  console.log(
    `\nbelay's own timeline (deploy action, same engine, job summary; medians of ${TIMELINE_RUNS} unchanged redeploys)`,
  );
  const steps = new Map<string, number[]>();
  const totals: number[] = [];
  for (let i = 0; i < TIMELINE_RUNS; i++) {
    const start = now();
    const r = await deployAction(good);
    totals.push(now() - start);
    if (r.code !== 0 || r.outputs.status !== 'deployed') {
      throw new Error(`deploy action failed:\n${r.all.slice(-3000)}`);
    }
    for (const [step, took] of timelineOf(r.summary)) steps.set(step, [...(steps.get(step) ?? []), took]);
  }
  let inTimeline = 0;
  for (const [step, xs] of steps) {
    inTimeline += median(xs);
    row(`  ${step}`, ms(median(xs)));
  }
  row(
    '  not in the timeline (node start, config, after the gate: finish and unlock, exit)',
    ms(median(totals) - inTimeline),
  );
  row('  whole action run', ms(median(totals)));

  // Each step on its own, over the same sshd: through belay's own SSH transport (one connection, as belay keeps
  // one), so each command pays what belay's commands pay: an exec channel, sshd's session and the login shell.
  console.log(
    "\nthe steps on their own (medians of 7, same sshd; server commands over belay's transport, one connection)",
  );
  const seven = async (what: string, work: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = now();
      await work();
      xs.push(now() - start);
    }
    row(`  ${what}`, ms(median(xs)));
    return median(xs);
  };
  const target = { user: host.user, host: host.sshHost, port: sshd().port };
  const connection: ConnectionOptions = {
    privateKey: readFileSync(keyFile, 'utf8'),
    knownHosts: readFileSync(knownHostsFile, 'utf8'),
    hostKeyPolicy: 'strict',
    connectTimeoutMs: 10_000,
    commandTimeoutMs: 60_000,
  };
  await seven('node starts the CLI bundle (belay --version)', async () =>
    must(await run(process.execPath, [cli, '--version']), 'belay --version'),
  );
  // The floor of any belay command over SSH: node, the command's chunks, config, a cold connect, two small commands.
  await seven('belay releases (node, config, SSH connect from a new process, 2 small commands)', async () =>
    must(
      await run(process.execPath, [cli, 'releases', '--app', belayApp, '--app-dir', belayDir, ...connectionFlags()]),
      'belay releases',
    ),
  );
  await seven('OpenSSH client: new connection + `true`', async () => must(await run('ssh', sshArgs('true')), 'ssh'));
  await seven("belay's transport: connect + authenticate, then close", async () =>
    (await SshTransport.connect(target, connection)).close(),
  );
  transport = await SshTransport.connect(target, connection);
  const open = transport;
  const remote = (what: string, text: string) => async () => {
    const r = await open.exec(cmd('sh', '-c', text));
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  await seven("one command that does nothing (`true`): the floor of each of belay's commands", remote('true', 'true'));
  const compose = (...args: string[]) =>
    `docker compose -p ${plainApp} --project-directory ${plainDir} -f ${plainDir}/compose.yml ${args.join(' ')}`;
  await seven('docker compose pull --quiet web (unchanged)', remote('pull', compose('pull', '--quiet', 'web')));
  await seven('docker compose up -d web (unchanged)', remote('up', compose('up', '-d', 'web')));
  const oneLook = await seven(
    'the same look in one command: docker inspect $(docker ps -aq --filter label=…)',
    remote(
      'docker ps + inspect',
      `docker inspect --type container $(docker ps -aq --filter label=com.docker.compose.project=${plainApp} ` +
        `--filter label=com.docker.compose.service=web) > /dev/null`,
    ),
  );
  await seven('curl the health URL (from here)', async () =>
    must(await run('curl', ['-fsS', '-o', '/dev/null', `http://127.0.0.1:${plainPort}/health`]), 'curl'),
  );
  await open.close();
  transport = undefined;
  const counts = belayRuns.map((r) => r.ssh.commands);
  const commands = median(counts);
  // What belay's commands are on an unchanged redeploy of digest-pinned images (src/deploy/run.ts): update this
  // when that changes.
  console.log(
    `  belay runs ${commands} commands per unchanged redeploy where the script runs 1 (and an SFTP session for ` +
      `the release's files): the lock with the release state and the Compose probe; up -d with the first ` +
      `container look (one docker ps + inspect: ${oneLook.toFixed(0)} ms); the record, current, prune and ` +
      `unlock. No compose pull: a digest names its content, and up -d fetches an image the server lacks.`,
  );

  // The rollback: a release whose /health never answers.
  console.log(
    `\nrollback: a release whose /health never answers (health-timeout 3s, interval 500ms), ${ROLLBACKS} time(s)`,
  );
  const windows: {
    toRolledBack: number;
    toServing?: number;
    toStart?: number;
    toContainers?: number;
  }[] = [];
  for (let i = 0; i < ROLLBACKS; i++) {
    let verdictAt: number | undefined;
    let servingAt: number | undefined;
    let polling = true;
    const start = now();
    // Watch the app from outside: when, after the verdict, does the previous release answer again?
    const poller = (async () => {
      while (polling) {
        if (
          verdictAt !== undefined &&
          servingAt === undefined &&
          (await get(belayPort, '/version')) === `200 good-${id}`
        ) {
          servingAt = now() - start;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const r = await run(process.execPath, [cli, 'deploy', ...deployFlags(bad, '3s')], {
      cwd: workspace,
      onLine: (line) => {
        if (verdictAt === undefined && /is not healthy on /.test(line.text)) verdictAt = line.t;
      },
    });
    polling = false;
    await poller;
    const verdict = firstAt(r.lines, /is not healthy on /);
    const rolledBack = firstAt(r.lines, /was rolled back: .* is serving again/);
    if (r.code !== 1 || verdict === undefined || rolledBack === undefined) {
      throw new Error(`the failed deploy did not roll back (exit ${r.code}):\n${r.output.slice(-3000)}`);
    }
    const answer = await get(belayPort, '/version');
    if (answer !== `200 good-${id}`) throw new Error(`after the rollback the app answers ${answer}`);
    const startBack = firstAt(r.lines, /rolling back to release/, verdict);
    const containersBack = firstAt(r.lines, /^containers: /, verdict);
    windows.push({
      toRolledBack: rolledBack - verdict,
      ...(servingAt !== undefined ? { toServing: servingAt - verdict } : {}),
      ...(startBack !== undefined ? { toStart: startBack - verdict } : {}),
      ...(containersBack !== undefined ? { toContainers: containersBack - verdict } : {}),
    });
    console.log(
      `  ${i + 1}: verdict at ${ms(verdict)} after start; "was rolled back" ${ms(rolledBack - verdict)} later; ` +
        `previous release answering here ${servingAt !== undefined ? ms(servingAt - verdict) : '       ?'} after the verdict`,
    );
  }
  const med = (xs: (number | undefined)[]) => {
    const known = xs.filter((x): x is number => x !== undefined);
    return known.length ? ms(median(known)) : '      ?  ';
  };
  row(
    'failed health verdict → "was rolled back: … is serving again" (median)',
    med(windows.map((w) => w.toRolledBack)),
  );
  row(
    '  verdict → "rolling back to release" (failing containers\' logs and state, record marked failed)',
    med(windows.map((w) => w.toStart)),
  );
  row(
    '  → "containers: all running" (up -d of the previous release with its first look, container gate; a pull only when its images are gone)',
    med(
      windows.map((w) =>
        w.toContainers !== undefined && w.toStart !== undefined ? w.toContainers - w.toStart : undefined,
      ),
    ),
  );
  row(
    '  → "was rolled back" (URL gate, move current, update the record)',
    med(windows.map((w) => (w.toContainers !== undefined ? w.toRolledBack - w.toContainers : undefined))),
  );
  row(
    'failed health verdict → previous release answering on its port, seen from here (median)',
    med(windows.map((w) => w.toServing)),
  );
  const failedRun = await deployAction(bad, '3s');
  if (failedRun.outputs.status !== 'rolled-back') {
    throw new Error(`the failed deploy action did not roll back:\n${failedRun.all.slice(-3000)}`);
  }
  console.log("  the same failed deploy through the deploy action, its job summary's timeline:");
  for (const [step, took] of timelineOf(failedRun.summary)) row(`    ${step}`, ms(took));
} catch (err) {
  failed = true;
  console.error(err instanceof Error ? err.message : err);
} finally {
  for (const project of [belayApp, plainApp]) {
    spawnSync('docker', ['compose', '-p', project, 'down', '--timeout', '1'], { stdio: 'ignore' });
  }
  const tags = [good?.tag, bad?.tag].filter((x): x is string => x !== undefined);
  if (tags.length) spawnSync('docker', ['image', 'rm', '--force', ...tags], { stdio: 'ignore' });
  await transport?.close().catch(() => undefined);
  await extraSshd?.stop();
  rmSync(temp, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
