/**
 * The configuration of a run: the layers (layers.ts) over the belay.yml, which this module reads. Only this module
 * imports the YAML parser, and the engine loads it only when there is a belay.yml to read.
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { BelayError } from '../core/errors.js';
import type { CommandDef } from './commands.js';
import { INPUTS, KEY_BY_NAME } from './inputs.js';
import { loadLayers, type FileLayer, type FileSection, type Loaded, type Sources } from './layers.js';

export {
  configFileExists,
  missing,
  type Face,
  type FileLayer,
  type Loaded,
  type Origin,
  type Sources,
} from './layers.js';

/**
 * Every layer, belay.yml included, resolved and parsed for one command: what a capability receives as `loaded`.
 */
export function loadConfig(command: CommandDef, sources: Sources): Loaded {
  return loadLayers(command, sources, readConfigFile);
}

/** Reads and checks the belay.yml at `path` (which exists): its top level and its `environments:` sections. */
export function readConfigFile(path: string): FileLayer {
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

  const environments = new Map<string, FileSection>();
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
): FileSection {
  const out: FileSection = new Map();
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
