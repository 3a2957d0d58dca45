/**
 * Errors a user can act on. `message` is one line: what happened and the fix.
 * Anything that is not a BelayError is a bug in belay and is reported as such.
 */
export class BelayError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'BelayError';
  }
}

/** A bad value for a named input (action input, CLI flag, BELAY_* variable or belay.yml key). */
export class InputError extends BelayError {
  constructor(
    readonly input: string,
    problem: string,
    fix: string,
    /** Where the value came from when it was not the input itself: `BELAY_PORT`, `belay.yml:4`. */
    from?: string,
  ) {
    super(`Invalid input "${input}"${from ? ` (from ${from})` : ''}: ${problem}. ${fix}`);
    this.name = 'InputError';
  }
}

/** The one line shown to a user for any thrown value; never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof BelayError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return `belay failed unexpectedly: ${message.split('\n')[0]} (this is a bug in belay; please report it)`;
}

/**
 * Last line of defence: an error nobody caught (a library's stray rejection) is reported as one line and exit 1,
 * not as Node's dump of the minified bundle line it came from.
 */
export function guardAgainstCrashes(report: (line: string) => void): void {
  const handle = (err: unknown) => {
    report(describeError(err));
    process.exit(1);
  };
  process.on('uncaughtException', handle);
  process.on('unhandledRejection', handle);
}
