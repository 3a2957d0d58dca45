/**
 * Every input belay has, declared once. action.yml input lists, the README tables, CLI flags, BELAY_* variables
 * and belay.yml keys all come from this table (the names are the kebab-case form of the keys).
 */
import { parseHost, type HostSpec } from '../core/hosts.js';
import { imageList, keyValueLines } from '../build/refs.js';
import { boolean, duration, fail, integer, oneOf, size, splitList, text, type InputSpec } from './define.js';

const hostList: InputSpec<HostSpec[]> = {
  kind: 'host list',
  description:
    'Server(s) to reach: one per line or comma-separated, each `host`, `host:port` or `user@host:port` (a user or port written here wins over `user` and `port`).',
  parse: (s, ctx) => {
    const hosts: HostSpec[] = [];
    for (const item of splitList(s)) {
      const parsed = parseHost(item);
      if ('problem' in parsed)
        return fail(ctx, parsed.problem, 'Write each host as host, host:port or user@host:port.');
      hosts.push(parsed);
    }
    if (hosts.length === 0)
      return fail(ctx, 'no host given', 'Set it to the server to reach, like deploy@203.0.113.7.');
    return hosts;
  },
};

const singleHost: InputSpec<HostSpec | undefined> = {
  kind: 'host',
  description: 'Bastion to reach the servers through (`user@host:port`); the same key and host-key rules apply to it.',
  parse: (s, ctx) => {
    if (s.trim() === '') return undefined;
    const parsed = parseHost(s);
    if ('problem' in parsed) return fail(ctx, parsed.problem, 'Write it as host, host:port or user@host:port.');
    return parsed;
  },
};

const fingerprints: InputSpec<string[]> = {
  kind: 'fingerprints',
  description:
    'Expected host key fingerprint(s), `SHA256:…` as printed by `ssh-keygen -lf`; an alternative to known-hosts.',
  parse: (s, ctx) => {
    const list = splitList(s);
    for (const fp of list) {
      if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(fp)) {
        return fail(
          ctx,
          `"${fp}" is not a SHA256 fingerprint`,
          'Copy it from `ssh-keygen -lf <host key>.pub`: SHA256: followed by 43 characters.',
        );
      }
    }
    return list.map((fp) => fp.replace(/=$/, ''));
  },
};

/** What health-check checks; deploy offers the same inputs with a `health-` prefix for its gate. */
const HEALTH = {
  url: text({ description: 'URL to check, e.g. `https://app.example.com/health`.', kind: 'URL' }),
  expectStatus: text({
    description: 'Accepted status codes: `200`, `2xx`, `200,204`, `200-299`. Default: any 2xx.',
    kind: 'status list',
  }),
  expectBody: text({ description: 'Text the body must contain, or a `/regex/`.', kind: 'text or /regex/' }),
  expectJson: text({
    description: 'JSON the body must contain (subset match), e.g. `{"status":"ok"}`.',
    kind: 'JSON',
  }),
  timeout: duration({ description: 'Give up when not healthy after this long.', default: '60s' }),
  interval: duration({ description: 'Time between attempts.', default: '2s' }),
  requestTimeout: duration({ description: 'Longest one request may take.', default: '5s' }),
  healthyThreshold: integer({
    description: 'Consecutive successful attempts needed.',
    default: '1',
    min: 1,
    max: 1000,
  }),
  headers: text({
    description: 'Request headers, one `Name: value` per line (values are masked in logs).',
    secret: true,
    kind: 'lines',
  }),
  viaSsh: boolean({
    description:
      'Send the request through an SSH tunnel to the first host, so `http://127.0.0.1:3000/health` on the server works.',
    default: 'false',
  }),
} satisfies Record<string, InputSpec<unknown>>;

type Prefixed<T> = { [K in keyof T & string as `health${Capitalize<K>}`]: T[K] };

const HEALTH_GATE = Object.fromEntries(
  Object.entries(HEALTH).map(([key, spec]) => [
    `health${key[0]!.toUpperCase()}${key.slice(1)}`,
    {
      ...spec,
      // "Text the body…" becomes "text the body…"; an acronym ("URL to check", "JSON the body…") stays as it is.
      description: `Health gate of the deploy: ${/^[A-Z][a-z]/.test(spec.description) ? spec.description[0]!.toLowerCase() : spec.description[0]}${spec.description.slice(1)}`,
    },
  ]),
) as Prefixed<typeof HEALTH>;

