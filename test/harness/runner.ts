/**
 * Runs a bundled action the way the GitHub runner does: `node dist/<action>/index.js` with INPUT_<NAME> variables
 * (action.yml defaults applied), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files and RUNNER_TEMP, then
 * reads the outputs back. The runner itself is GitHub's and cannot run here; this reproduces its contract.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Everything the step printed, for scanning (e.g. for leaked secrets). */
  all: string;
  outputs: Record<string, string>;
  summary: string;
  /** What the step saved for its post step (GITHUB_STATE). */
  state: Record<string, string>;
  /** With `post: true`: the action's post step, run after the main step as the runner does. */
  post?: RunResult;
}

interface ActionYml {
  inputs?: Record<string, { default?: string }>;
  runs: { main: string; post?: string };
}

export async function runAction(
  action: string,
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; cwd?: string; interrupt?: Interrupt; post?: boolean } = {},
): Promise<RunResult> {
  const dir = action === 'belay' ? ROOT : join(ROOT, 'actions', action);
  const yml = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as ActionYml;
  for (const name of Object.keys(inputs)) {
    if (!yml.inputs?.[name])
      throw new Error(`action ${action} has no input "${name}" (the harness refuses it like the runner warns)`);
  }
  const temp = mkdtempSync(join(tmpdir(), 'belay-runner-'));
  const files = { output: join(temp, 'output'), summary: join(temp, 'summary'), state: join(temp, 'state') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    RUNNER_TEMP: temp,
    GITHUB_WORKSPACE: options.cwd ?? temp,
    ...options.env,
  };
  for (const [name, spec] of Object.entries(yml.inputs ?? {})) {
    const value = inputs[name] ?? spec.default;
    if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  const step = async (file: string, extra: Record<string, string>, interrupt?: Interrupt): Promise<RunResult> => {
    for (const f of [files.output, files.summary]) writeFileSync(f, '');
    const { code, stdout, stderr } = await spawnNode(
      [join(dir, file)],
      { ...env, ...extra },
      options.cwd ?? temp,
      interrupt,
    );
    const output = readFileSync(files.output, 'utf8');
    const summary = readFileSync(files.summary, 'utf8');
    const state = parseOutputFile(readFileSync(files.state, 'utf8'));
    return {
      code,
      stdout,
      stderr,
      all: stdout + stderr + output + summary,
      outputs: parseOutputFile(output),
      summary,
      state,
    };
  };
  try {
    const main = await step(yml.runs.main, {}, options.interrupt);
    if (!options.post) return main;
    if (!yml.runs.post) throw new Error(`action ${action} has no post step`);
    // The runner gives the post step the main step's saved state as STATE_<name>, and a fresh state file.
    writeFileSync(files.state, '');
    const saved = Object.fromEntries(Object.entries(main.state).map(([k, v]) => [`STATE_${k}`, v]));
    return { ...main, post: await step(yml.runs.post, saved) };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** The CLI bundle, as a user runs it. */
export async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Omit<RunResult, 'outputs' | 'summary' | 'state'>> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...options.env };
  const r = await spawnNode([join(ROOT, 'dist/cli/index.js'), ...args], env, options.cwd ?? ROOT);
  return { ...r, all: r.stdout + r.stderr };
}

/** Send `signal` to the step once its output contains `text`: a cancelled job (SIGINT) or a vanished runner (SIGKILL). */
export interface Interrupt {
  readonly when: string;
  readonly signal: NodeJS.Signals;
}

function spawnNode(args: string[], env: Record<string, string>, cwd: string, interrupt?: Interrupt) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (interrupt && !sent && stdout.includes(interrupt.when)) {
        sent = true;
        child.kill(interrupt.signal);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/** GITHUB_OUTPUT holds `name<<DELIMITER\nvalue\nDELIMITER` blocks (and possibly plain `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      out[name!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

interface CompositeYml {
  inputs?: Record<string, unknown>;
  runs: {
    using: 'composite';
    steps: { id?: string; run?: string; uses?: string; env?: Record<string, string>; with?: Record<string, string> }[];
  };
}

/**
 * The `${{ }}` expressions composite actions here use: `inputs.x`, `env.X`, `runner.temp`, `steps.<id>.outputs.x`,
 * 'literals', `format('…{0}…', a)` and `a || b` (first non-empty). Anything else is refused, so a test cannot pass
 * on an expression the harness does not understand.
 */
export function evaluate(
  text: string,
  ctx: {
    inputs: Record<string, string>;
    env: Record<string, string>;
    temp: string;
    steps?: Record<string, Record<string, string>>;
  },
): string {
  const term = (t: string): string => {
    const s = t.trim();
    const literal = /^'(.*)'$/.exec(s);
    if (literal) return literal[1]!;
    const format = /^format\('([^']*)',\s*(.+)\)$/.exec(s);
    if (format) return format[1]!.replace('{0}', term(format[2]!));
    const m = /^(inputs|env|runner|steps)\.([\w-]+)(?:\.outputs\.([\w-]+))?$/.exec(s);
    if (!m) throw new Error(`the composite harness does not evaluate: ${s}`);
    if (m[1] === 'inputs') return ctx.inputs[m[2]!] ?? '';
    if (m[1] === 'env') return ctx.env[m[2]!] ?? '';
    if (m[1] === 'runner' && m[2] === 'temp') return ctx.temp;
    if (m[1] === 'steps' && m[3]) return ctx.steps?.[m[2]!]?.[m[3]] ?? '';
    throw new Error(`the composite harness does not evaluate: ${s}`);
  };
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => {
    for (const part of expr.split('||')) {
      const value = term(part);
      if (value !== '') return value;
    }
    return '';
  });
}

