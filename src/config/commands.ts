/**
 * The commands belay offers. Each is one CLI command and one action (`actions/<action>/action.yml`,
 * `dist/<action>/index.js`), with the inputs it reads and the outputs it sets.
 */
import type { InputKey } from './inputs.js';

export const CONNECTION: readonly InputKey[] = [
  'host',
  'port',
  'user',
  'sshKey',
  'sshKeyFile',
  'sshPassphrase',
  'knownHosts',
  'knownHostsFile',
  'hostFingerprint',
  'hostKeyPolicy',
  'jumpHost',
  'connectTimeout',
  'commandTimeout',
];

export interface CommandDef {
  /** CLI command: `belay <cli>`. */
  readonly cli: string;
  /** Action folder and bundle name. */
  readonly action: string;
  readonly title: string;
  readonly description: string;
  readonly inputs: readonly InputKey[];
  /** Inputs without which the command cannot start. */
  readonly required: readonly InputKey[];
  readonly outputs: Readonly<Record<string, string>>;
  readonly branding: { icon: string; color: string };
}

const CONFIG: readonly InputKey[] = ['config', 'environment'];

/** Where the database is and where its backups go: backup, restore, and deploy (for restore-backup-on-rollback). */
const DATABASE: readonly InputKey[] = [
  'engine',
  'database',
  'dbHost',
  'dbPort',
  'dbUser',
  'dbPassword',
  'dbService',
  'dbContainer',
  'sqlitePath',
  'backupDir',
];

/** The health gate of deploy and rollback: health-check's inputs with a `health-` prefix. */
const HEALTH_GATE: readonly InputKey[] = [
  'health',
  'healthUrl',
  'healthExpectStatus',
  'healthExpectBody',
  'healthExpectJson',
  'healthTimeout',
  'healthInterval',
  'healthRequestTimeout',
  'healthHealthyThreshold',
  'healthHeaders',
  'healthViaSsh',
];

const MIGRATE_INPUTS: readonly InputKey[] = [
  ...CONFIG,
  'mode',
  'dir',
  'format',
  'databaseUrl',
  'dbHost',
  'dbPort',
  'database',
  'dbUser',
  'dbPassword',
  'dbService',
  'dbContainer',
  'app',
  'ledgerSchema',
  'ledgerTable',
  'drizzleSchema',
  'drizzleTable',
  'againstRef',
  'accept',
  'reason',
  'allowOutOfOrder',
  'lockTimeout',
  'statementTimeout',
  'dbLockTimeout',
  ...CONNECTION,
];

const BUILD_INPUTS: readonly InputKey[] = [
  ...CONFIG,
  'image',
  'context',
  'file',
  'target',
  'buildArgs',
  'platforms',
  'labels',
  'secrets',
  'tags',
  'registry',
  'registryUsername',
  'registryPassword',
  'push',
  'network',
  'cache',
];

const BACKUP_INPUTS: readonly InputKey[] = [
  ...CONFIG,
  'app',
  ...DATABASE,
  'label',
  'verify',
  'list',
  'keepLast',
  'keepDaily',
  'keepWeekly',
  'keepMonthly',
  'keepDays',
  'download',
  'copyTo',
  'encryptTo',
  'allowUnencryptedOffsite',
  ...CONNECTION,
];

const DEPLOY_INPUTS: readonly InputKey[] = [
  ...CONFIG,
  'app',
  'appDir',
  'composeFile',
  'composeRemote',
  'env',
  'envFile',
  'images',
  'services',
  ...HEALTH_GATE,
  'rollbackOnFailure',
  'keepReleases',
  'lockTimeout',
  'lockStaleAfter',
  'preDeploy',
  'postDeploy',
  'backupId',
  'migrations',
  'restoreBackupOnRollback',
  ...DATABASE,
  'environmentUrl',
  'githubToken',
  'confirm',
  'requireConfirmation',
  ...CONNECTION,
];

/** Each input once, in the order first met. */
const union = (...lists: readonly (readonly InputKey[])[]): InputKey[] => [...new Set(lists.flat())];

/**
 * release: the four stages' inputs, less those release sets itself (the backup id, the applied migrations, the
 * mode) and those that do something else than a pre-deploy stage (list, download, restore's and accept's).
 */
