/** The reporter for the GitHub runner: workflow commands, step outputs, job summary, annotations, masking. */
import * as core from '@actions/core';
import { Masker, type Location, type Reporter } from '../report/reporter.js';

export class GitHubReporter implements Reporter {
  private readonly masker = new Masker();
  private readonly summaries: string[] = [];

  info(message: string): void {
    core.info(this.masker.mask(message));
  }
  warn(message: string, where?: Location): void {
    core.warning(this.masker.mask(message), annotation(where));
  }
  error(message: string, where?: Location): void {
    core.error(this.masker.mask(message), annotation(where));
  }
  debug(message: string): void {
    core.debug(this.masker.mask(message));
  }
  group<T>(title: string, work: () => Promise<T>): Promise<T> {
    return core.group(this.masker.mask(title), work);
  }
  setOutput(name: string, value: string | number | boolean): void {
    core.setOutput(name, this.masker.mask(String(value)));
  }
  summary(markdown: string): void {
    this.summaries.push(this.masker.mask(markdown));
  }
  secret(value: string): void {
    this.masker.add(value);
    // The runner masks line by line, so a multi-line secret (a key) is registered one line at a time.
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 3) core.setSecret(line.trim());
  }

  saveState(name: string, value: string): void {
    core.saveState(name, value);
  }

  /** Writes the collected summary once at the end; a runner without a summary file is not an error. */
  async flush(): Promise<void> {
    if (this.summaries.length === 0 || !process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(this.summaries.join('\n'), true).write();
  }
}

function annotation(where?: Location): core.AnnotationProperties | undefined {
  if (!where) return undefined;
  return {
    ...(where.title ? { title: where.title } : {}),
    ...(where.file ? { file: where.file } : {}),
    ...(where.line ? { startLine: where.line } : {}),
  };
}

/** The inputs of an action as the runner passes them (INPUT_<NAME>), read through @actions/core. */
export function readActionInputs(names: readonly string[]): Record<string, string> {
  const given: Record<string, string> = {};
  for (const name of names) {
    const value = core.getInput(name, { trimWhitespace: false });
    if (value.trim() !== '') given[name] = value;
  }
  return given;
}
