/**
 * migrate with the database inside compose (db-service) or a plain container (db-container): belay finds the
 * running container on the server over SSH and forwards to its own address on its compose network, which nothing
 * outside the server reaches. Real dockerd, real compose, a real PostgreSQL in the container.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresImage, startComposePostgres, type ComposePostgres } from '../harness/pg-image.js';
import { runAction } from '../harness/runner.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const id = randomBytes(4).toString('hex');
const projects = [`belay-shop-${id}`, `belay-blog-${id}`];
const password = `pw "${id}" $HOME;x`;
const workspace = mkdtempSync(join(tmpdir(), 'belay-migrate-container-'));

let stacks: ComposePostgres[] = [];

beforeAll(async () => {
  stacks = await Promise.all(
    projects.map((project) => startComposePostgres({ project, user: 'shop', password, database: 'shop' })),
  );
  mkdirSync(join(workspace, 'db'));
  writeFileSync(join(workspace, 'db', '0001_items.sql'), 'CREATE TABLE items (id int primary key);\n');
}, 120_000);

afterAll(() => {
  for (const stack of stacks) stack.down();
  rmSync(workspace, { recursive: true, force: true });
});

const ssh = {
  host: `${host.user}@${host.sshHost}:${host.sshPort}`,
  'ssh-key': readFileSync(host.keys.ed25519, 'utf8'),
  'known-hosts': readFileSync(host.knownHosts, 'utf8'),
  dir: 'db',
  database: 'shop',
  'db-user': 'shop',
  'db-password': password,
};

async function tablesIn(project: string): Promise<string[]> {
  const client = await stacks[projects.indexOf(project)]!.connect();
  try {
    const { rows } = await client.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    return rows.map((r) => r.t);
  } finally {
    await client.end();
  }
}

const addressOf = (project: string) => stacks[projects.indexOf(project)]!.address();

describe('migrate into a database container on the server', () => {
  it('db-service with app: finds the compose service of that project and migrates it, not the other one', async () => {
    const r = await runAction('migrate', { ...ssh, 'db-service': 'db', app: projects[0]! }, { cwd: workspace });
    expect(r.stdout).not.toContain('::error');
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'applied', applied: '["0001_items.sql"]' });
    expect(r.stdout).toContain(`at ${addressOf(projects[0]!)}:5432 (container ${projects[0]}-db-1)`);
    expect(await tablesIn(projects[0]!)).toEqual(['items']);
    expect(await tablesIn(projects[1]!)).toEqual([]);
    const shown = r.all.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(shown.join('\n')).not.toContain(password);
  });

  it('db-service without app, when two projects run that service: refuses and names both projects', async () => {
    const r = await runAction('migrate', { ...ssh, 'db-service': 'db' }, { cwd: workspace });
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('Invalid input "db-service": service "db" runs in several compose projects');
    for (const project of projects) expect(errors[0]).toContain(project);
    expect(errors[0]).toContain('Set app to the compose project to use.');
  });

  it('an unknown service is one line that lists the services that do run', async () => {
    const r = await runAction('migrate', { ...ssh, 'db-service': 'postgres', app: projects[1]! }, { cwd: workspace });
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([
      expect.stringContaining(`no running container of service "postgres" of compose project ${projects[1]}`),
    ]);
    expect(errors[0]).toContain(`${projects[1]}/db`);
  });

  it('db-container by name reaches the same way', async () => {
    const r = await runAction('migrate', { ...ssh, 'db-container': `${projects[1]}-db-1` }, { cwd: workspace });
    expect(r.stdout).not.toContain('::error');
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'applied', applied: '["0001_items.sql"]' });
    expect(await tablesIn(projects[1]!)).toEqual(['items']);

    const gone = await runAction('migrate', { ...ssh, 'db-container': 'no-such-db' }, { cwd: workspace });
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain('::error::Invalid input "db-container": no container "no-such-db" on');
  });

  it('a container that only has the name compose would give the service is not taken for it', async () => {
    // `<project>-db-1`, started by hand (no compose labels): looked up by name first, then refused for its labels.
    const project = `belay-lookalike-${id}`;
    execFileSync(
      'docker',
      ['run', '-d', '--name', `${project}-db-1`, '-e', `POSTGRES_PASSWORD=${password}`, postgresImage()],
      {
        stdio: 'ignore',
      },
    );
    try {
      const r = await runAction('migrate', { ...ssh, 'db-service': 'db', app: project }, { cwd: workspace });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`no running container of service "db" of compose project ${project}`);
    } finally {
      execFileSync('docker', ['rm', '-f', `${project}-db-1`], { stdio: 'ignore' });
    }
  });

  it('a stopped container is refused before anything runs', async () => {
    stacks[1]!.compose('stop', '--timeout', '1', 'db');
    const r = await runAction('migrate', { ...ssh, 'db-service': 'db', app: projects[1]! }, { cwd: workspace });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`no running container of service "db" of compose project ${projects[1]}`);
  });
});
