/**
 * The reporter is the only way a capability talks to the person running it. The GitHub face writes workflow
 * commands, outputs and the job summary; the CLI face writes to the terminal; tests record. Capabilities never
 * import @actions/*.
 */

/** Where a problem is, so the runner can annotate the file in the pull request. */
export interface Location {
  readonly file?: string;
  readonly line?: number;
  readonly title?: string;
}

export interface Reporter {
  info(message: string): void;
  warn(message: string, where?: Location): void;
  error(message: string, where?: Location): void;
  debug(message: string): void;
  /** A collapsible section around long work. */
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
  setOutput(name: string, value: string | number | boolean): void;
  /** Markdown appended to the job summary (the CLI prints it). */
  summary(markdown: string): void;
  /** Never show this value again: it is replaced by *** in everything this reporter writes. */
  secret(value: string): void;
  /** Keep a value for the action's post step (the runner's step state); the CLI has no post step and drops it. */
  saveState?(name: string, value: string): void;
}

/**
 * Replaces every registered secret with ***. Values derived from a secret (a database URL holding a password)
 * are registered with `secretUrl` so both the whole URL and its password are hidden.
 */
export class Masker {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    if (!value) return;
    const trimmed = value.trim();
    // Multi-line secrets (keys) are masked line by line too, as the runner does.
    for (const v of [value, trimmed, ...trimmed.split(/\r?\n/).map((l) => l.trim())]) {
      if (v.length >= 3) this.values.add(v);
    }
  }

  get all(): readonly string[] {
    return [...this.values];
  }

  mask(text: string): string {
    let out = text;
    // Longest first, so a URL is masked whole before its password part.
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join('***');
    return out;
  }
}

/** Secrets hidden inside a URL (`postgres://user:pass@host/db`): the password, in plain and %-encoded form. */
export function secretsOfUrl(url: string): string[] {
  const found = [url];
  try {
    const parsed = new URL(url);
    if (parsed.password) found.push(parsed.password, decodeURIComponent(parsed.password));
  } catch {
    // Not a URL: the whole value is already masked.
  }
  return found;
}

/** Markdown table for summaries; cells are escaped so input cannot break the table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const line = (r: readonly string[]) => `| ${r.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}
