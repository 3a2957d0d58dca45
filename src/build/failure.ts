/**
 * What a failed build shows: the failing step and that step's own output, picked out of the whole log (buildx
 * `--progress plain` or the classic builder), and the Dockerfile line it came from, for an annotation.
 */

export interface BuildFailure {
  /** `[2/2] RUN make` or `RUN make`; undefined when no step failed (a bad Dockerfile, a missing context). */
  readonly step?: string;
  /** The step's output, or the end of the log. */
  readonly output: readonly string[];
  /** The last error line of the builder. */
  readonly error?: string;
}

// The classic builder colours a step's stderr; the escape codes are dropped from what is shown.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function describeBuildFailure(log: readonly string[]): BuildFailure {
  const lines = log.map((l) => l.replace(ANSI, ''));
  const error = [...lines].reverse().find((l) => /^ERROR:|^The command .* returned a non-zero code/.test(l));
  // buildx: `#5 ERROR: …` names the failing vertex; its output lines are `#5 0.047 text`.
  const failed = [...lines].reverse().find((l) => /^#\d+ ERROR:/.test(l));
  if (failed) {
    const id = failed.split(' ')[0]!;
    const title = lines.find((l) => l.startsWith(`${id} [`) || l.startsWith(`${id} `))?.slice(id.length + 1);
    const timed = new RegExp(`^${id} \\d+\\.\\d+ ?`);
    const output = lines.filter((l) => timed.test(l)).map((l) => l.replace(timed, ''));
    return { ...(title ? { step: title } : {}), output, ...(error ? { error } : {}) };
  }
  // Classic: `Step 3/4 : RUN …`, then ` ---> Running in …`, the step's output, then the error line.
  const stepAt = lines.map((l) => l.startsWith('Step ')).lastIndexOf(true);
  if (stepAt >= 0 && error?.startsWith('The command')) {
    const step = lines[stepAt]!.replace(/^Step \d+\/\d+ : /, '');
    const output = lines.slice(stepAt + 1).filter((l) => !/^ ---> /.test(l) && l !== error && l.trim() !== '');
    return { step, output, ...(error ? { error } : {}) };
  }
  return { output: lines.filter((l) => l.trim() !== '').slice(-20), ...(error ? { error } : {}) };
}

/** The line of `dockerfile` (1-based) that holds the failing instruction, when it can be found. */
export function lineOfStep(dockerfile: string, step: string | undefined): number | undefined {
  if (!step) return undefined;
  const instruction = step
    .replace(/^\[[^\]]*\]\s*/, '')
    .replace(/:$/, '')
    .trim();
  const lines = dockerfile.split(/\r?\n/);
  const index = lines.findIndex((l) => l.trim() !== '' && instruction.startsWith(l.trim().replace(/\\$/, '').trim()));
  return index >= 0 ? index + 1 : undefined;
}
