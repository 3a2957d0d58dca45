/**
 * The release pipeline in one step, end to end on the test host: build-image (real dockerd and registry) → backup
 * (pg_dump in a real PostgreSQL container of the app's compose project) → migrate → deploy with the health gate.
 * A failure at each stage leaves the server as it was (backup, migration verification) or rolled back (health).
 * Then the root action with a belay.yml: environment selection, inputs overriding the file, and production's
 * require-confirmation.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startComposePostgres, type ComposePostgres } from '../harness/pg-image.js';
import { runAction } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const id = randomBytes(3).toString('hex');
const app = `belay-release-${id}`;
const password = `pw '${id}' $(id)`;
const port = 20000 + Math.floor(Math.random() * 20000);
const registry = host.registry.replace(/^https?:\/\//, '');
const image = `${registry}/belay-test/release-${id}`;
const root = mkdtempSync(join(tmpdir(), 'belay-release-'));
const appDir = join(root, 'app');
const backupDir = join(root, 'backups');
const workspace = join(root, 'repo');
const sha = randomBytes(20).toString('hex');
const uid = Number(execFileSync('id', ['-u', host.user], { encoding: 'utf8' }));
const gid = Number(execFileSync('id', ['-g', host.user], { encoding: 'utf8' }));
let db: ComposePostgres;
/** The healthy image the first release built, by digest. */
let okRef = '';

const errorsOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::error'));
const shown = (all: string) =>
  all
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
const current = () => JSON.parse(readFileSync(join(appDir, '.belay', 'current', 'release.json'), 'utf8'));
const get = async (path: string) => {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    return `${r.status} ${(await r.text()).trim()}`;
  } catch {
    return 'down';
  }
};

/** A web app context FROM scratch: busybox httpd serving /version, and /health when healthy. */
function webContext(name: string, version: string, healthy: boolean) {
  const dir = join(workspace, name);
  mkdirSync(join(dir, 'www'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'busybox'));
  writeFileSync(join(dir, 'www', 'version'), `${version}\n`);
  if (healthy) writeFileSync(join(dir, 'www', 'health'), 'ok\n');
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY www /www',
      'ENTRYPOINT ["/bin/busybox", "sh", "-c", "exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www"]',
    ].join('\n') + '\n',
  );
}

async function tables(): Promise<string[]> {
  const client = await db.connect();
  try {
    const { rows } = await client.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    return rows.map((r) => r.t);
  } finally {
    await client.end();
  }
}

const connection = {
  host: `${host.user}@${host.sshHost}:${host.sshPort}`,
  'ssh-key': readFileSync(host.keys.ed25519, 'utf8'),
  'known-hosts': readFileSync(host.knownHosts, 'utf8'),
};

const release = (over: Record<string, string> = {}) => ({
  ...connection,
  app,
  'app-dir': appDir,
  image,
  context: 'web-ok',
  tags: 'ok',
  network: 'host',
  'build-service': 'web',
  'db-service': 'db',
  database: 'shop',
  'db-user': 'shop',
  'db-password': password,
  'backup-dir': backupDir,
  dir: 'db',
  'compose-file': 'deploy/compose.yml',
  env: `PORT=${port}`,
  'health-url': `http://127.0.0.1:${port}/health`,
  'health-via-ssh': 'true',
  'health-timeout': '6s',
  'health-interval': '500ms',
  ...over,
});
const env = { GITHUB_SHA: sha };

beforeAll(async () => {
  db = await startComposePostgres({ project: app, user: 'shop', password, database: 'shop' });
  for (const d of [join(workspace, 'db'), join(workspace, 'deploy'), appDir, backupDir])
    mkdirSync(d, { recursive: true });
  for (const d of [root, appDir, backupDir]) chownSync(d, uid, gid);
  webContext('web-ok', `ok-${id}`, true);
  webContext('web-bad', `bad-${id}`, false);
  writeFileSync(join(workspace, 'db', '0001_items.sql'), 'CREATE TABLE items (id int PRIMARY KEY);\n');
  writeFileSync(
    join(workspace, 'deploy', 'compose.yml'),
    ['services:', '  web:', '    image: placeholder', '    network_mode: host', '    init: true', ''].join('\n'),
  );
}, 180_000);

