/**
 * What a command loads before it does anything is time on every run (`belay deploy` starts a fresh Node each
 * time). Heavy modules only some runs need stay behind a dynamic import: the YAML parser (293 KB bundled, only for
 * a belay.yml), the PostgreSQL client (loaded while the SSH connection works), the GitHub client (only with
 * github-token); and the SSH code (ssh2, the largest module) loads only once the TCP connection to the server is
 * on its way (transport/pool.ts). This follows each capability's static imports through src/ and fails when one
 * of them reaches such a module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ROOT } from '../harness/runner.js';

/** The static value imports of a source file (type-only imports and `import()` excluded). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+'([^']+)';/gms)) {
    const names = m[1]!.trim();
    // `import { type A, type B } from` brings in nothing at run time.
    if (
      /^\{[^}]*\}$/.test(names) &&
      names
        .slice(1, -1)
        .split(',')
        .every((n) => /^\s*(type\s+\S+)?\s*$/.test(n))
    )
      continue;
    found.push(m[2]!);
  }
  for (const m of text.matchAll(/^import\s+'([^']+)';/gm)) found.push(m[1]!);
  return found;
}

/** Every package a source file reaches through static imports, with the chain that reaches each. */
function reached(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) {
        const ts = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (existsSync(ts)) walk(ts, [...chain, ts.slice(ROOT.length + 1)]);
      } else if (!spec.startsWith('node:')) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!packages.has(name)) packages.set(name, chain);
      }
    }
  };
  walk(join(ROOT, entry), [entry]);
  return packages;
}

const heavy = (entry: string, names: readonly string[]) =>
  names.filter((n) => reached(entry).has(n)).map((n) => `${n} via ${reached(entry).get(n)!.join(' → ')}`);

describe('what each command loads before it starts', () => {
  it.each([
    ['src/deploy/run.ts', ['yaml', 'pg', 'ssh2', 'node-ssh', '@actions/github', '@actions/core']],
    ['src/backup/run.ts', ['yaml', 'pg', 'ssh2', 'node-ssh', '@actions/github', '@actions/core']],
    ['src/backup/restore.ts', ['yaml', 'pg', 'ssh2', 'node-ssh', '@actions/github', '@actions/core']],
    ['src/migrate/run.ts', ['yaml', 'pg', 'ssh2', 'node-ssh', '@actions/github', '@actions/core']],
    ['src/health/run.ts', ['yaml', 'pg', 'ssh2', 'node-ssh', '@actions/core']],
  ])('%s reaches none of %j through static imports', (entry, names) => {
    expect(existsSync(join(ROOT, entry))).toBe(true);
    expect(heavy(entry, names)).toEqual([]);
  });

  it('the walk finds what is there: transport/ssh.ts reaches node-ssh and ssh2, deploy zod, config/load.ts yaml', () => {
    expect([...reached('src/transport/ssh.ts').keys()]).toEqual(expect.arrayContaining(['node-ssh', 'ssh2']));
    expect(reached('src/deploy/run.ts').has('zod')).toBe(true);
    expect(reached('src/config/load.ts').has('yaml')).toBe(true);
  });
});
