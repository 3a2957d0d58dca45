/**
 * `npm run demo`: belay's main job, end to end, with the real CLI (`node dist/cli/index.js …`) against the local
 * test host (scripts/test-host: sshd on 127.0.0.1:2222 as user deploy, dockerd, a registry on 127.0.0.1:5000).
 *
 * The demo shop (demo/: a web app, its PostgreSQL in the same compose file, a drizzle migrations folder, belay.yml):
 *   1. before belay: the shop's database runs on the server with its customers (a hand-written `compose up`);
 *   2. belay build v1 → pushed, referenced by digest;
 *   3. belay backup → a pre-deploy backup, verified by restoring it;
 *   4. belay migrate → the two migrations applied, their checksums recorded;
 *   5. belay deploy v1 with the backup id and the migrations recorded, health gate through SSH → healthy;
 *   6. belay build v2, whose /health is broken; 7. belay deploy v2 → not healthy → back on v1 by itself;
 *   8. belay releases and belay backup list.
 * Exits non-zero when a step that should work fails, or when v2's deploy does not fail as it should. What it made on
 * the server (compose project and volume, app and backup folders) and here (temp folder, images) goes away at the
 * end, on failure and on Ctrl-C too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const APP = 'belay-demo';
/** As in demo/compose.yml and demo/belay.yml; tests pick ports from 20000 up. */
const PORT = 18080;
/** On the server, under the deploy user's home: belay's defaults for this app (app-dir, backup-dir/<app>). */
const APP_DIR = `belay/${APP}`;
const BACKUP_DIR = `belay/backups/${APP}`;
const STEPS = 8;
const started = Date.now();

/** A step that should have worked did not: its message is the demo's last line. */
class DemoFailure extends Error {}

// ── output ──────────────────────────────────────────────────────────────────────────────────────────────────────
const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
let stepNo = 0;

function step(title: string, proves: string): void {
  stepNo++;
  console.log(`\n${bold(`▶ ${stepNo}/${STEPS}  ${title}`)}`);
  console.log(dim(`  ${proves}`));
}
const note = (line: string) => console.log(`  → ${line}`);

/** A child's output, each line indented under its step; `skip` leaves lines out (said once, where it starts). */
function indent(stream: NodeJS.ReadableStream, skip?: { line: RegExp; say: string }): Promise<void> {
  let rest = '';
  let said = false;
  const write = (line: string) => {
    if (skip?.line.test(line)) {
      if (!said) process.stdout.write(`  │ ${dim(skip.say)}\n`);
      said = true;
      return;
    }
    process.stdout.write(`  │ ${line}\n`);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    lines.forEach(write);
  });
  return new Promise((done) =>
    stream.on('end', () => {
      if (rest) write(rest);
      done();
    }),
  );
}

const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

