/**
 * Every action through its bundle, run the way the GitHub runner runs it (test/harness/runner.ts), against real
 * HTTP servers and the real sshd / PostgreSQL of the test host. Nothing here is mocked.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, startApp, unhealthyFor, type TestApp } from '../harness/http-app.js';
import { runAction, runCli } from '../harness/runner.js';
import { startSshd } from '../harness/sshd.js';
import { testHost } from '../harness/test-host.js';

const host = testHost();
const sshKey = readFileSync(host.keys.ed25519, 'utf8');
const knownHosts = readFileSync(host.knownHosts, 'utf8');
const connection = {
  host: `${host.user}@${host.sshHost}:${host.sshPort}`,
  'ssh-key': sshKey,
  'known-hosts': knownHosts,
};
const pgPassword = readFileSync(host.pg.passwordFile, 'utf8').trim();
const databaseUrl = `postgres://${host.pg.user}:${pgPassword}@${host.pg.host}:${host.pg.port}/${host.pg.database}`;

let app: TestApp;
beforeAll(async () => {
  app = await startApp({
    routes: { '/warming': unhealthyFor(2), '/down': { status: 503, body: 'database is starting' } },
  });
});
afterAll(() => app.close());

describe('health-check action (dist/health-check)', () => {
  it('is healthy at once and sets its outputs and summary', async () => {
    const r = await runAction('health-check', { url: `${app.url}/health`, 'expect-json': '{"status":"ok"}' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ healthy: 'true', attempts: '1', 'last-status': '200' });
    expect(Number(r.outputs['elapsed-ms'])).toBeGreaterThanOrEqual(0);
    expect(r.summary).toContain('| URL | Healthy | Attempts |');
  });

  it('waits through failures within the timeout', async () => {
    const r = await runAction('health-check', { url: `${app.url}/warming`, interval: '0.2s', timeout: '10s' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ healthy: 'true', attempts: '3' });
  });

  it('fails after the timeout with exit 1, naming the last status and body', async () => {
    const r = await runAction('health-check', { url: `${app.url}/down`, interval: '0.2s', timeout: '1s' });
    expect(r.code).toBe(1);
    expect(r.outputs.healthy).toBe('false');
    expect(r.outputs['last-status']).toBe('503');
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/503/);
    expect(r.stdout).toContain('database is starting');
  });

  it('reaches an app bound to 127.0.0.1 on the server through SSH (via-ssh)', async () => {
    const r = await runAction('health-check', { url: `${app.url}/health`, 'via-ssh': 'true', ...connection });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/through SSH/);
    expect(r.outputs.healthy).toBe('true');
  });
});

describe('doctor action (dist/doctor)', () => {
  interface Row {
    host: string;
    check: string;
    status: string;
    detail: string;
    fix?: string;
  }
  const rows = (outputs: Record<string, string>) => JSON.parse(outputs.report ?? '[]') as Row[];
  const row = (outputs: Record<string, string>, check: string) => rows(outputs).find((r) => r.check === check);

  it('passes on the test host: docker, compose v2, disk, database, clock', async () => {
    const r = await runAction('doctor', { ...connection, 'database-url': databaseUrl, 'min-free-disk': '1MB' });
    expect(r.stdout).not.toContain('::error');
    expect(r.code).toBe(0);
    expect(r.outputs.ok).toBe('true');
    expect(row(r.outputs, 'connection')?.detail).toContain(host.hostFingerprints.ed25519);
    expect(row(r.outputs, 'docker')?.detail).toMatch(/Docker Engine \d+\.\d+/);
    expect(row(r.outputs, 'compose')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/Compose v2 2\.\d+/),
    });
    expect(row(r.outputs, 'disk (app-dir)')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/free in \/home\/deploy\/belay \(not created yet; measured at \/home\/deploy\)/),
    });
    expect(row(r.outputs, 'database')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('PostgreSQL answers'),
    });
    expect(row(r.outputs, 'clock')?.status).toBe('ok');
    expect(r.summary).toContain('| ✓ |');
    expect(r.stdout).toMatch(/✓ +deploy@127\.0\.0\.1:2222 +docker/);
  });

  it('fails with the fix when the database is not reachable or a directory is not writable', async () => {
    const port = await closedPort();
    const r = await runAction('doctor', {
      ...connection,
      'database-url': `postgres://app:pw@127.0.0.1:${port}/app`,
      'app-dir': '/root/belay-app',
    });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ ok: 'false', failures: '2' });
    expect(row(r.outputs, 'database')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/database-url/) });
    expect(row(r.outputs, 'disk (app-dir)')).toMatchObject({
      status: 'fail',
      detail: '/root/belay-app (not created yet; measured at /root) is not writable',
      fix: 'Run `sudo mkdir -p /root/belay-app && sudo chown deploy /root/belay-app` on the server.',
    });
    expect(r.stdout).toMatch(/✗ .*database/);
    expect(r.stdout).toMatch(/→ /);
  });

  it('checks a SQLite file as the SSH user sees it: writable ✓, missing ⚠, read-only ✗', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'belay-sqlite-'));
    chmodSync(dir, 0o755);
    const writable = join(dir, 'app.db');
    const readOnly = join(dir, 'ro.db');
    writeFileSync(writable, '');
    writeFileSync(readOnly, '');
    chownSync(writable, Number(execFileSync('id', ['-u', 'deploy'], { encoding: 'utf8' })), 0);
    chmodSync(readOnly, 0o644); // owned by root: deploy may read, not write
    try {
      const run = (path: string) => runAction('doctor', { ...connection, 'database-url': `sqlite://${path}` });
      const ok = await run(writable);
      expect(row(ok.outputs, 'database')).toMatchObject({
        status: 'ok',
        detail: `SQLite file ${writable} exists and is writable`,
      });
      const missing = await run(join(dir, 'missing.db'));
      expect(row(missing.outputs, 'database')?.status).toBe('warn');
      expect(missing.code).toBe(0);
      const ro = await run(readOnly);
      expect(row(ro.outputs, 'database')).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('chown deploy'),
      });
      expect(ro.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells a user who may not use docker how to fix it', async () => {
    // A server where the deploy user's docker points at a socket it may not open (/root is 0700): the same
    // "permission denied" a user outside group docker gets from /var/run/docker.sock.
    const sshd = await startSshd({ settings: ['SetEnv=DOCKER_HOST=unix:///root/belay-no-access.sock'] });
    try {
      const r = await runAction('doctor', {
        ...connection,
        host: `${host.user}@${host.sshHost}:${sshd.port}`,
        'known-hosts': '', // its port is new; the host key is the test host's, pinned by fingerprint
        'host-fingerprint': Object.values(host.hostFingerprints).join(','),
      });
      expect(r.code).toBe(1);
      expect(row(r.outputs, 'docker')).toMatchObject({
        status: 'fail',
        detail: 'deploy may not use the Docker socket',
        fix: 'Run `sudo usermod -aG docker deploy` on the server, then reconnect.',
      });
    } finally {
      await sshd.stop();
    }
  });

  it('reports a host whose key does not match as a failed connection, with both fingerprints', async () => {
    const wrong = knownHosts.replace(
      /^(\S+ ssh-ed25519 )\S+/m,
      '$1AAAAC3NzaC1lZDI1NTE5AAAAIGv3xVYqzYGc5QOgl4Nn8I8u6a8dsnqM3qmrkEZBWg0f',
    );
    const onlyWrong = wrong
      .split('\n')
      .filter((l) => l.includes('ssh-ed25519'))
      .join('\n');
    const r = await runAction('doctor', { ...connection, 'known-hosts': onlyWrong });
    expect(r.code).toBe(1);
    expect(row(r.outputs, 'connection')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/SHA256:.*SHA256:/),
    });
  });
});

describe('root action (dist/belay)', () => {
  it('runs the command named by `command`', async () => {
    const r = await runAction('belay', { command: 'health', url: `${app.url}/health` });
    expect(r.code).toBe(0);
    expect(r.outputs.healthy).toBe('true');
  });

  it('refuses an unknown command in one line', async () => {
    const r = await runAction('belay', { command: 'deploy-everything' });
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe(
      '::error::Invalid input "command": "deploy-everything" is not a belay command. Use one of: health, doctor, migrate, build, backup, restore, deploy, rollback, releases, release.',
    );
  });
});

describe('CLI (dist/cli)', () => {
  it('reads belay.yml and its environment section, flags win, --json prints outputs on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'belay-cli-'));
    try {
      writeFileSync(
        join(dir, 'belay.yml'),
        [`url: ${app.url}/down`, 'timeout: 1s', 'environments:', '  staging:', `    url: ${app.url}/health`, ''].join(
          '\n',
        ),
      );
      const staging = await runCli(['health', '--env', 'staging', '--json'], { cwd: dir });
      expect(staging.code).toBe(0);
      expect(JSON.parse(staging.stdout)).toMatchObject({ healthy: 'true', 'last-status': '200' });
      expect(staging.stderr).toMatch(/attempt 1: healthy/);

      const top = await runCli(['health', '--interval', '0.2s', '--json'], { cwd: dir });
      expect(top.code).toBe(1);
      expect(JSON.parse(top.stdout)).toMatchObject({ healthy: 'false', 'last-status': '503' });

      const flag = await runCli(['health', '--env', 'staging', '--url', `${app.url}/down`, '--interval', '0.2s'], {
        cwd: dir,
        env: { BELAY_URL: `${app.url}/health` },
      });
      expect(flag.code).toBe(1);
      expect(flag.stderr).toMatch(/^error: Not healthy after 1s/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
