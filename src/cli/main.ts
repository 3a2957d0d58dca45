/**
 * `belay <command> --<input> value …`: the same commands as the actions, flags named exactly as the inputs.
 * Exit codes: 0 done, 1 failed (bad input included), 2 bad usage of the CLI itself is folded into 1 as well so
 * scripts only need to test for non-zero.
 */
import { COMMAND_LIST, COMMANDS, type CommandDef, type CommandName } from '../config/commands.js';
import { INPUTS, inputName, KEY_BY_NAME, envName } from '../config/inputs.js';
import { BelayError } from '../core/errors.js';
import { execute } from '../engine.js';
import { CliReporter } from './reporter.js';

// The bundler writes the package version over the placeholder; unbundled (tests, tsx) it reads `dev`.
const stamped = '__BELAY_VERSION__';
const version = stamped.startsWith('__') ? 'dev' : stamped;

export interface ParsedArgs {
  command: CommandDef;
  given: Record<string, string>;
  json: boolean;
  verbose: boolean;
}

/** Global flags that are not inputs. */
const GLOBAL = new Set(['--json', '--verbose', '--help', '-h']);

export function parseArgs(argv: readonly string[]): ParsedArgs | 'help' | 'version' | { help: CommandDef } {
  const [name, ...rest] = [...argv];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') return 'help';
  if (name === '--version' || name === '-v') return 'version';
  const command = COMMAND_LIST.find((c) => c.cli === name);
  if (!command) {
    throw new BelayError(
      `Unknown command "${name}". Use one of: ${COMMAND_LIST.map((c) => c.cli).join(', ')} (belay --help).`,
    );
  }
  const given: Record<string, string> = {};
  let json = false;
  let verbose = false;
  // `belay migrate accept <name> --reason "…"` reads better than `--accept <name>`; both set the accept input.
  if (command.cli === 'migrate' && rest[0] === 'accept') {
    const name = rest[1];
    if (name === undefined || name.startsWith('--')) {
      throw new BelayError('belay migrate accept needs the migration: belay migrate accept <name> --reason "why".');
    }
    given.accept = name;
    rest.splice(0, 2);
  }
  if (command.cli === 'backup' && rest[0] === 'list') {
    given.list = 'true';
    rest.splice(0, 1);
  }
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (GLOBAL.has(arg)) {
      if (arg === '--help' || arg === '-h') return { help: command };
      if (arg === '--json') json = true;
      if (arg === '--verbose') verbose = true;
      continue;
    }
    if (!arg.startsWith('--'))
      throw new BelayError(`Unexpected argument "${arg}". Flags are written --name value (belay ${name} --help).`);
    const eq = arg.indexOf('=');
    let flag = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    // `--env` is short for --environment, except for deploy, whose `env` input is the app's variables.
    if (flag === 'env' && !command.inputs.includes('env')) flag = 'environment';
    const key = KEY_BY_NAME.get(flag);
    if (!key || !command.inputs.includes(key)) {
      throw new BelayError(`Unknown flag --${flag} for belay ${name}. See belay ${name} --help for its flags.`);
    }
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : rest[i + 1];
    const isBoolean = INPUTS[key].kind === 'boolean';
    if (eq < 0) {
      // A boolean flag may stand alone: --via-ssh.
      if (isBoolean && (value === undefined || value.startsWith('--'))) value = 'true';
      else i++;
    }
    if (value === undefined) throw new BelayError(`Flag --${flag} needs a value: --${flag} <${INPUTS[key].kind}>.`);
    given[flag] = value;
  }
  return { command, given, json, verbose };
}

export function usage(command?: CommandDef): string {
  if (!command) {
    const width = Math.max(...COMMAND_LIST.map((c) => c.cli.length));
    return [
      `belay ${version}: ship self-hosted apps safely.`,
      '',
      'Usage: belay <command> [--<input> <value> …] [--env <environment>] [--json] [--verbose]',
      '',
      'Commands:',
      ...COMMAND_LIST.map((c) => `  ${c.cli.padEnd(width)}  ${c.description}`),
      '',
      'Every flag can also come from a BELAY_<NAME> variable or belay.yml. Run belay <command> --help for its flags.',
    ].join('\n');
  }
  const flags = command.inputs.map((k) => {
    const spec = INPUTS[k];
    const flag = k === 'environment' && !command.inputs.includes('env') ? '--env, --environment' : `--${inputName(k)}`;
    const dflt = spec.default !== undefined ? ` (default ${spec.default})` : '';
    return `  ${flag} <${spec.kind}>\n      ${spec.description}${dflt}  [${envName(k)}]`;
  });
  return [
    `belay ${command.cli}: ${command.description}`,
    '',
    'Flags:',
    ...flags,
    '  --json     print outputs as JSON on stdout',
    '  --verbose  debug output',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
  if (parsed === 'help') return print(usage());
  if (parsed === 'version') return print(version);
  if ('help' in parsed) return print(usage(parsed.help));
  const reporter = new CliReporter({ logToStderr: parsed.json, verbose: parsed.verbose });
  const name = parsed.command.cli as CommandName;
  const code = await execute(
    name,
    { face: 'cli', given: parsed.given, env: process.env, cwd: process.cwd() },
    reporter,
  );
  if (parsed.json) reporter.printOutputs();
  return code;
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

export { COMMANDS };