/**
 * Runs the `run:` steps of a composite action as the runner does (bash, GITHUB_ACTION_PATH, step env evaluated,
 * GITHUB_OUTPUT per step). `uses:` steps are GitHub's own actions (upload-artifact talks to GitHub's artifact
 * service, which cannot be reached here): they are not run, their evaluated `with:` is returned for assertions.
 */
export async function runComposite(
  action: string,
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; cwd?: string; runnerTemp?: string } = {},
): Promise<{
  code: number;
  stdout: string;
  all: string;
  steps: Record<string, Record<string, string>>;
  uses: { uses: string; with: Record<string, string> }[];
}> {
  const dir = join(ROOT, 'actions', action);
  const yml = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as CompositeYml;
  for (const name of Object.keys(inputs)) {
    if (!yml.inputs?.[name]) throw new Error(`composite ${action} has no input "${name}"`);
  }
  // RUNNER_TEMP: the caller's when it wants to read what a step left there (the download), else a fresh one.
  const temp = options.runnerTemp ?? mkdtempSync(join(tmpdir(), 'belay-composite-'));
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: temp,
    GITHUB_ACTION_PATH: dir,
    GITHUB_WORKSPACE: options.cwd ?? temp,
    ...options.env,
  };
  const steps: Record<string, Record<string, string>> = {};
  const uses: { uses: string; with: Record<string, string> }[] = [];
  let stdout = '';
  let all = '';
  try {
    for (const [i, step] of yml.runs.steps.entries()) {
      const ctx = { inputs, env: base, temp, steps };
      if (step.uses) {
        uses.push({
          uses: step.uses,
          with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, evaluate(String(v), ctx)])),
        });
        continue;
      }
      const output = join(temp, `output-${i}`);
      writeFileSync(output, '');
      for (const file of ['summary', 'state']) writeFileSync(join(temp, file), '', { flag: 'a' });
      const env: Record<string, string> = {
        ...base,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: join(temp, 'summary'),
        GITHUB_STATE: join(temp, 'state'),
      };
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = evaluate(String(v), ctx);
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolvePromise, reject) => {
        const child = spawn('bash', ['-e', '-c', step.run!], {
          env,
          cwd: options.cwd ?? temp,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout: out, stderr: err }));
      });
      stdout += r.stdout;
      all += r.stdout + r.stderr;
      if (step.id) steps[step.id] = parseOutputFile(readFileSync(output, 'utf8'));
      if (r.code !== 0) return { code: r.code, stdout, all, steps, uses };
    }
    return { code: 0, stdout, all, steps, uses };
  } finally {
    if (!options.runnerTemp) rmSync(temp, { recursive: true, force: true });
  }
}
