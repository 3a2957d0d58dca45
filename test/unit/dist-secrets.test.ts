/**
 * The committed bundles hold no private key. Test keys are made at test time; ssh2's own Ed25519 probe key is
 * replaced by a key generated at load (scripts/bundle.mjs), and this fails if a dependency brings one back.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness/runner.js';

/** A PEM private key header followed by key material (not the parsers' regexes, which follow it with `(?:`). */
const KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----(?:\\r\\n|\\n|\r?\n)[A-Za-z0-9+/]{16}/;

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}

describe('dist', () => {
  it('holds no private key', () => {
    const files = jsFiles(join(ROOT, 'dist'));
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => KEY.test(readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('the pattern finds a key written the way ssh2 wrote its probe key', () => {
    // Built here, so that this file holds no key-like text itself.
    const sample = `'-----BEGIN ${'PRIVATE'} KEY-----\\r\\n${'A'.repeat(20)}'`;
    expect(KEY.test(sample)).toBe(true);
  });
});
