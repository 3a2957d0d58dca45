/**
 * The `.belay` folder inside app-dir on the server, where the deploy lock and the release records live. It is
 * created readable by the SSH user only (umask 077): release folders hold the env files, values included.
 * Every path reaches the shell as a quoted positional argument of a constant script.
 */
import { randomBytes } from 'node:crypto';

import { cmd, type Command } from '../core/command.js';
import { BelayError } from '../core/errors.js';
import type { ExecResult, Transport } from '../transport/types.js';

/** app-dir as given, else `belay/<app>` under the SSH user's home (`belay` when no app is named, as doctor may). */
export const appDirFor = (v: { readonly appDir?: string | undefined; readonly app?: string | undefined }): string =>
  v.appDir ?? (v.app ? `belay/${v.app}` : 'belay');

/** `<appDir>/.belay` (app-dir is relative to the SSH user's home unless absolute). */
export const belayDir = (appDir: string): string => `${appDir.replace(/(.)\/+$/, '$1')}/.belay`;

/**
 * Shell text that creates app-dir (with the user's own umask: containers may need to read bind mounts in it),
 * then, under umask 077, `<app-dir>/.belay`. Expects app-dir in `$1`; leaves umask 077 in force for what follows.
 * When `.belay` is there already (every deploy after the first) no program runs: each one started costs a few ms.
 */
export const ENSURE_BELAY_DIR =
  '{ [ -d "$1/.belay" ] || { mkdir -p -- "$1" && umask 077 && mkdir -p -- "$1/.belay"; }; } && umask 077';

/** `sh -c '<constant script>' belay arg1 arg2 …`: the arguments arrive as `$1`, `$2`, … and are never parsed. */
export const shellScript = (text: string, ...args: readonly (string | number)[]): Command =>
  cmd('sh', '-c', text, 'belay', ...args);

/** A name no other run will pick, for temporary files and folders next to the real ones. */
export const uniqueToken = (): string => randomBytes(6).toString('hex');

/** The last non-empty line of a command's error output. */
const lastLine = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop() ?? '';

/**
 * Run a command that must succeed (exit 0 or one of `accept`); anything else is a BelayError saying what could
 * not be done on which server, why (its last error line), and `fix`.
 */
export async function runChecked(
  t: Transport,
  what: string,
  command: Command,
  fix: string,
  accept: readonly number[] = [],
): Promise<ExecResult> {
  const r = await t.exec(command);
  if (r.code === 0 || accept.includes(r.code)) return r;
  const why = lastLine(r.stderr) || `exit ${r.code}`;
  throw new BelayError(`Could not ${what} on ${t.label}: ${why}. ${fix}`);
}
