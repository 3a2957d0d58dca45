/**
 * Runs a local command (docker, git) from its argv, with no shell in between: a value a user typed is one argv
 * element and nothing else. Secrets reach the child only through its environment (`--secret id=…,env=…`) or its
 * standard input (`docker login --password-stdin`), never its argv. Output is kept and, when asked, streamed line
 * by line.
 */
import { spawn } from 'node:child_process';
import { render, type Command } from '../core/command.js';
import { BelayError } from '../core/errors.js';

export interface RunOptions {
  readonly cwd?: string;
  /** Added to this process's environment (`undefined` removes a variable). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdin?: string;
  /** Each complete line of stdout and stderr, in the order they arrive. */
  readonly onLine?: (line: string) => void;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr lines interleaved as they came. */
  readonly lines: readonly string[];
}

/** The command line as a person would type it, for messages (every word quoted by the one quoting function). */
export const shown = (command: Command) => render(command);

export function runCommand(command: Command, options: RunOptions = {}): Promise<RunResult> {
  if (command.kind !== 'argv') throw new Error('runCommand runs a simple command, without a shell');
  const [program, ...args] = command.argv;
  const env: Record<string, string | undefined> = { ...process.env, ...command.env, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(program!, args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const lines: string[] = [];
    const splitter = () => {
      let partial = '';
      return {
        push(chunk: Buffer) {
          const text = partial + chunk.toString('utf8');
          const parts = text.split(/\r?\n/);
          partial = parts.pop()!;
          for (const line of parts) emit(line);
        },
        end() {
          if (partial) emit(partial);
          partial = '';
        },
      };
    };
    const emit = (line: string) => {
      lines.push(line);
      options.onLine?.(line);
    };
    const so = splitter();
    const se = splitter();
    child.stdout.on('data', (c: Buffer) => (out.push(c), so.push(c)));
    child.stderr.on('data', (c: Buffer) => (err.push(c), se.push(c)));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new BelayError(
          e.code === 'ENOENT'
            ? `${program} is not installed here (not found on PATH). Install it, or run belay where it is.`
            : `Could not run ${program}: ${e.message}.`,
        ),
      ),
    );
    child.on('close', (code) => {
      so.end();
      se.end();
      resolve({
        code: code ?? 255,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        lines,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
  });
}