const appName: InputSpec<string> = {
  kind: 'name',
  description:
    'Name of the app: the compose project on the server (db-service is looked up in it) and the name in release and backup records.',
  parse: (s, ctx) => {
    const name = s.trim();
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
      return fail(
        ctx,
        `"${s}" is not a compose project name`,
        'Use lowercase letters, digits, - and _, starting with a letter or digit (e.g. shop-api).',
      );
    }
    return name;
  },
};

const databaseUrl: InputSpec<string> = {
  kind: 'secret',
  description:
    'Database to check, as seen from the server: `postgres://user:password@127.0.0.1:5432/db` or `sqlite:///srv/app/data.db`.',
  secret: true,
  // The value is never echoed: it holds a password.
  parse: (s, ctx) => {
    if (/^(postgres|postgresql):\/\/[^\s]+$/.test(s.trim()) || /^sqlite:[^\s]+$/.test(s.trim())) return s.trim();
    return fail(
      ctx,
      'the value is not a postgres:// or sqlite: URL',
      'Write it like postgres://user:password@127.0.0.1:5432/app or sqlite:///srv/app/data.db.',
    );
  },
};

export const INPUTS = {
  // The configuration itself.
  config: text({
    description: 'Path of the belay.yml file with shared settings; a missing file is fine unless you name one.',
    default: 'belay.yml',
    notInFile: true,
  }),
  environment: text({
    description: 'Section of `environments:` in belay.yml to use (e.g. staging, production).',
    notInFile: true,
  }),

  // Connection: shared by every action that reaches a server.
  host: hostList,
  port: integer({
    description: 'SSH port, for hosts that do not give one.',
    default: '22',
    min: 1,
    max: 65535,
    kind: 'port',
  }),
  user: text({ description: 'SSH user, for hosts that do not give one.', kind: 'user' }),
  sshKey: text({
    description: 'Private key (OpenSSH or PEM; ed25519, ecdsa or rsa), the whole text. Pass it from a secret.',
    secret: true,
    kind: 'secret',
  }),
  sshKeyFile: text({ description: 'Path of a private key file, instead of ssh-key.', cliOnly: true, kind: 'path' }),
  sshPassphrase: text({ description: 'Passphrase of ssh-key, when it has one.', secret: true, kind: 'secret' }),
  knownHosts: text({
    description:
      'known_hosts lines for the server(s) (hashed `|1|` entries work). Get them with `ssh-keyscan` once and check them.',
    kind: 'known_hosts',
  }),
  knownHostsFile: text({
    description: 'Path of a known_hosts file, instead of known-hosts.',
    cliOnly: true,
    kind: 'path',
  }),
  hostFingerprint: fingerprints,
  hostKeyPolicy: oneOf(['strict', 'accept-new'] as const, {
    description:
      '`strict` refuses a host whose key is not in known-hosts / host-fingerprint. `accept-new` trusts an unknown host on first sight (with a warning); a changed key is always refused.',
    default: 'strict',
  }),
  jumpHost: singleHost,
  connectTimeout: duration({ description: 'How long to wait for the SSH connection.', default: '30s' }),
  commandTimeout: duration({
    description: 'Longest a single remote command may run before it is stopped.',
    default: '30m',
  }),

  // Health check.
  ...HEALTH,
  // The same, as deploy's health gate: health-url, health-expect-status, …
  ...HEALTH_GATE,

  // Doctor: what a deploy will need on the server.
  appDir: text({
    description:
      "Directory of the app on the server (relative paths are under the SSH user's home). Default: `belay/<app>` (`belay` without app).",
    kind: 'path',
  }),
  backupDir: text({
    description:
      "Directory for backups on the server, one folder per app in it (relative paths are under the SSH user's home).",
    default: 'belay/backups',
    kind: 'path',
  }),
  databaseUrl,
  // The database as seen from the server, reached through the SSH connection (instead of database-url).
  dbHost: text({
    description:
      'Database host as seen from the server, reached through the SSH connection when database-url is not set.',
    default: '127.0.0.1',
    kind: 'host',
  }),
  dbPort: integer({
    description: 'Database port as seen from the server.',
    default: '5432',
    min: 1,
    max: 65535,
    kind: 'port',
  }),
  database: text({ description: 'Database name, with db-host (through SSH).', kind: 'name' }),
  dbUser: text({ description: 'Database user, with db-host (through SSH).', kind: 'user' }),
  dbPassword: text({ description: 'Database password, with db-host (through SSH).', secret: true, kind: 'secret' }),
  dbService: text({
    description:
      'Compose service of the database (e.g. `db`): its running container is found on the server (in the compose project `app`, when set) and reached at its own address, instead of db-host.',
    kind: 'service',
  }),
  dbContainer: text({
    description: 'Name or id of the database container on the server, when it is not a compose service.',
    kind: 'container',
  }),
  app: appName,

  // Migrations.
  mode: oneOf(['plan', 'verify', 'apply'] as const, {
    description:
      '`plan`: verify what is applied and list what is pending, change nothing. `verify`: checksums only, fail on any drift. `apply`: verify, then apply what is pending.',
    default: 'apply',
  }),
  dir: text({ description: 'The migrations folder, relative to the workspace.', default: 'migrations', kind: 'path' }),
  format: oneOf(['auto', 'drizzle', 'plain', 'flyway'] as const, {
    description:
      '`drizzle` (meta/_journal.json + <tag>.sql), `plain` (*.sql by name, *.down.sql ignored), `flyway` (V<version>__<name>.sql); `auto` picks by what the folder holds.',
    default: 'auto',
  }),
  ledgerSchema: text({ description: "Schema of belay's ledger table.", default: 'belay', kind: 'identifier' }),
  ledgerTable: text({ description: "belay's ledger table.", default: 'schema_migrations', kind: 'identifier' }),
  drizzleSchema: text({
    description: "Schema of drizzle-orm's own migrations table, for drizzle folders (drizzle's `migrationsSchema`).",
    default: 'drizzle',
    kind: 'identifier',
  }),
  drizzleTable: text({
    description: "drizzle-orm's own migrations table, for drizzle folders (drizzle's `migrationsTable`).",
    default: '__drizzle_migrations',
    kind: 'identifier',
  }),
  accept: text({
    description:
      'Accept the current file of this applied migration as intended (after an edit, or a half-applied run checked by hand): its checksum is recorded with `reason`. One migration at a time. CLI: `belay migrate accept <name> --reason "…"`.',
    kind: 'migration name',
  }),
  reason: text({ description: 'Why the migration named by accept was changed; stored in the ledger.', kind: 'text' }),
  againstRef: text({
    description:
      'With `mode: verify`: compare the folder with this git ref (e.g. `origin/main`) instead of a database, for pull requests: an edited, removed or renamed migration of the base, or a new one sorting before the newest on the base, fails with an annotation.',
    kind: 'git ref',
  }),
  allowOutOfOrder: boolean({
    description:
      'Apply a pending migration that sorts before the newest applied one (drizzle would skip it silently; belay refuses by default).',
    default: 'false',
  }),
  lockTimeout: duration({
    description:
      'How long to wait for a lock another run holds (the database lock of migrate, the deploy lock on the server).',
    default: '5m',
  }),
  statementTimeout: duration({
    description:
      "PostgreSQL's `statement_timeout` for the migration session: a statement running longer fails (and its migration is rolled back).",
    default: 'off',
    offAllowed: true,
  }),
  dbLockTimeout: duration({
    description:
      "PostgreSQL's `lock_timeout` for the migration session: a statement waiting longer for a table lock fails instead of queueing the app's queries behind it. `10s` suits busy tables.",
    default: 'off',
    offAllowed: true,
  }),
  // Backups.
  engine: oneOf(['postgres', 'sqlite'] as const, {
    description: 'Database engine: `postgres` (pg_dump custom format) or `sqlite` (an online copy of sqlite-path).',
    default: 'postgres',
  }),
  sqlitePath: text({
    description: 'SQLite database file on the server (inside the container when db-service or db-container is set).',
    kind: 'path',
  }),
  label: text({
    description: 'Label kept with the backup, e.g. `pre-deploy-<sha>`; letters, digits, `.`, `_` and `-`.',
    kind: 'label',
  }),
  verify: oneOf(['checksum', 'toc', 'restore'] as const, {
    description:
      '`checksum`: sha256 of the file re-read on the server. `toc`: also its table of contents (`pg_restore --list`). `restore`: also restored into a scratch database whose tables and row counts must match.',
    default: 'toc',
  }),
  list: boolean({
    description:
      'List the backups of the app (id, time, label, size, verification) instead of taking one. CLI: `belay backup list`.',
    default: 'false',
  }),
  backupId: text({
    description:
      'Backup to restore: an id from `belay backup list`, or `latest` (the newest of this app and database).',
    kind: 'backup id',
  }),
  targetDatabase: text({
    description:
      'Restore into this new database beside the current one instead of replacing `database` (it must not exist yet).',
    kind: 'name',
  }),
  confirm: text({
    description:
      'Typed by a person to say "yes, this one". restore: the name of the database it replaces or creates (target-database when given, else database); a restore does nothing without it. release, deploy, rollback: the name of the environment, when its belay.yml section has `require-confirmation: true`.',
    kind: 'name',
  }),
  requireConfirmation: boolean({
    description:
      'release, deploy and rollback refuse to start unless `confirm` equals `environment` (for production: a manual run must type its name). Set it in belay.yml under the environment.',
    default: 'false',
  }),
  keepLast: integer({ description: 'Keep the newest N backups.', default: '10', min: 0, max: 10_000 }),
  keepDaily: integer({
    description: 'Keep the newest backup of each of the newest N days that have one.',
    default: '7',
    min: 0,
    max: 10_000,
  }),
  keepWeekly: integer({ description: 'The same per ISO week.', default: '4', min: 0, max: 10_000 }),
  keepMonthly: integer({ description: 'The same per month.', default: '0', min: 0, max: 10_000 }),
  keepDays: integer({ description: 'Keep every backup younger than N days.', default: '0', min: 0, max: 100_000 }),
  // Backups off the server.
  download: text({
    description:
      'Folder on the runner to stream the new backup into (with its manifest), checked against its sha256, e.g. for actions/upload-artifact; relative to the workspace.',
    kind: 'path',
  }),
  copyTo: {
    kind: 'user@host:dir',
    description:
      "Second SSH host to copy the new backup to, as `user@host:dir` or `user@host:port:dir` (dir relative to that user's home; the copy goes in `<dir>/<app>` with its manifest, and the keep-* rules prune older copies there). Reached from the runner with the same ssh-key and known-hosts / host-fingerprint rules, not through jump-host.",
    parse: (s, ctx) => {
      if (s.trim() === '') return undefined;
      const m = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s[\]]+)(?::(\d+))?:(.+)$/.exec(s.trim());
      if (!m) return fail(ctx, `"${s.trim()}" is not user@host:dir`, 'Write it like backup@203.0.113.9:belay-backups.');
      const parsed = parseHost(`${m[1] ? `${m[1]}@` : ''}${m[2]}${m[3] ? `:${m[3]}` : ''}`);
      if ('problem' in parsed) return fail(ctx, parsed.problem, 'Write it like backup@203.0.113.9:belay-backups.');
      return { ...parsed, dir: m[4]!.trim() };
    },
  } as InputSpec<(HostSpec & { dir: string }) | undefined>,
  encryptTo: {
    kind: 'age recipients',
    description:
      'age recipients (`age1…`, from `age-keygen`), one per line: every copy leaving the server is encrypted to them (`<id>.dump.age`; `age -d -i key.txt` decrypts it). Lines starting with # are ignored.',
    parse: (s, ctx) => {
      const recipients = s
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'))
        .flatMap(splitList);
      for (const r of recipients) {
        if (r.startsWith('ssh-')) {
          return fail(
            ctx,
            `${r.split(/\s/)[0]} recipients are not supported (age-encryption takes age keys only)`,
            'Make a key with age-keygen and give its public key (age1…).',
          );
        }
        if (!/^age1[0-9a-z]+$/.test(r)) {
          return fail(
            ctx,
            `"${r.slice(0, 20)}…" is not an age recipient`,
            'Give public keys printed by age-keygen (age1…).',
          );
        }
      }
      return recipients;
    },
  } as InputSpec<string[]>,
  allowUnencryptedOffsite: boolean({
    description:
      'Allow download and copy-to without encrypt-to: the dump, every row of the database, then leaves the server in clear.',
    default: 'false',
  }),
  // Deploy.
  composeFile: text({
    description:
      'Compose file(s) in the repository, one per line (later ones override earlier ones, as `docker compose -f a -f b`); uploaded into each release.',
    kind: 'paths',
  }),
  composeRemote: text({
    description: 'Compose file already on the server (relative to app-dir), instead of compose-file.',
    kind: 'path',
  }),
  env: text({
    description:
      "The app's environment, one `NAME=value` per line: written to a 0600 file in the release on the server, given to compose for `${VAR}` interpolation and to the updated services; values are masked and never printed.",
    secret: true,
    kind: 'dotenv lines',
  }),
  envFile: text({
    description: 'A dotenv file in the repository, read like env (env wins on the same name).',
    kind: 'path',
  }),
  images: text({
    description:
      "Images to run, one `service=image-ref` per line (e.g. `api=ghcr.io/o/api@sha256:…`, the build step's `ref`).",
    kind: 'service=ref lines',
  }),
  services: text({
    description: 'Services to update, comma-separated. Default: the services in images (or all, without images).',
    kind: 'service list',
  }),
  health: oneOf(['auto', 'url', 'containers', 'both', 'none'] as const, {
    description:
      "`url`: the health-url checks; `containers`: wait until the updated services' containers are running and their compose healthchecks (if any) say healthy; `both`; `none`: no gate. `auto`: `both` when health-url is set, else `containers`.",
    default: 'auto',
  }),
  rollbackOnFailure: boolean({
    description: 'Go back to the previous release by itself when the new one is not healthy.',
    default: 'true',
  }),
  keepReleases: integer({
    description: 'Release records kept on the server (current and previous always are).',
    default: '5',
    min: 2,
    max: 1000,
  }),
  lockStaleAfter: duration({
    description: 'A deploy lock older than this is broken with a warning (a cancelled run that never released it).',
    default: '1h',
  }),
  preDeploy: text({
    description:
      'Shell commands run in app-dir on the server before the new release starts, with BELAY_RELEASE, BELAY_PREVIOUS_RELEASE, BELAY_APP in their environment; failing stops the deploy.',
    kind: 'script',
  }),
  postDeploy: text({
    description: 'Shell commands run the same way after the new release is healthy; failing fails the step.',
    kind: 'script',
  }),
  migrations: text({
    description: "The migrate step's `applied` output (JSON), kept in the release record.",
    kind: 'JSON',
  }),
  release: text({
    description: 'Release to roll back to (an id from `belay releases`). Default: the one before the current.',
    kind: 'release id',
  }),
  stages: text({
    description:
      'Stages of release, in their fixed order: `build,backup,migrate,deploy`, or a subset. Default `auto`: build when image is set, backup when a database (or sqlite-path) is set, migrate when a PostgreSQL database is set and the migrations folder (dir) exists, deploy always.',
    default: 'auto',
    kind: 'stage list',
  }),
  buildService: text({
    description:
      'release: the compose service that runs the built image; its line in images becomes `<service>=<ref of the build>`. Default: the only service in services.',
    kind: 'service',
  }),
  restoreBackupOnRollback: boolean({
    description:
      'When a deploy that applied migrations (the `migrations` input is not empty) rolls back, restore its pre-deploy backup (`backup-id`) before the previous release goes back up, so the old code meets the old schema. Data written since the backup is lost (the replaced database is kept as `<db>_before_restore_<time>`). Needs the database inputs of restore.',
    default: 'false',
  }),
  environmentUrl: text({
    description:
      "The app's public URL: the `url` output and the environment URL of the GitHub Deployment. Default: health-url.",
    kind: 'URL',
  }),
  githubToken: text({
    description:
      'A token with `deployments: write` (e.g. `${{ github.token }}`): the deploy is recorded as a GitHub Deployment of `environment` (default `production`) with its statuses. Without it, no Deployment is made.',
    secret: true,
    kind: 'secret',
  }),
  minFreeDisk: size({ description: 'Warn when a directory has less free space than this.', default: '1GB' }),
  maxClockSkew: duration({
    description: "Fail when the server clock differs from this machine's by more.",
    default: '30s',
  }),

  // build-image
  image: imageList,
  context: text({ description: 'Build context: a folder, relative to the workspace.', default: '.', kind: 'path' }),
  file: text({ description: 'Dockerfile, relative to the workspace. Default: `Dockerfile` in context.', kind: 'path' }),
  target: text({ description: 'Stage of a multi-stage Dockerfile to build.', kind: 'stage' }),
  buildArgs: keyValueLines(
    {
      description:
        'Build arguments, one `NAME=value` per line (they stay in the image history: use secrets for secrets).',
      kind: 'lines',
    },
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'NAME=value',
  ),
  platforms: text({
    description: "Platforms to build, comma-separated (`linux/amd64,linux/arm64`). Default: the builder's own.",
    kind: 'platform list',
  }),
  labels: keyValueLines(
    { description: 'Image labels, one `name=value` per line; they win over the OCI labels belay sets.', kind: 'lines' },
    /^[A-Za-z0-9][A-Za-z0-9._/-]*$/,
    'name=value',
  ),
  secrets: keyValueLines(
    {
      description:
        'Build secrets, one `id=value` per line, read in the Dockerfile with `RUN --mount=type=secret,id=<id>`; never in the log, the argv or the image. Needs buildx.',
      kind: 'secret lines',
      secret: true,
    },
    /^[A-Za-z0-9_.-]+$/,
    'id=value',
  ),
  tags: text({
    description:
      'Tag rules, one per line: `auto` (sha-<7>, branch, 1.2.3/1.2/1 for a v1.2.3 tag, latest on the default branch, pr-<n>), a template such as `{{branch}}-{{sha}}` (placeholders sha, branch, version, minor, major, pr; a rule whose placeholder is empty here gives no tag) or a fixed tag. Default: `auto`.',
    kind: 'tag rules',
  }),
  registry: text({
    description: 'Registry to log in to. Default: the registry of the first image (`docker.io` for `owner/app`).',
    kind: 'host',
  }),
  registryUsername: text({
    description: 'User to log in with. For ghcr.io the default is the workflow actor (`GITHUB_ACTOR`).',
    kind: 'user',
  }),
  registryPassword: text({
    description:
      'Password or token to log in with (sent on stdin, never in an argv). For ghcr.io the default is the `GITHUB_TOKEN` variable when the step sets it. Without it, the login docker already has is used.',
    secret: true,
    kind: 'secret',
  }),
  push: boolean({ description: 'Push the image; `false` only builds it (and loads it into docker).', default: 'true' }),
  network: text({
    description: 'Network for RUN steps (`host`, `none`, `default`), as `docker build --network`.',
    kind: 'network',
  }),
  cache: oneOf(['auto', 'gha', 'local', 'none'] as const, {
    description:
      "`auto`: on GitHub, buildx's gha cache when the builder supports it, else a local cache folder kept with the Actions cache; elsewhere the builder's own cache. `none`: build without any cache.",
    default: 'auto',
  }),
} satisfies Record<string, InputSpec<unknown>>;

export type InputKey = keyof typeof INPUTS;
export type Values = { [K in InputKey]: ReturnType<(typeof INPUTS)[K]['parse']> };

/** `sshKey` → `ssh-key`: the one name used for inputs, flags and belay.yml keys. */
export function inputName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `sshKey` → `BELAY_SSH_KEY`. */
export function envName(key: string): string {
  return `BELAY_${inputName(key).replace(/-/g, '_').toUpperCase()}`;
}

export const INPUT_KEYS = Object.keys(INPUTS) as InputKey[];
export const KEY_BY_NAME: ReadonlyMap<string, InputKey> = new Map(INPUT_KEYS.map((k) => [inputName(k), k]));
