import { Masker, type Location, type Reporter } from './reporter.js';

export interface Recorded {
  level: 'info' | 'warn' | 'error' | 'debug';
  message: string;
  where?: Location;
}

/** A reporter that keeps everything (masked) in memory: for tests and for composing reports. */
export class MemoryReporter implements Reporter {
  readonly lines: Recorded[] = [];
  readonly outputs: Record<string, string> = {};
  readonly summaries: string[] = [];
  readonly masker = new Masker();

  info(message: string): void {
    this.record('info', message);
  }
  warn(message: string, where?: Location): void {
    this.record('warn', message, where);
  }
  error(message: string, where?: Location): void {
    this.record('error', message, where);
  }
  debug(message: string): void {
    this.record('debug', message);
  }
  async group<T>(title: string, work: () => Promise<T>): Promise<T> {
    this.record('info', `▸ ${title}`);
    return work();
  }
  setOutput(name: string, value: string | number | boolean): void {
    this.outputs[name] = this.masker.mask(String(value));
  }
  summary(markdown: string): void {
    this.summaries.push(this.masker.mask(markdown));
  }
  secret(value: string): void {
    this.masker.add(value);
  }
  text(): string {
    return this.lines.map((l) => `${l.level}: ${l.message}`).join('\n');
  }
  private record(level: Recorded['level'], message: string, where?: Location): void {
    this.lines.push({ level, message: this.masker.mask(message), ...(where ? { where } : {}) });
  }
}
