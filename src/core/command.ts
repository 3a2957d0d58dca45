/**
 * Commands as data. Every remote command is built from argv arrays joined by a few combinators and rendered to a
 * POSIX shell string by one quoting function. Nothing a user typed is ever concatenated into shell text: it can
 * only arrive as an argv element, which `quote` turns into a single inert word.
 */

export type Command =
  | { readonly kind: 'argv'; readonly argv: readonly string[]; readonly env?: Readonly<Record<string, string>> }
  | { readonly kind: 'and' | 'or' | 'pipe' | 'seq'; readonly parts: readonly Command[] }
  | { readonly kind: 'redirect'; readonly command: Command; readonly op: RedirectOp; readonly target: string }
  | { readonly kind: 'script'; readonly text: string }
  | { readonly kind: 'group'; readonly command: Command };

export type RedirectOp = '>' | '>>' | '<' | '2>' | '2>>' | '2>&1' | '>/dev/null 2>&1';

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quote one word for a POSIX shell (sh, dash, bash, busybox ash): the result is always exactly one literal word. */
export function quote(word: string): string {
  if (word === '') return "''";
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A simple command: program and arguments, each quoted. */
export function cmd(program: string, ...args: readonly (string | number)[]): Command {
  return { kind: 'argv', argv: [program, ...args.map(String)] };
}

/** The same command with environment assignments in front (`NAME='value' program ...`). */
export function withEnv(env: Record<string, string>, command: Command): Command {
  if (command.kind !== 'argv') throw new Error('withEnv applies to a simple command');
  for (const name of Object.keys(env)) {
    if (!ENV_NAME.test(name)) throw new Error(`not an environment variable name: ${JSON.stringify(name)}`);
  }
  return { ...command, env: { ...command.env, ...env } };
}

export const and = (...parts: Command[]): Command => ({ kind: 'and', parts });
export const or = (...parts: Command[]): Command => ({ kind: 'or', parts });
export const pipe = (...parts: Command[]): Command => ({ kind: 'pipe', parts });
/** `a; b`: run in order whatever the exit codes. */
export const seq = (...parts: Command[]): Command => ({ kind: 'seq', parts });
export const group = (command: Command): Command => ({ kind: 'group', command });

export function redirect(command: Command, op: RedirectOp, target = ''): Command {
  return { kind: 'redirect', command, op, target };
}

/**
 * Constant shell text written in belay's source (never built from input). Kept for the few things argv cannot
 * express, such as `$HOME`; the name makes every use easy to audit.
 */
export function script(text: string): Command {
  return { kind: 'script', text };
}

const JOINERS = { and: ' && ', or: ' || ', pipe: ' | ', seq: '; ' } as const;

/** Render a command to one line of POSIX shell. */
export function render(command: Command): string {
  switch (command.kind) {
    case 'argv': {
      if (command.argv.length === 0) throw new Error('empty command');
      const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
      return [...env, ...command.argv.map(quote)].join(' ');
    }
    case 'and':
    case 'or':
    case 'pipe':
    case 'seq':
      if (command.parts.length === 0) throw new Error(`empty ${command.kind}`);
      return command.parts.map((p) => renderOperand(p, command.kind)).join(JOINERS[command.kind]);
    case 'group':
      return `{ ${render(command.command)}; }`;
    case 'redirect': {
      const inner = renderOperand(command.command, 'redirect');
      if (command.op === '2>&1' || command.op === '>/dev/null 2>&1') return `${inner} ${command.op}`;
      return `${inner} ${command.op} ${quote(command.target)}`;
    }
    case 'script':
      return command.text;
  }
}

function renderOperand(part: Command, parent: Command['kind']): string {
  const needsGroup =
    (part.kind === 'and' || part.kind === 'or' || part.kind === 'seq' || part.kind === 'pipe') && part.kind !== parent;
  return needsGroup ? `{ ${render(part)}; }` : render(part);
}

/** `sh -c '<rendered>'`: the whole command as one argv word, for running it under a specific shell. */
export function inShell(command: Command): Command {
  return cmd('sh', '-c', render(command));
}
