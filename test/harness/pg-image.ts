/**
 * A PostgreSQL server image for tests that need the database inside a container (db-service, pg_dump in the
 * container), built FROM scratch out of this machine's own PostgreSQL binaries: no image can be pulled here.
 * It behaves like the official image where tests rely on it: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB,
 * password authentication from any address, data in /var/lib/postgresql/data, `pg_isready` inside.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { testHost } from './test-host.js';

/** Bump when the image's content changes, so a stale image from an earlier run is rebuilt. */
const REVISION = 4;

const ENTRYPOINT = `#!/bin/sh
# Only shell builtins and PostgreSQL's programs by name: a test may run the container with PATH=<its bin> alone,
# as an image without a shell on PATH.
set -e
PGDATA=/var/lib/postgresql/data
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
  initdb -D "$PGDATA" -U "\${POSTGRES_USER:-postgres}" --pwfile=/tmp/pwfile --auth-host=scram-sha-256 \\
    --auth-local=trust --encoding=UTF8 --locale=C >/tmp/initdb.log
  /bin/rm -f /tmp/pwfile
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ -n "$POSTGRES_DB" ] && [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \\"$POSTGRES_DB\\"" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql -p "\${PGPORT:-5432}"
`;

/** The image's tag, built on first use (once per machine, whichever test process gets there first). */
export function postgresImage(): string {
  const bin = testHost().pg.bin;
  const version = /postgresql\/(\d+)\//.exec(bin)?.[1] ?? 'x';
  const tag = `belay-test/postgres:${version}-r${REVISION}`;
  if (imageExists(tag)) return tag;
  const lock = join(tmpdir(), `belay-pg-image-${version}-r${REVISION}.lock`);
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (imageExists(tag)) return tag;
      if (i > 600) throw new Error(`gave up waiting for ${lock} (remove it if no test is running)`);
      execFileSync('sleep', ['0.5']);
    }
  }
  try {
    if (!imageExists(tag)) build(tag, bin);
    return tag;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function imageExists(tag: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function build(tag: string, bin: string): void {
  const root = mkdtempSync(join(tmpdir(), 'belay-pg-image-'));
  try {
    const fs = join(root, 'fs');
    const put = (path: string) => {
      if (!existsSync(path)) return;
      mkdirSync(dirname(join(fs, path)), { recursive: true });
      cpSync(path, join(fs, path), { recursive: true, dereference: true });
    };
    const programs = ['postgres', 'initdb', 'pg_ctl', 'pg_dump', 'pg_restore', 'psql', 'pg_isready'];
    const libs = new Set<string>();
    for (const p of programs) {
      put(join(bin, p));
      for (const line of execFileSync('ldd', [join(bin, p)], { encoding: 'utf8' }).split('\n')) {
        const lib = /=> (\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)/.exec(line)?.[1];
        if (lib) libs.add(lib);
      }
    }
    for (const lib of libs) put(lib);
    put(join(dirname(bin), 'lib'));
    put(bin.replace(/^\/usr\/lib\/postgresql\/(\d+)\/bin$/, '/usr/share/postgresql/$1'));
    put('/usr/share/zoneinfo/UTC');
    put('/usr/share/zoneinfo/Etc/UTC');
    put('/etc/ssl/openssl.cnf');
    mkdirSync(join(fs, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(fs, 'bin/busybox'));
    for (const applet of ['sh', 'cat', 'rm', 'echo', 'sleep', 'ls', 'printf']) {
      execFileSync('ln', ['-sf', 'busybox', join(fs, 'bin', applet)]);
    }
    mkdirSync(join(fs, 'etc'), { recursive: true });
    writeFileSync(
      join(fs, 'etc/passwd'),
      'root:x:0:0::/root:/bin/sh\npostgres:x:999:999::/var/lib/postgresql:/bin/sh\n',
    );
    writeFileSync(join(fs, 'etc/group'), 'root:x:0:\npostgres:x:999:\n');
    writeFileSync(join(fs, 'entrypoint'), ENTRYPOINT, { mode: 0o755 });
    mkdirSync(join(fs, 'tmp'), { recursive: true, mode: 0o1777 });
    mkdirSync(join(fs, 'var/lib/postgresql/data'), { recursive: true });
    mkdirSync(join(fs, 'var/run/postgresql'), { recursive: true });
    writeFileSync(
      join(root, 'Dockerfile'),
      [
        'FROM scratch',
        'COPY fs/ /',
        `ENV PATH=${bin}:/bin TZ=UTC LANG=C PGDATA=/var/lib/postgresql/data`,
        'USER 0',
        'RUN ["/bin/busybox", "sh", "-c", "chmod 1777 /tmp && chown -R 999:999 /var/lib/postgresql /var/run/postgresql"]',
        'USER 999:999',
        'ENTRYPOINT ["/entrypoint"]',
      ].join('\n') + '\n',
    );
    execFileSync('docker', ['build', '--network', 'host', '-q', '-t', tag, root], { stdio: 'pipe' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export interface ComposePostgres {
  readonly project: string;
  /** The container's address on its compose network (reachable from this machine, which is the server). */
  address(): string;
  /** A client connected as the superuser to `database` (default: the stack's own). */
  connect(database?: string): Promise<import('pg').Client>;
  compose(...args: string[]): string;
  down(): void;
}

/**
 * A compose project with one `db` service running the image above, as a user's stack would have it: superuser
 * `user` with `password`, database `database`, a healthcheck; up and healthy when this returns.
 */
export async function startComposePostgres(options: {
  project: string;
  user: string;
  password: string;
  database: string;
  /** `container_name:` for the service, instead of the `<project>-db-1` Compose gives it. */
  containerName?: string;
  /** More environment for the service (e.g. PATH). */
  environment?: Record<string, string>;
}): Promise<ComposePostgres> {
  const { default: pg } = await import('pg');
  const dir = mkdtempSync(join(tmpdir(), 'belay-compose-pg-'));
  const file = join(dir, 'compose.yml');
  writeFileSync(
    file,
    [
      'services:',
      '  db:',
      `    image: ${postgresImage()}`,
      ...(options.containerName ? [`    container_name: ${options.containerName}`] : []),
      '    environment:',
      ...Object.entries(options.environment ?? {}).map(([k, v]) => `      ${k}: "${v}"`),
      `      POSTGRES_USER: ${options.user}`,
      '      POSTGRES_PASSWORD: ${DB_PASSWORD}',
      `      POSTGRES_DB: ${options.database}`,
      '    healthcheck:',
      `      test: ["CMD", "pg_isready", "-U", "${options.user}", "-h", "127.0.0.1"]`,
      '      interval: 1s',
      '      retries: 30',
      '',
    ].join('\n'),
  );
  const compose = (...args: string[]) =>
    execFileSync('docker', ['compose', '-p', options.project, '-f', file, ...args], {
      encoding: 'utf8',
      stdio: 'pipe',
      env: { ...process.env, DB_PASSWORD: options.password },
    });
  compose('up', '-d', '--wait', '--quiet-pull');
  const address = () =>
    execFileSync(
      'docker',
      [
        'inspect',
        '-f',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
        options.containerName ?? `${options.project}-db-1`,
      ],
      { encoding: 'utf8' },
    ).trim();
  return {
    project: options.project,
    address,
    async connect(database = options.database) {
      const client = new pg.Client({
        host: address(),
        port: 5432,
        user: options.user,
        password: options.password,
        database,
      });
      await client.connect();
      return client;
    },
    compose,
    down() {
      try {
        compose('down', '-v', '--timeout', '1');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
