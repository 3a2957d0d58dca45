/** The reporter for a terminal: plain lines, ✓/⚠/✗ friendly, secrets masked. */
import { Masker, type Location, type Reporter } from '../report/reporter.js';

export interface CliReporterOptions {
  /** Write log lines to stderr (when stdout carries JSON). */
  readonly logToStderr?: boolean;
  readonly verbose?: boolean;
  readonly out?: NodeJS.WritableStream;
  readonly err?: NodeJS.WritableStream;
}

export class CliReporter implements Reporter {
  readonly outputs: Record<string, string> = {};
  private readonly masker = new Masker();
  private readonly out: NodeJS.WritableStream;
  private readonly err: NodeJS.WritableStream;
  private readonly log: NodeJS.WritableStream;

  constructor(private readonly options: CliReporterOptions = {}) {
    this.out = options.out ?? process.stdout;
    this.err = options.err ?? process.stderr;
    this.log = options.logToStderr ? this.err : this.out;
  }

  info(message: string): void {
    this.log.write(`${this.masker.mask(message)}\n`);
  }
  warn(message: string, where?: Location): void {
    this.err.write(`warning: ${place(where)}${this.masker.mask(message)}\n`);
  }
  error(message: string, where?: Location): void {
    this.err.write(`error: ${place(where)}${this.masker.mask(message)}\n`);
  }
  debug(message: string): void {
    if (this.options.verbose) this.err.write(`debug: ${this.masker.mask(message)}\n`);
  }
  async group<T>(title: string, work: () => Promise<T>): Promise<T> {
    this.log.write(`── ${this.masker.mask(title)}\n`);
    return work();
  }
  setOutput(name: string, value: string | number | boolean): void {
    this.outputs[name] = this.masker.mask(String(value));
  }
  /** The job summary is for the GitHub UI; the terminal already saw the same facts as log lines. */
  summary(_markdown: string): void {}
  secret(value: string): void {
    this.masker.add(value);
  }
  /** Outputs as JSON on stdout, for scripts (`belay health --json`). */
  printOutputs(): void {
    this.out.write(`${JSON.stringify(this.outputs)}\n`);
  }
}

const place = (where?: Location) => (where?.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ` : '');
