import type { ExecOptions } from './types.js';

/**
 * Ends a command's standard input with `stdin` (ExecOptions.stdin): at once, or when its promise settles; a
 * rejected promise or undefined ends it without data. `end` must tolerate a command that is gone already.
 */
export function endInput(stdin: ExecOptions['stdin'], end: (data?: string | Buffer) => void): void {
  if (!(stdin instanceof Promise)) {
    end(stdin ?? undefined);
    return;
  }
  stdin.then(
    (data) => end(data ?? undefined),
    () => end(),
  );
}