const RELEASE_SETS: readonly InputKey[] = [
  'backupId',
  'migrations',
  'mode',
  'list',
  'download',
  'targetDatabase',
  'accept',
  'reason',
  'againstRef',
];
const RELEASE_INPUTS: readonly InputKey[] = union(
  CONFIG,
  ['stages', 'buildService'],
  BUILD_INPUTS,
  BACKUP_INPUTS,
  MIGRATE_INPUTS,
  DEPLOY_INPUTS,
).filter((k) => !RELEASE_SETS.includes(k));

export const COMMANDS = {
  health: {
    cli: 'health',
    action: 'health-check',
    title: 'belay health-check',
    description:
      'Wait until an HTTP(S) endpoint is healthy: status, body text or JSON, consecutive successes; directly or through an SSH tunnel to the server.',
    inputs: [
      ...CONFIG,
      'url',
      'expectStatus',
      'expectBody',
      'expectJson',
      'timeout',
      'interval',
      'requestTimeout',
      'healthyThreshold',
      'headers',
      'viaSsh',
      ...CONNECTION,
    ],
    required: ['url'],
    outputs: {
      healthy: '`true` when the endpoint became healthy in time, else `false`.',
      attempts: 'Number of requests made.',
      'elapsed-ms': 'Milliseconds from the first request to the verdict.',
      'last-status': 'HTTP status of the last response (empty when none came).',
    },
    branding: { icon: 'activity', color: 'green' },
  },
  doctor: {
    cli: 'doctor',
    action: 'doctor',
    title: 'belay doctor',
    description:
      'Check over SSH what a deploy will need: connection and host key, docker, compose, free disk, database, clock.',
    inputs: [...CONFIG, ...CONNECTION, 'app', 'appDir', 'backupDir', 'databaseUrl', 'minFreeDisk', 'maxClockSkew'],
    required: ['host'],
    outputs: {
      ok: '`true` when no check failed (warnings allowed).',
      failures: 'Number of failed checks.',
      warnings: 'Number of checks with a warning.',
      report: 'The checks as JSON: `[{"host","check","status","detail","fix"}]`.',
    },
    branding: { icon: 'check-circle', color: 'green' },
  },
  migrate: {
    cli: 'migrate',
    action: 'migrate',
    title: 'belay migrate',
    description:
      'Verify the checksum of every applied migration, refuse edited, missing or out-of-order ones, and apply what is pending under a database lock, one transaction per migration. Works on drizzle-kit, plain and Flyway folders.',
    inputs: MIGRATE_INPUTS,
    required: [],
    outputs: {
      applied: 'JSON list of the migrations this run applied.',
      pending: 'JSON list of the migrations still pending after this run.',
      status: '`up-to-date`, `applied`, `pending` (plan mode), `accepted`, `drift` (verification failed) or `failed`.',
    },
    branding: { icon: 'database', color: 'green' },
  },
  build: {
    cli: 'build',
    action: 'build-image',
    title: 'belay build-image',
    description:
      'Build a docker image with buildx (classic docker build when buildx is missing), tag it from git, push it and give the registry digest to deploy by.',
    inputs: BUILD_INPUTS,
    required: ['image'],
    outputs: {
      image: 'The first image repository, e.g. `ghcr.io/owner/app`.',
      tags: 'Every pushed reference (`<image>:<tag>`), one per line.',
      digest: "The registry's manifest digest of the pushed image (`sha256:…`); empty when push is false.",
      ref: '`<image>@sha256:…`: what a deploy should use. Without push, `<image>:<first tag>`.',
      metadata: 'JSON: images, tags, refs, digest, labels, builder, cache.',
    },
    branding: { icon: 'package', color: 'green' },
  },
  backup: {
    cli: 'backup',
    action: 'backup',
    title: 'belay backup',
    description:
      'Back the database up on the server (pg_dump custom format or an online SQLite copy), verified before it counts: written as a partial, checked (sha256, table of contents, or a full restore), then kept with a manifest; old backups pruned by retention rules only after a new one succeeded. `belay backup list` shows them.',
    inputs: BACKUP_INPUTS,
    required: ['app', 'host'],
    outputs: {
      'backup-id': 'Id of the new backup (`belay backup list` shows it; restore takes it).',
      path: 'Path of the backup file on the server.',
      sha256: 'sha256 of the backup file.',
      size: 'Size of the backup file in bytes.',
      'download-path':
        'With `download`: path of the file written on the runner (`<id>.dump`, or `<id>.dump.age` with encrypt-to).',
      'download-sha256': 'With `download`: sha256 of that file as written (of the ciphertext when encrypted).',
      backups:
        'With `list`: the backups as JSON, oldest first (`[{"id","createdAt","database","label","size","sha256","verified"}]`).',
    },
    branding: { icon: 'archive', color: 'green' },
  },
  restore: {
    cli: 'restore',
    action: 'restore',
    title: 'belay restore',
    description:
      "Restore a verified backup: its sha256 checked first, restored into a scratch database and compared with the backup's row counts, then swapped in by rename (the old database kept as <db>_before_restore_<time>, the swap undone if anything fails), or created beside it as target-database.",
    inputs: [...CONFIG, 'app', ...DATABASE, 'backupId', 'targetDatabase', 'confirm', ...CONNECTION],
    required: ['app', 'host', 'backupId'],
    outputs: {
      'backup-id': 'Id of the backup that was restored.',
      database: 'The database that now holds the restored data.',
      'kept-as': 'Name the replaced database was kept under (empty when nothing was replaced).',
    },
    branding: { icon: 'rotate-ccw', color: 'orange' },
  },
  deploy: {
    cli: 'deploy',
    action: 'deploy',
    title: 'belay deploy',
    description:
      'Deploy a compose app over SSH: lock, write a release record, pull, up -d, health gate; when the new release is not healthy, its logs on screen and the previous release back up by itself.',
    inputs: DEPLOY_INPUTS,
    required: ['app', 'host'],
    outputs: {
      'release-id': 'Id of the release this deploy wrote.',
      'previous-release-id': 'The release that was current before (empty on a first deploy).',
      status: '`deployed`, `rolled-back` (not healthy, previous release serving again), `rollback-failed` or `failed`.',
      url: 'environment-url, else health-url, when set.',
    },
    branding: { icon: 'upload-cloud', color: 'blue' },
  },
  rollback: {
    cli: 'rollback',
    action: 'rollback',
    title: 'belay rollback',
    description:
      'Go back to the previous release (or a named one): its images checked present or pullable before anything is touched, then its compose files, env and images up, through the same health gate.',
    inputs: [
      ...CONFIG,
      'app',
      'appDir',
      'release',
      ...HEALTH_GATE,
      'lockTimeout',
      'lockStaleAfter',
      'environmentUrl',
      'githubToken',
      'confirm',
      'requireConfirmation',
      ...CONNECTION,
    ],
    required: ['app', 'host'],
    outputs: {
      'release-id': 'The release now current.',
      'previous-release-id': 'The release that was current before.',
      status: '`deployed` (healthy on the release), `rollback-failed` or `failed`.',
      url: 'environment-url, else health-url, when set.',
    },
    branding: { icon: 'rotate-ccw', color: 'orange' },
  },
  releases: {
    cli: 'releases',
    action: 'releases',
    title: 'belay releases',
    description: 'List the release history of the app on the server: id, time, status, images, actor.',
    inputs: [...CONFIG, 'app', 'appDir', ...CONNECTION],
    required: ['app', 'host'],
    outputs: {
      releases: 'The releases as JSON, oldest first (`[{"id","createdAt","outcome","current","images","actor"}]`).',
    },
    branding: { icon: 'list', color: 'blue' },
  },
  release: {
    cli: 'release',
    action: 'release',
    title: 'belay release',
    description:
      'The whole pipeline in one step: build-image → backup (pre-deploy, labelled with the commit) → migrate (verify, then apply) → deploy (the backup id and the applied migrations recorded, automatic rollback). A failed build, backup or migration verification stops everything before the server runs anything new.',
    inputs: RELEASE_INPUTS,
    required: ['app', 'host'],
    outputs: {
      stage: 'The stage the release stopped at (`build`, `backup`, `migrate`, `deploy`), or `done`.',
      status: '`deployed`, `rolled-back`, `rollback-failed`, or `failed` (a stage before deploy failed: see stage).',
      ref: 'The built image, `<image>@sha256:…` (build stage).',
      digest: "The registry's manifest digest of the built image.",
      'backup-id': 'Id of the pre-deploy backup (backup stage).',
      applied: 'JSON list of the migrations this release applied (migrate stage).',
      'release-id': 'Id of the release deploy wrote.',
      'previous-release-id': 'The release that was current before.',
      url: 'environment-url, else health-url, when set.',
    },
    branding: { icon: 'send', color: 'blue' },
  },
} as const satisfies Record<string, CommandDef>;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_LIST: readonly CommandDef[] = Object.values(COMMANDS);
