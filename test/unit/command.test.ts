import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  and,
  cmd,
  group,
  inShell,
  or,
  pipe,
  quote,
  redirect,
  render,
  script,
  seq,
  withEnv,
} from '../../src/core/command.js';

const trap = mkdtempSync(join(tmpdir(), 'belay-quote-'));
const marker = join(trap, 'pwned');
afterAll(() => rmSync(trap, { recursive: true, force: true }));

/** Values an attacker (or an unlucky commit message) could put in an input. */
const HOSTILE = [
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `; touch ${marker}`,
  `a && touch ${marker}`,
  `| touch ${marker}`,
  `x\ntouch ${marker}`,
  `it's "quoted" \\ back\\slash`,
  `'; touch ${marker}; '`,
  `$HOME \${HOME} $((1+1)) ~ * ? [a] {a,b}`,
  'ünïcødé ✓ 日本語 🚀',
  '-n',
  '',
  ' leading and trailing ',
  '\t\r',
  `> ${marker}`,
];

describe('quote', () => {
  it('leaves plain words readable', () => {
    expect(quote('docker')).toBe('docker');
    expect(quote('/srv/app-1/releases')).toBe('/srv/app-1/releases');
    expect(quote('user@host:2222')).toBe('user@host:2222');
  });

  it('makes an empty string one empty word', () => {
    expect(quote('')).toBe("''");
  });

  for (const shell of ['sh', 'bash', 'busybox']) {
    const available = existsSync(`/bin/${shell}`) || existsSync(`/usr/bin/${shell}`);
    it(`passes every hostile value through ${shell} byte-identical and executes nothing`, () => {
      expect(available).toBe(true);
      for (const value of HOSTILE) {
        const line = render(cmd('printf', '%s', value));
        const argv = shell === 'busybox' ? ['sh', '-c', line] : ['-c', line];
        const out = execFileSync(shell, argv, { encoding: 'utf8' });
        expect(out).toBe(value);
      }
      expect(readdirSync(trap)).toEqual([]);
    });
  }

  it('keeps a hostile value one word even nested in sh -c', () => {
    for (const value of HOSTILE) {
      const line = render(inShell(cmd('printf', '%s', value)));
      expect(execFileSync('sh', ['-c', line], { encoding: 'utf8' })).toBe(value);
    }
    expect(readdirSync(trap)).toEqual([]);
  });
});

describe('combinators', () => {
  it('render argv, and/or/pipe/seq and redirects as one line', () => {
    expect(render(and(cmd('mkdir', '-p', 'a b'), cmd('cd', 'a b')))).toBe("mkdir -p 'a b' && cd 'a b'");
    expect(render(or(cmd('test', '-d', 'x'), cmd('mkdir', 'x')))).toBe('test -d x || mkdir x');
    expect(render(pipe(cmd('cat', 'f'), cmd('gzip', '-c')))).toBe('cat f | gzip -c');
    expect(render(seq(cmd('true'), cmd('false')))).toBe('true; false');
    expect(render(redirect(cmd('echo', 'hi'), '>', 'out file'))).toBe("echo hi > 'out file'");
    expect(render(redirect(cmd('x'), '2>&1'))).toBe('x 2>&1');
  });

  it('groups mixed operators so precedence is what the tree says', () => {
    const line = render(and(or(cmd('a'), cmd('b')), cmd('c')));
    expect(line).toBe('{ a || b; } && c');
    expect(render(group(cmd('a')))).toBe('{ a; }');
    // `a || b && c` would mean (a || b) && c anyway; the inner grouping matters the other way round:
    expect(
      execFileSync('sh', ['-c', render(or(cmd('true'), and(cmd('false'), cmd('echo', 'no'))))], { encoding: 'utf8' }),
    ).toBe('');
  });

  it('prefixes environment assignments with quoted values and refuses bad names', () => {
    const line = render(withEnv({ PGPASSWORD: "p'w $(id)" }, cmd('sh', '-c', 'printf %s "$PGPASSWORD"')));
    expect(execFileSync('sh', ['-c', line], { encoding: 'utf8' })).toBe("p'w $(id)");
    expect(() => withEnv({ 'A;B': 'x' }, cmd('true'))).toThrow(/environment variable name/);
  });

  it('keeps constant scripts as written and passes values as positional arguments', () => {
    const line = render(cmd('sh', '-c', 'printf "%s|" "$1" "$2"', 'sh', `$(touch ${marker})`, 'b c'));
    expect(execFileSync('sh', ['-c', line], { encoding: 'utf8' })).toBe(`$(touch ${marker})|b c|`);
    expect(render(script('echo "$HOME"'))).toBe('echo "$HOME"');
    expect(readdirSync(trap)).toEqual([]);
  });

  it('refuses empty commands', () => {
    expect(() => render({ kind: 'argv', argv: [] })).toThrow(/empty/);
    expect(() => render(and())).toThrow(/empty/);
  });
});
