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
}

interface ActionYml {
  inputs?: Record<string, { default?: string }>;
  runs: { main: string };
}

export async function runAction(
  action: string,
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; cwd?: string } = {},
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
  try {
    const { code, stdout, stderr } = await spawnNode([join(dir, yml.runs.main)], env, options.cwd ?? temp);
    const output = readFileSync(files.output, 'utf8');
    const summary = readFileSync(files.summary, 'utf8');
    return { code, stdout, stderr, all: stdout + stderr + output + summary, outputs: parseOutputFile(output), summary };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** The CLI bundle, as a user runs it. */
export async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Omit<RunResult, 'outputs' | 'summary'>> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...options.env };
  const r = await spawnNode([join(ROOT, 'dist/cli/index.js'), ...args], env, options.cwd ?? ROOT);
  return { ...r, all: r.stdout + r.stderr };
}

function spawnNode(args: string[], env: Record<string, string>, cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
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
