/**
 * Faces generated from the one schema: each action.yml and the README input tables. `npm run generate` writes
 * them; test/unit/schema-drift.test.ts fails when a file on disk differs from what the schema gives.
 */
import { stringify } from 'yaml';
import { hasPostStep } from '../engine.js';
import { COMMAND_LIST, type CommandDef, type CommandName } from './commands.js';
import { envName, INPUTS, inputName, type InputKey } from './inputs.js';

const HEADER = '# Generated from src/config by `npm run generate`; edit the schema, not this file.\n';

/** Inputs offered by the action (CLI-only inputs such as ssh-key-file are left out). */
export function actionInputs(command: CommandDef): InputKey[] {
  return command.inputs.filter((k) => !('cliOnly' in INPUTS[k] && INPUTS[k].cliOnly));
}

/**
 * Defaults are written into descriptions, not as `default:`: the runner would pass a declared default as if the
 * user had typed it, and it would then override BELAY_* variables and belay.yml (and a declared `config`
 * default would turn "no belay.yml, fine" into "the belay.yml you named is missing").
 */
function inputEntry(key: InputKey, command: CommandDef): Record<string, unknown> {
  const spec = INPUTS[key];
  const notes = [
    (command.required as readonly string[]).includes(key)
      ? 'Required (here, as a BELAY_ variable or in belay.yml).'
      : '',
    'secret' in spec && spec.secret ? 'Secret: pass it from `secrets.*`; it is masked in all output.' : '',
    spec.default !== undefined ? `Default: \`${spec.default}\`.` : '',
  ].filter(Boolean);
  return {
    description: [spec.description, ...notes].join(' '),
    required: false,
  };
}

export function renderActionYml(command: CommandDef, main: string): string {
  const doc = {
    name: command.title,
    description: command.description,
    author: 'belay',
    branding: command.branding,
    inputs: Object.fromEntries(actionInputs(command).map((k) => [inputName(k), inputEntry(k, command)])),
    outputs: Object.fromEntries(Object.entries(command.outputs).map(([name, description]) => [name, { description }])),
    // deploy and rollback: the same file again after the job (a cancelled one too) releases a lock left behind.
    runs: { using: 'node24', main, ...(hasPostStep(command.cli as CommandName) ? { post: main } : {}) },
  };
  // The command the action's launcher (dist/<action>/index.js, written by scripts/bundle.mjs) runs.
  return `${HEADER}# belay-command: ${command.cli}\n${stringify(doc, { lineWidth: 0 })}`;
}

