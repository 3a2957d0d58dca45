/**
 * Every input belay has, declared once. action.yml input lists, the README tables, CLI flags, BELAY_* variables
 * and belay.yml keys all come from this table (the names are the kebab-case form of the keys).
 */
import { z } from 'zod';
import { parseHost, type HostSpec } from '../core/hosts.js';
import { boolean, duration, fail, integer, oneOf, size, splitList, text, type InputSpec } from './define.js';

const hostList: InputSpec<HostSpec[]> = {
  kind: 'host list',
  description:
    'Server(s) to reach: one per line or comma-separated, each `host`, `host:port` or `user@host:port` (a user or port written here wins over `user` and `port`).',
  type: z.string().transform((s, ctx) => {
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
  }),
};

const singleHost: InputSpec<HostSpec | undefined> = {
  kind: 'host',
  description: 'Bastion to reach the servers through (`user@host:port`); the same key and host-key rules apply to it.',
  type: z.string().transform((s, ctx) => {
    if (s.trim() === '') return undefined;
    const parsed = parseHost(s);
    if ('problem' in parsed) return fail(ctx, parsed.problem, 'Write it as host, host:port or user@host:port.');
    return parsed;
  }),
};

const fingerprints: InputSpec<string[]> = {
  kind: 'fingerprints',
  description:
    'Expected host key fingerprint(s), `SHA256:…` as printed by `ssh-keygen -lf`; an alternative to known-hosts.',
  type: z.string().transform((s, ctx) => {
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
  }),
};

const databaseUrl: InputSpec<string> = {
  kind: 'secret',
  description:
    'Database to check, as seen from the server: `postgres://user:password@127.0.0.1:5432/db` or `sqlite:///srv/app/data.db`.',
  secret: true,
  // The value is never echoed: it holds a password.
  type: z.string().transform((s, ctx) => {
    if (/^(postgres|postgresql):\/\/[^\s]+$/.test(s.trim()) || /^sqlite:[^\s]+$/.test(s.trim())) return s.trim();
    return fail(
      ctx,
      'the value is not a postgres:// or sqlite: URL',
      'Write it like postgres://user:password@127.0.0.1:5432/app or sqlite:///srv/app/data.db.',
    );
  }),
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

  // Doctor: what a deploy will need on the server.
  appDir: text({
    description: "Directory of the app on the server (relative paths are under the SSH user's home).",
    default: 'belay',
    kind: 'path',
  }),
  backupDir: text({
    description: "Directory for backups on the server (relative paths are under the SSH user's home).",
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
    description: 'How long to wait for another migration run to release the database lock.',
    default: '5m',
  }),
  minFreeDisk: size({ description: 'Warn when a directory has less free space than this.', default: '1GB' }),
  maxClockSkew: duration({
    description: "Fail when the server clock differs from this machine's by more.",
    default: '30s',
  }),
} satisfies Record<string, InputSpec<unknown>>;

export type InputKey = keyof typeof INPUTS;
export type Values = { [K in InputKey]: z.output<(typeof INPUTS)[K]['type']> };

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