afterAll(() => {
  try {
    execFileSync('docker', ['compose', '-p', app, 'rm', '-sf', 'web'], { stdio: 'ignore', cwd: appDir });
  } catch {
    // nothing running
  }
  db?.down();
  rmSync(root, { recursive: true, force: true });
});

describe('release: build → backup → migrate → deploy in one step', () => {
  let first: Record<string, string>;

  it('ships v1: the built digest deployed, the pre-deploy backup and the applied migration in its record', async () => {
    const r = await runAction('release', release(), { cwd: workspace, env });
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    first = r.outputs;
    okRef = r.outputs.ref!;
    expect(r.outputs).toMatchObject({ stage: 'done', status: 'deployed', applied: '["0001_items.sql"]' });
    expect(r.outputs.ref).toMatch(new RegExp(`^${image}@sha256:[0-9a-f]{64}$`));
    // The stages ran in order, each in its own group.
    const groups = r.stdout.split('\n').filter((l) => l.startsWith('::group::belay release:'));
    expect(groups).toEqual(['build', 'backup', 'migrate', 'deploy'].map((s) => `::group::belay release: ${s}`));
    const record = current();
    expect(record).toMatchObject({
      id: r.outputs['release-id'],
      outcome: 'deployed',
      images: { web: r.outputs.ref },
      backupId: r.outputs['backup-id'],
      migrations: ['0001_items.sql'],
    });
    const manifest = JSON.parse(readFileSync(join(backupDir, app, `${r.outputs['backup-id']}.json`), 'utf8'));
    expect(manifest.label).toBe(`pre-deploy-${sha.slice(0, 7)}`);
    expect(await tables()).toEqual(['items']);
    expect(await get('/version')).toBe(`200 ok-${id}`);
    expect(r.summary).toContain(`belay release ${app}: deployed`);
    expect(shown(r.all)).not.toContain(password);
  });

  it('a failed backup stops everything before the server changes: no migration, no deploy', async () => {
    writeFileSync(join(workspace, 'db', '0002_more.sql'), 'CREATE TABLE more (id int);\n');
    const backupsBefore = readdirSync(join(backupDir, app)).sort();
    const r = await runAction('release', release({ database: 'no_such_db' }), { cwd: workspace, env });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ stage: 'backup', status: 'failed' });
    expect(r.stdout).not.toContain('::group::belay release: migrate');
    expect(current().id).toBe(first['release-id']);
    expect(await tables()).toEqual(['items']);
    expect(readdirSync(join(backupDir, app)).sort()).toEqual(backupsBefore);
  });

  it('an edited migration stops the release at migrate: nothing applied, nothing deployed', async () => {
    const original = readFileSync(join(workspace, 'db', '0001_items.sql'), 'utf8');
    writeFileSync(join(workspace, 'db', '0001_items.sql'), 'CREATE TABLE items (id bigint PRIMARY KEY);\n');
    try {
      const r = await runAction('release', release(), { cwd: workspace, env });
      expect(r.code).toBe(1);
      expect(r.outputs).toMatchObject({ stage: 'migrate', status: 'failed' });
      expect(errorsOf(r.stdout).join('\n')).toContain('0001_items.sql');
      expect(r.stdout).not.toContain('::group::belay release: deploy');
      expect(current().id).toBe(first['release-id']);
      expect(await tables()).toEqual(['items']);
      expect(await get('/version')).toBe(`200 ok-${id}`);
    } finally {
      writeFileSync(join(workspace, 'db', '0001_items.sql'), original);
    }
  });

  it('a new image whose health never passes is rolled back by the deploy stage', async () => {
    const r = await runAction('release', release({ context: 'web-bad', tags: 'bad' }), { cwd: workspace, env });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ stage: 'deploy', status: 'rolled-back' });
    expect(r.outputs['previous-release-id']).toBe(first['release-id']);
    expect(current().id).toBe(first['release-id']);
    expect(await get('/version')).toBe(`200 ok-${id}`);
    // The migration ran before the deploy (restore-backup-on-rollback is off by default), recorded in the failed release.
    expect(await tables()).toEqual(['items', 'more']);
    const failed = JSON.parse(
      readFileSync(join(appDir, '.belay', 'releases', r.outputs['release-id']!, 'release.json'), 'utf8'),
    );
    expect(failed).toMatchObject({ outcome: 'rolled-back', migrations: ['0002_more.sql'] });
  });
});