/** The root action: every command behind one `command` input. */
export function renderRootActionYml(): string {
  const keys = [...new Set(COMMAND_LIST.flatMap((c) => actionInputs(c)))];
  const union: CommandDef = {
    cli: 'belay',
    action: 'belay',
    title: 'belay',
    description:
      'Ship self-hosted apps safely over SSH: build, verified backups and restores, checksum-verified migrations, deploys with a health gate and automatic rollback, health checks and a server doctor. Pick the work with `command`.',
    inputs: keys,
    required: [],
    outputs: Object.assign({}, ...COMMAND_LIST.map((c) => c.outputs)) as Record<string, string>,
    branding: { icon: 'anchor', color: 'blue' },
  };
  const doc = {
    name: union.title,
    description: union.description,
    author: 'belay',
    branding: union.branding,
    inputs: {
      command: { description: `What to run: ${COMMAND_LIST.map((c) => `\`${c.cli}\``).join(', ')}.`, required: true },
      ...Object.fromEntries(keys.map((k) => [inputName(k), inputEntry(k, union)])),
    },
    outputs: Object.fromEntries(Object.entries(union.outputs).map(([name, description]) => [name, { description }])),
    runs: { using: 'node24', main: 'dist/belay/index.js', post: 'dist/belay/index.js' },
  };
  return HEADER + stringify(doc, { lineWidth: 0 });
}

/** actions/upload-artifact v4.6.2, by commit. */
export const UPLOAD_ARTIFACT = 'ea165f8d65b6e75b540449e92b4886f43607fa02';

/** Inputs of the backup action the scheduled composite does not offer: it always lists nothing and downloads. */
const SCHEDULED_LEFT_OUT: readonly InputKey[] = ['list', 'download', 'config'];

/**
 * `actions/scheduled-backup`: the backup action verified by a full restore, downloaded to the runner and uploaded
 * as a workflow artifact. A composite cannot `uses:` a sibling action of its own repository, so its first step
 * runs the backup bundle with node; the inputs reach it as BELAY_* variables (the second layer of the schema).
 */
export function renderScheduledBackupYml(): string {
  const backup = COMMAND_LIST.find((c) => c.action === 'backup')!;
  const keys = actionInputs(backup).filter((k) => !SCHEDULED_LEFT_OUT.includes(k));
  const env: Record<string, string> = Object.fromEntries(
    // A BELAY_* variable the job sets still counts when the input is not given.
    keys.map((k) => [envName(k), `\${{ inputs.${inputName(k)} || env.${envName(k)} }}`]),
  );
  env[envName('verify')] = `\${{ inputs.verify || env.${envName('verify')} || 'restore' }}`;
  env[envName('download')] = '${{ runner.temp }}/belay-backup';
  env[envName('config')] = `\${{ inputs.config || env.${envName('config')} }}`;
  const doc = {
    name: 'belay scheduled-backup',
    description:
      'A scheduled backup: belay backup verified by a full restore into a scratch database (by default), downloaded to the runner (encrypted with encrypt-to, or allow-unencrypted-offsite) and kept as a workflow artifact for retention-days.',
    author: 'belay',
    branding: { icon: 'archive', color: 'green' },
    inputs: {
      config: {
        description: 'Path of the belay.yml file with shared settings. Default: `belay.yml`.',
        required: false,
      },
      ...Object.fromEntries(
        keys
          .filter((k) => k !== 'config')
          .map((k) => {
            const entry = inputEntry(k, backup);
            if (k === 'verify')
              entry.description = String(entry.description).replace(/Default: `toc`\.$/, 'Default here: `restore`.');
            return [inputName(k), entry];
          }),
      ),
      'artifact-name': {
        description: 'Name of the workflow artifact. Default: `belay-backup-<backup id>`.',
        required: false,
      },
      'retention-days': {
        description: "Days GitHub keeps the artifact (1 to 90, within the repository's limit). Default: `14`.",
        required: false,
      },
    },
    outputs: Object.fromEntries(
      ['backup-id', 'path', 'sha256', 'size', 'download-path', 'download-sha256'].map((name) => [
        name,
        {
          description: backup.outputs[name as keyof typeof backup.outputs],
          value: `\${{ steps.backup.outputs.${name} }}`,
        },
      ]),
    ),
    runs: {
      using: 'composite',
      steps: [
        {
          name: 'Back up, verify by restoring, download',
          id: 'backup',
          shell: 'bash',
          // The runner's own node runs the bundle, as it does for the backup action (node 20 or newer).
          run: 'node "$GITHUB_ACTION_PATH/../../dist/backup/index.js"',
          env,
        },
        {
          // Pinned by commit, as a third-party action should be: v4.6.2.
          name: 'Keep it as an artifact (actions/upload-artifact v4.6.2)',
          uses: `actions/upload-artifact@${UPLOAD_ARTIFACT}`,
          with: {
            name: "${{ inputs.artifact-name || format('belay-backup-{0}', steps.backup.outputs.backup-id) }}",
            path: '${{ runner.temp }}/belay-backup',
            'retention-days': "${{ inputs.retention-days || '14' }}",
            'if-no-files-found': 'error',
          },
        },
      ],
    },
  };
  return HEADER + stringify(doc, { lineWidth: 0 });
}

/** Markdown table of a command's inputs, for the README. */
export function renderInputTable(command: CommandDef): string {
  const rows = command.inputs.map((k) => {
    const spec = INPUTS[k];
    const flag = k === 'environment' && !command.inputs.includes('env') ? '`--env`' : `\`--${inputName(k)}\``;
    const name = 'cliOnly' in spec && spec.cliOnly ? `— (CLI ${flag})` : `\`${inputName(k)}\``;
    const secret = 'secret' in spec && spec.secret ? ' 🔒' : '';
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    return `| ${name}${secret} | ${cell(spec.kind)} | ${spec.default !== undefined ? `\`${spec.default}\`` : ''} | ${cell(spec.description)} | \`${envName(k)}\` |`;
  });
  const outputs = Object.entries(command.outputs).map(([n, d]) => `| \`${n}\` | ${d} |`);
  return [
    '| Input (flag is `--` + name) | Type | Default | Description | Variable |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '| Output | Description |',
    '| --- | --- |',
    ...outputs,
  ].join('\n');
}

/** Replace the text between `<!-- inputs:NAME -->` and `<!-- /inputs:NAME -->` markers. */
export function fillReadme(readme: string): string {
  let out = readme;
  for (const command of COMMAND_LIST) {
    const start = `<!-- inputs:${command.action} -->`;
    const end = `<!-- /inputs:${command.action} -->`;
    const a = out.indexOf(start);
    const b = out.indexOf(end);
    if (a < 0 || b < a) continue;
    out = `${out.slice(0, a + start.length)}\n${renderInputTable(command)}\n${out.slice(b)}`;
  }
  return out;
}
