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
    inputs: [...CONFIG, ...CONNECTION, 'appDir', 'backupDir', 'databaseUrl', 'minFreeDisk', 'maxClockSkew'],
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
    inputs: [
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
      'ledgerSchema',
      'ledgerTable',
      'drizzleSchema',
      'drizzleTable',
      'againstRef',
      'accept',
      'reason',
      'allowOutOfOrder',
      'lockTimeout',
      ...CONNECTION,
    ],
    required: [],
    outputs: {
      applied: 'JSON list of the migrations this run applied.',
      pending: 'JSON list of the migrations still pending after this run.',
      status: '`up-to-date`, `applied`, `pending` (plan mode), `accepted`, `drift` (verification failed) or `failed`.',
    },
    branding: { icon: 'database', color: 'green' },
  },
} as const satisfies Record<string, CommandDef>;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_LIST: readonly CommandDef[] = Object.values(COMMANDS);
