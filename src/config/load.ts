/**
 * Layering: input or flag > BELAY_* variable > belay.yml `environments.<env>` > belay.yml top level > default.
 * Every value is parsed once by its input's zod type; the first bad one stops everything with a one-line error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { BelayError, InputError } from '../core/errors.js';
import { secretsOfUrl } from '../report/reporter.js';
import type { CommandDef } from './commands.js';
import { envName, INPUTS, inputName, KEY_BY_NAME, type InputKey, type Values } from './inputs.js';

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

interface FileLayer {
  path: string;
  top: Map<string, { raw: string; line: number }>;
  environments: Map<string, Map<string, { raw: string; line: number }>>;
}

export function loadConfig(command: CommandDef, sources: Sources): Loaded {
  const pick = (key: InputKey): string | undefined => {
    const v = sources.given[inputName(key)];
    if (v !== undefined && v !== '') return v;
    const e = sources.env[envName(key)];
    return e !== undefined && e !== '' ? e : undefined;
  };
  const configPath = pick('config');
  const file = readConfigFile(resolve(sources.cwd, expandHome(configPath ?? 'belay.yml')), configPath !== undefined);
  const environment = pick('environment');
  let section: FileLayer['top'] | undefined;
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
    const inFile = (layer: FileLayer['top'] | undefined) => layer?.get(name);
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
    const parsed = spec.type.safeParse(raw);
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

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

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

function readConfigFile(path: string, explicit: boolean): FileLayer | undefined {
  if (!existsSync(path)) {
    if (explicit)
      throw new InputError(
        'config',
        `${path} does not exist`,
        'Give the path of your belay.yml, or drop the config input.',
      );
    return undefined;
  }
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(path, 'utf8'), { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | Pair | null | undefined) => {
    const range =
      node && 'range' in node ? node.range : node && 'key' in node ? (node.key as Node | null)?.range : undefined;
    return range ? lines.linePos(range[0]).line : 0;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new BelayError(
      `${path}:${lines.linePos(e.pos[0]).line}: not valid YAML (${e.message.split('\n')[0]}). Fix the file.`,
    );
  }
  if (doc.contents === null) return { path, top: new Map(), environments: new Map() };
  if (!isMap(doc.contents))
    throw new BelayError(`${path}:1: expected a map of settings at the top level. See the README for the format.`);

  const environments = new Map<string, FileLayer['top']>();
  const top = readSection(doc.contents, path, lineOf, (keyName, pair) => {
    if (keyName !== 'environments') return false;
    if (!isMap(pair.value))
      throw new BelayError(
        `${path}:${lineOf(pair)}: environments must be a map of names to settings, like staging: {host: ...}.`,
      );
    for (const envPair of pair.value.items) {
      const envName = String(isScalar(envPair.key) ? envPair.key.value : envPair.key);
      if (!isMap(envPair.value))
        throw new BelayError(`${path}:${lineOf(envPair)}: environments.${envName} must be a map of settings.`);
      environments.set(
        envName,
        readSection(envPair.value, path, lineOf, () => false),
      );
    }
    return true;
  });
  return { path, top, environments };
}

function readSection(
  map: YAMLMap,
  path: string,
  lineOf: (n: Node | Pair) => number,
  special: (key: string, pair: Pair<unknown, unknown>) => boolean,
): FileLayer['top'] {
  const out: FileLayer['top'] = new Map();
  for (const pair of map.items) {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    if (special(key, pair)) continue;
    const inputKey = KEY_BY_NAME.get(key);
    if (!inputKey || ('notInFile' in INPUTS[inputKey] && INPUTS[inputKey].notInFile)) {
      throw new BelayError(`${path}:${lineOf(pair)}: unknown key "${key}"${suggest(key)}. Remove it or fix its name.`);
    }
    out.set(key, { raw: yamlValueToText(pair.value as Node | null), line: lineOf(pair) });
  }
  return out;
}

/** belay.yml allows natural YAML: numbers, booleans, lists (joined by newlines) and maps (as JSON, for expect-json). */
function yamlValueToText(node: Node | null): string {
  if (node === null) return '';
  if (isScalar(node)) return node.value === null ? '' : String(node.value);
  if (isSeq(node)) return node.items.map((n) => yamlValueToText(n as Node)).join('\n');
  return JSON.stringify(node.toJSON());
}

function suggest(key: string): string {
  const names = [...KEY_BY_NAME.keys(), 'environments'];
  const close = names.find((n) => n.startsWith(key.slice(0, 4)) || key.startsWith(n));
  return close ? ` (did you mean "${close}"?)` : '';
}
