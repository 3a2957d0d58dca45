/**
 * Layering: input or flag > BELAY_* variable > belay.yml `environments.<env>` > belay.yml top level > default.
 * Every value is parsed once by its input's zod type; the first bad one stops everything with a one-line error.
 *
 * The belay.yml itself is read by load.ts, the module that imports the YAML parser: a run without a belay.yml
 * (the engine asks `configFileExists` first) never loads it. `loadConfig` in load.ts is the whole of it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { secretsOfUrl } from '../report/reporter.js';
import type { CommandDef } from './commands.js';
import { envName, INPUTS, inputName, type InputKey, type Values } from './inputs.js';

export type Face = 'action' | 'cli';
export type Origin = 'input' | 'env' | 'environment' | 'file' | 'default';

export interface Sources {
  readonly face: Face;
  /** Action inputs or CLI flags by input name; empty strings count as not given (the runner sends '' for unset). */
  readonly given: Readonly<Record<string, string | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export interface Loaded {
  readonly values: Partial<Values>;
  readonly origin: Partial<Record<InputKey, Origin>>;
  /** Every secret value and value derived from one: the reporter masks them all. */
  readonly secrets: readonly string[];
  /** The belay.yml that was read, if any. */
  readonly configFile?: string;
}

export type FileSection = Map<string, { raw: string; line: number }>;

export interface FileLayer {
  path: string;
  top: FileSection;
  environments: Map<string, FileSection>;
}

/** Reads the belay.yml at `path`, which exists (load.ts: `readConfigFile`). */
export type ReadConfigFile = (path: string) => FileLayer;

const types = new Map<InputKey, z.ZodType<unknown, string>>();

/** The zod type of an input, `z.string().transform(parse)`: made the first time the input is read, then kept. */
export function inputType<K extends InputKey>(key: K): z.ZodType<Values[K], string> {
  let type = types.get(key);
  if (!type) {
    type = z.string().transform(INPUTS[key].parse as (s: string, ctx: z.core.$RefinementCtx<string>) => unknown);
    types.set(key, type);
  }
  return type as z.ZodType<Values[K], string>;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

/** The value a flag or a BELAY_* variable gives an input, before any belay.yml. */
function picked(sources: Sources, key: InputKey): string | undefined {
  return nonEmpty(sources.given[inputName(key)]) ?? nonEmpty(sources.env[envName(key)]);
}

/** The belay.yml a run reads: the config input, else belay.yml in the workspace; `explicit` when it was named. */
export function configFilePath(sources: Sources): { path: string; explicit: boolean } {
  const named = picked(sources, 'config');
  return { path: resolve(sources.cwd, expandHome(named ?? 'belay.yml')), explicit: named !== undefined };
}

/** Whether a run with these sources reads a belay.yml (a named one that is missing is an error of the layering). */
export const configFileExists = (sources: Sources): boolean => existsSync(configFilePath(sources).path);

/**
 * The layers, resolved and parsed for one command. `readFile` reads the belay.yml when there is one; without it
 * an existing belay.yml is an error of the caller (the engine passes it whenever `configFileExists`).
 */
export function loadLayers(command: CommandDef, sources: Sources, readFile?: ReadConfigFile): Loaded {
  const { path, explicit } = configFilePath(sources);
  let file: FileLayer | undefined;
  if (existsSync(path)) {
    if (!readFile) throw new Error(`${path} exists but no reader of belay.yml was given`);
    file = readFile(path);
  } else if (explicit) {
    throw new InputError(
      'config',
      `${path} does not exist`,
      'Give the path of your belay.yml, or drop the config input.',
    );
  }
  const environment = picked(sources, 'environment');
  let section: FileSection | undefined;
  if (environment !== undefined) {
    section = file?.environments.get(environment);
    if (!section) {
      const known = [...(file?.environments.keys() ?? [])];
      throw new InputError(
        'environment',
        file
          ? `"${environment}" is not a section of environments in ${file.path}`
          : `"${environment}" was asked for but there is no belay.yml`,
        known.length
          ? `Use one of: ${known.join(', ')}.`
          : 'Add it under environments: in belay.yml, or drop the environment input.',
      );
    }
  }

  const values: Partial<Record<InputKey, unknown>> = {};
  const origin: Partial<Record<InputKey, Origin>> = {};
  const secrets: string[] = [];
  for (const key of command.inputs) {
    const spec = INPUTS[key];
    const name = inputName(key);
    const inFile = (layer: FileSection | undefined) => layer?.get(name);
    // [origin, raw value, where to say it came from when it is bad (the input itself needs no pointer)]
    const layers: [Origin, string | undefined, string | undefined][] = [
      ['input', nonEmpty(sources.given[name]), undefined],
      ['env', nonEmpty(sources.env[envName(key)]), envName(key)],
      ['environment', inFile(section)?.raw, `${file?.path}:${inFile(section)?.line}`],
      ['file', inFile(file?.top)?.raw, `${file?.path}:${inFile(file?.top)?.line}`],
      ['default', spec.default, undefined],
    ];
    const found = layers.find(([, raw]) => raw !== undefined);
    if (!found) continue;
    const [from, raw, where] = found as [Origin, string, string | undefined];
    if ('secret' in spec && spec.secret) secrets.push(...(key === 'databaseUrl' ? secretsOfUrl(raw) : [raw]));
    const parsed = inputType(key).safeParse(raw);
    if (!parsed.success) {
      const [problem, fix] = (parsed.error.issues[0]?.message ?? 'invalid value|Check the value.').split('|');
      throw new InputError(name, problem!, fix ?? '', where);
    }
    values[key] = parsed.data;
    origin[key] = from;
  }

  readCompanionFiles(values, sources, secrets);
  for (const key of command.required) {
    if (values[key] === undefined || values[key] === '') throw missing(key, sources.face);
  }
  return { values: values as Partial<Values>, origin, secrets, ...(file ? { configFile: file.path } : {}) };
}

/** The error for a required input nobody set, telling each face how to set it. */
export function missing(key: InputKey, face: Face, what = 'it is required'): InputError {
  const name = inputName(key);
  const how = face === 'action' ? `Add \`${name}:\` under \`with:\` in the workflow step` : `Pass --${name}`;
  return new InputError(name, `${what} but was not given`, `${how}, set ${envName(key)}, or put ${name} in belay.yml.`);
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/** --ssh-key-file and --known-hosts-file: read the file into ssh-key / known-hosts when those are not set. */
function readCompanionFiles(values: Partial<Record<InputKey, unknown>>, sources: Sources, secrets: string[]): void {
  const pairs: [InputKey, InputKey, boolean][] = [
    ['sshKeyFile', 'sshKey', true],
    ['knownHostsFile', 'knownHosts', false],
  ];
  for (const [fileKey, valueKey, secret] of pairs) {
    const path = values[fileKey] as string | undefined;
    if (path === undefined || path === '') continue;
    if (values[valueKey] !== undefined) {
      throw new InputError(
        inputName(fileKey),
        `both ${inputName(valueKey)} and ${inputName(fileKey)} are set`,
        'Give only one of them.',
      );
    }
    const full = isAbsolute(expandHome(path)) ? expandHome(path) : resolve(sources.cwd, path);
    let content: string;
    try {
      content = readFileSync(full, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
      throw new InputError(inputName(fileKey), `${full} ${why}`, 'Give the path of an existing, readable file.');
    }
    if (secret) secrets.push(content);
    values[valueKey] = content;
  }
}