describe('restore-backup-on-rollback', () => {
  it('a rolled-back release that applied migrations gets its pre-deploy backup back before the previous release', async () => {
    const client = await db.connect();
    await client.query('INSERT INTO items VALUES (1), (2)');
    await client.end();
    writeFileSync(join(workspace, 'db', '0003_extra.sql'), 'CREATE TABLE extra (id int);\n');
    const r = await runAction(
      'release',
      release({ context: 'web-bad', tags: 'bad', 'restore-backup-on-rollback': 'true' }),
      { cwd: workspace, env },
    );
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ stage: 'deploy', status: 'rolled-back', applied: '["0003_extra.sql"]' });
    expect(r.stdout).toContain(`restoring the pre-deploy backup ${r.outputs['backup-id']}`);
    // The schema and rows as the backup had them: 0003's table gone, the two rows there.
    expect(await tables()).toEqual(['items', 'more']);
    const after = await db.connect();
    try {
      expect((await after.query('SELECT count(*)::int AS n FROM items')).rows[0].n).toBe(2);
      const kept = await after.query("SELECT datname FROM pg_database WHERE datname LIKE 'shop_before_restore_%'");
      expect(kept.rows).toHaveLength(1);
    } finally {
      await after.end();
    }
    expect(await get('/version')).toBe(`200 ok-${id}`);
    expect(shown(r.all)).not.toContain(password);
  });
});

describe('the root action with belay.yml', () => {
  const belayYml = (badRef: string) =>
    [
      `app: ${app}`,
      `app-dir: ${appDir}`,
      'compose-file: deploy/compose.yml',
      'health-via-ssh: true',
      'health-timeout: 6s',
      'health-interval: 500ms',
      'environments:',
      '  staging:',
      `    images: web=${badRef}`,
      '  production:',
      '    require-confirmation: true',
      '',
    ].join('\n');
  const deployOnly = () => ({
    ...connection,
    command: 'release',
    stages: 'deploy',
    env: `PORT=${port}`,
    'health-url': `http://127.0.0.1:${port}/health`,
  });

  beforeAll(() => {
    // The staging section names the broken image; an input must win over it.
    const bad = execFileSync('docker', ['inspect', '--format', '{{index .RepoDigests 0}}', `${image}:bad`], {
      encoding: 'utf8',
    }).trim();
    writeFileSync(join(workspace, 'belay.yml'), belayYml(bad));
  });

  it('production without confirmation is refused in one line, before anything connects', async () => {
    const before = current().id;
    const r = await runAction(
      'belay',
      { ...deployOnly(), environment: 'production', images: `web=${okRef}` },
      { cwd: workspace },
    );
    expect(r.code).toBe(1);
    expect(errorsOf(r.stdout)).toEqual([
      expect.stringContaining(
        'Invalid input "confirm": the production environment asks for confirmation and none was given',
      ),
    ]);
    expect(r.stdout).not.toContain('::group::');
    const wrong = await runAction(
      'belay',
      { ...deployOnly(), environment: 'production', confirm: 'staging', images: `web=${okRef}` },
      { cwd: workspace },
    );
    expect(errorsOf(wrong.stdout)).toEqual([expect.stringContaining('"staging" is not its name')]);
    expect(current().id).toBe(before);
  });

  it('production with confirm typed as its name goes ahead', async () => {
    const r = await runAction(
      'belay',
      { ...deployOnly(), environment: 'production', confirm: 'production', images: `web=${okRef}` },
      { cwd: workspace },
    );
    expect(errorsOf(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ stage: 'done', status: 'deployed' });
    expect(current().id).toBe(r.outputs['release-id']);
  });

  it("staging: the file's settings are used, and an input overrides the file's value", async () => {
    // From the file alone, staging deploys the broken image and is rolled back…
    const fromFile = await runAction('belay', { ...deployOnly(), environment: 'staging' }, { cwd: workspace });
    expect(fromFile.outputs).toMatchObject({ stage: 'deploy', status: 'rolled-back' });
    // …while images given as an input win over the file.
    const overridden = await runAction(
      'belay',
      { ...deployOnly(), environment: 'staging', images: `web=${okRef}` },
      { cwd: workspace },
    );
    expect(errorsOf(overridden.stdout)).toEqual([]);
    expect(overridden.outputs).toMatchObject({ stage: 'done', status: 'deployed' });
    expect(current().images.web).toBe(okRef);
  });
});