// ── the test host, the server and the workspace ──────────────────────────────────────────────────────────────────
function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, ...(input === undefined ? {} : { input }) });
  if (r.status !== 0) {
    throw new DemoFailure(`${cmd} ${args.at(-1)} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

console.log(bold('belay demo: build, back up, migrate, deploy, health gate, automatic rollback'));
console.log(
  dim('The local test host first: sshd 127.0.0.1:2222 (user deploy), dockerd, a registry on 127.0.0.1:5000.'),
);
if (spawnSync('bash', ['scripts/test-host', 'up'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) {
  console.error('✗ the test host did not come up (see above)');
  process.exit(1);
}
if (!existsSync(join(ROOT, 'dist/cli/index.js'))) {
  console.log(dim('dist/cli is missing: bundling it (npm run bundle)'));
  run('npm', ['run', '--silent', 'bundle']);
}
// The test harness knows the host (env.json, written by `up`) and builds the PostgreSQL image.
const { testHost } = await import('../test/harness/test-host.js');
const { postgresImage } = await import('../test/harness/pg-image.js');
const host = testHost();

const work = mkdtempSync(join(tmpdir(), 'belay-demo-'));
const shop = join(work, 'shop');
const dbPassword = `demo-${randomBytes(9).toString('base64url')}`;
const image = `${host.registry.replace(/^https?:\/\//, '')}/${APP}/web`;
const builtRefs: string[] = [];

/** A shell script on the server, as the deploy user, over the test host's sshd (its host key pinned). */
function onServer(script: string, input?: string): string {
  const ssh = ['-q', '-i', host.keys.ed25519, '-p', String(host.sshPort), '-o', 'BatchMode=yes'];
  ssh.push('-o', `UserKnownHostsFile=${host.knownHosts}`, '-o', 'StrictHostKeyChecking=yes');
  return run('ssh', [...ssh, `${host.user}@${host.sshHost}`, script], input);
}

/** The compose project and its volume, the folders belay wrote (app-dir, backups), the images: this app's only. */
function cleanServer(): void {
  try {
    onServer(
      `(cd ${APP_DIR} 2>/dev/null; docker compose -p ${APP} down -v --timeout 1) >/dev/null 2>&1; ` +
        `docker volume rm ${APP}_dbdata >/dev/null 2>&1; ` +
        `rm -rf ${APP_DIR} ${BACKUP_DIR} && { rmdir belay/backups belay 2>/dev/null; true; }`,
    );
  } catch (err) {
    console.error(`warning: cleaning up the server failed: ${(err as Error).message}`);
  }
  for (const ref of [...builtRefs, `${image}:1.0.0`, `${image}:2.0.0`, `${APP}/postgres`]) {
    spawnSync('docker', ['image', 'rm', ref], { stdio: 'ignore' });
  }
}

let cleaned = false;
function cleanUp(): void {
  if (cleaned) return;
  cleaned = true;
  cleanServer();
  rmSync(work, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\n✗ interrupted (${signal}) at step ${stepNo}: cleaning up`);
    cleanUp();
    process.exit(130);
  });
}

/** The shop's source at a version: demo/ as it is, plus the busybox binary its image is made of. */
function checkout(version: string): void {
  rmSync(shop, { recursive: true, force: true });
  cpSync(join(ROOT, 'demo'), shop, { recursive: true });
  cpSync('/bin/busybox', join(shop, 'web', 'busybox'));
  note(`the shop's source at ${version}, in ${shop}`);
}

// ── the CLI, as a user types it ──────────────────────────────────────────────────────────────────────────────────
const cliEnv: NodeJS.ProcessEnv = {
  ...process.env,
  // Secrets and this machine's paths come from variables, as from a workflow's secrets; the rest is in belay.yml.
  BELAY_SSH_KEY_FILE: host.keys.ed25519,
  BELAY_KNOWN_HOSTS_FILE: host.knownHosts,
  BELAY_DB_PASSWORD: dbPassword,
};
// Not a GitHub job, even when the demo runs inside one.
for (const name of Object.keys(cliEnv)) if (name.startsWith('GITHUB_') || name === 'CI') delete cliEnv[name];

/** BuildKit's step-by-step progress (`#5 [2/2] COPY www /www`): the build's own lines say what matters. */
const BUILDKIT = { line: /^(#\d+ .*|\s*)$/, say: "(BuildKit's step-by-step progress left out)" };

/**
 * `belay <args>` in the shop's folder, its log indented on screen; with --json its outputs come from stdout.
 * `shown` maps an argument (a secret) to what is printed instead.
 */
async function belay(
  args: string[],
  options: { shown?: Record<string, string>; skip?: typeof BUILDKIT } = {},
): Promise<{ code: number; outputs: Record<string, string> }> {
  console.log(commandLine(args, options.shown ?? {}));
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli/index.js'), ...args], {
    cwd: shop,
    env: cliEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const json = args.includes('--json');
  if (json) child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const streams = [indent(child.stderr, options.skip), ...(json ? [] : [indent(child.stdout, options.skip)])];
  const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? 1)));
  await Promise.all(streams);
  console.log(dim(`  (exit status ${code})`));
  const last = stdout.trim().split('\n').pop();
  return { code, outputs: last ? (JSON.parse(last) as Record<string, string>) : {} };
}

/** `  $ belay …`, secrets as a user would type them, continued on the next line before a flag when long. */
function commandLine(args: string[], shown: Record<string, string>): string {
  const words = args.map((a) => shown[a] ?? shellWord(a));
  const lines = ['  $ belay'];
  words.forEach((word, i) => {
    const pair = word.length + (words[i + 1]?.length ?? 0);
    if (word.startsWith('--') && i > 1 && lines.at(-1)!.length + pair > 116) lines.push('     ');
    lines[lines.length - 1] += ` ${word}`;
  });
  return lines.join(' \\\n');
}

async function mustWork(args: string[], options: Parameters<typeof belay>[1] = {}): Promise<Record<string, string>> {
  const r = await belay(args, options);
  if (r.code !== 0) throw new DemoFailure(`belay ${args[0]} failed (exit status ${r.code}); it should have worked`);
  return r.outputs;
}

/** What the app answers: curl on the server, over SSH (the app listens on the server's 127.0.0.1 only). */
let fetcher: string | undefined;
function curlVersion(): string {
  const url = `http://127.0.0.1:${PORT}/version`;
  // A minimal Debian has no curl; busybox (which the test host installs) has wget (whose -T crashes in bookworm).
  fetcher ??= onServer('command -v curl >/dev/null && echo curl -s || echo busybox wget -q -O -').trim();
  console.log(`  $ ssh deploy@server ${fetcher} ${url}`);
  const answer = onServer(`timeout 5 ${fetcher} ${url} || echo '(no answer)'`).trim();
  console.log(`  │ ${answer}`);
  return answer;
}

// ── the story ────────────────────────────────────────────────────────────────────────────────────────────────────
async function demo(): Promise<{ v1: string; v2: string; backupId: string; applied: string }> {
  cleanServer(); // whatever an earlier run left, if it was killed before it could clean up

  step(
    'Before belay: the shop as it runs today',
    `Its PostgreSQL runs in compose project ${APP} on the server, with 3 customers (a hand-written \`compose up\`).`,
  );
  run('docker', ['tag', postgresImage(), `${APP}/postgres`]);
  checkout('v1.0.0');
  onServer(`mkdir -p ${APP_DIR} && cat > ${APP_DIR}/compose.yml`, readFileSync(join(shop, 'compose.yml'), 'utf8'));
  onServer(`umask 077 && cat > ${APP_DIR}/.env`, `DB_PASSWORD=${dbPassword}\n`);
  console.log(`  $ ssh deploy@server 'cd ${APP_DIR} && docker compose -p ${APP} up -d --wait db'`);
  onServer(`cd ${APP_DIR} && docker compose -p ${APP} up -d --wait --quiet-pull db 2>&1`);
  onServer(
    `cd ${APP_DIR} && docker compose -p ${APP} exec -T db psql -q -v ON_ERROR_STOP=1 -U shop -d shop`,
    `CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
     INSERT INTO customers (name) VALUES ('Ada'), ('Grace'), ('Linus');`,
  );
  note('db is up and healthy, with a table customers of 3 rows');

  step(
    'belay build: the v1 image, pushed, referenced by digest',
    'The deploy will run exactly these bytes (web=…@sha256:…), not a tag that can move.',
  );
  const build = ['build', '--image', image, '--context', 'web'];
  const v1 = await mustWork([...build, '--tags', '1.0.0', '--build-args', 'VERSION=1.0.0', '--json'], {
    skip: BUILDKIT,
  });
  builtRefs.push(v1.ref!);
  note(`ref: ${v1.ref}`);

  step(
    'belay backup: a pre-deploy backup, verified before it counts',
    'pg_dump inside the db container; then restored into a scratch database whose tables and row counts must match.',
  );
  const backup = await mustWork(['backup', '--label', 'pre-deploy-1.0.0', '--verify', 'restore', '--json']);
  const backupId = backup['backup-id']!;
  note(`backup-id: ${backupId} (${backup.size} bytes, sha256 ${backup.sha256?.slice(0, 16)}…)`);

  step(
    'belay migrate: the two drizzle migrations, checksums verified and recorded',
    'Under an advisory lock, one transaction each; an applied migration edited later is refused, not re-run.',
  );
  const applied = (await mustWork(['migrate', '--dir', 'migrations', '--json'])).applied!;
  note(`applied: ${applied}`);

  step(
    'belay deploy v1: a release record, compose up, the health gate through SSH',
    "The record keeps the image digest, the backup id and the migrations; the gate asks /health on the server's 127.0.0.1.",
  );
  const env = `DB_PASSWORD=${dbPassword}`;
  const shown = { [env]: '"DB_PASSWORD=$DB_PASSWORD"' };
  const deploy1 = await mustWork(
    ['deploy', '--images', `web=${v1.ref}`, '--env', env, '--backup-id', backupId, '--migrations', applied, '--json'],
    { shown },
  );
  if (deploy1.status !== 'deployed') throw new DemoFailure(`deploy v1 ended ${deploy1.status}, not deployed`);
  const release1 = deploy1['release-id']!;
  note(`status ${deploy1.status}, release ${release1}; its record on the server:`);
  console.log(`  $ ssh deploy@server cat ${APP_DIR}/.belay/releases/${release1}/release.json`);
  const record = JSON.parse(onServer(`cat ${APP_DIR}/.belay/releases/${release1}/release.json`)) as {
    [k: string]: unknown;
  };
  for (const key of ['outcome', 'images', 'backupId', 'migrations', 'composeHash', 'envHash']) {
    console.log(`  │ ${key}: ${JSON.stringify(record[key])}`);
  }
  if (record.backupId !== backupId || JSON.stringify(record.migrations) !== applied) {
    throw new DemoFailure('the release record does not hold the backup id and the applied migrations');
  }
  if (curlVersion() !== '1.0.0') throw new DemoFailure('v1 is not what answers /version');

  step(
    'belay build: v2, with a bug: its /health answers 404',
    'Built and pushed like v1; nothing in the image says it is broken. Only the health gate can tell.',
  );
  checkout('v2.0.0, whose commit renamed www/health to www/healthz');
  cpSync(join(shop, 'web/www/health'), join(shop, 'web/www/healthz'));
  rmSync(join(shop, 'web/www/health'));
  const v2 = await mustWork([...build, '--tags', '2.0.0', '--build-args', 'VERSION=2.0.0', '--json'], {
    skip: BUILDKIT,
  });
  builtRefs.push(v2.ref!);
  note(`ref: ${v2.ref}`);

  step(
    'belay deploy v2: the gate fails, belay rolls back to v1 by itself',
    "v2's own log on screen, v1's release back up through the same gate, and a non-zero exit: the job is red.",
  );
  const deploy2 = await belay(['deploy', '--images', `web=${v2.ref}`, '--env', env, '--json'], { shown });
  if (deploy2.code === 0) throw new DemoFailure('deploy v2 succeeded, but its health gate should have failed');
  if (deploy2.outputs.status !== 'rolled-back') {
    throw new DemoFailure(`deploy v2 ended ${deploy2.outputs.status ?? 'without a status'}, not rolled-back`);
  }
  note(`exit status ${deploy2.code}, as expected: status ${deploy2.outputs.status}`);
  if (curlVersion() !== '1.0.0') throw new DemoFailure('v1 is not serving again after the rollback');

  step(
    'belay releases, belay backup list: the history, as the server keeps it',
    'Every deploy is a record on the server (rollback and audit read them); every backup has a manifest.',
  );
  await mustWork(['releases']);
  await mustWork(['backup', 'list']);
  return { v1: v1.ref!, v2: v2.ref!, backupId, applied };
}

let code = 0;
try {
  const done = await demo();
  console.log(`\n${bold(`✓ demo done in ${Math.round((Date.now() - started) / 1000)} s`)}`);
  console.log(`  v1  ${done.v1}`);
  console.log(`      built, backed up first (${done.backupId}), migrated (${done.applied}), deployed, healthy`);
  console.log(`  v2  ${done.v2}`);
  console.log('      not healthy: rolled back by belay, v1 serving again, and the deploy exited non-zero');
} catch (err) {
  code = 1;
  const message = err instanceof DemoFailure ? err.message : ((err as Error).stack ?? String(err));
  console.error(`\n✗ demo failed at step ${stepNo}/${STEPS}: ${message}`);
} finally {
  cleanUp();
  console.log(dim(`  cleaned up: compose project ${APP} and its volume, ~deploy/${APP_DIR}, ~deploy/${BACKUP_DIR}`));
}
process.exit(code);
