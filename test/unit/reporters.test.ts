/**
 * The reporters' contract with the runner and the terminal: annotations carry file and line, secrets (and every
 * line of a multi-line secret) never reach the output. The GitHub runner itself cannot run here; its workflow
 * command format is what @actions/core writes to stdout, captured as the runner would read it.
 */
import { jest } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { CliReporter } from '../../src/cli/reporter.js';
import { GitHubReporter } from '../../src/github/reporter.js';
import { Masker, markdownTable, secretsOfUrl } from '../../src/report/reporter.js';

function captureStdout(work: () => void): string {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    work();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('GitHubReporter', () => {
  it('turns problems in files into annotations with file and line', () => {
    const out = captureStdout(() => {
      const r = new GitHubReporter();
      r.warn('checksum changed', { file: 'drizzle/0003_add_users.sql', line: 4, title: 'Edited migration' });
      r.error('plain failure');
    });
    expect(out).toContain('::warning title=Edited migration,file=drizzle/0003_add_users.sql,line=4::checksum changed');
    expect(out).toContain('::error::plain failure');
  });

  it('registers each line of a multi-line secret with the runner and masks it itself', () => {
    const key = '-----BEGIN KEY-----\nAAAAsecretline1\nBBBBsecretline2\n-----END KEY-----';
    const out = captureStdout(() => {
      const r = new GitHubReporter();
      r.secret(key);
      r.info('loaded AAAAsecretline1 and BBBBsecretline2');
    });
    expect(out).toContain('::add-mask::AAAAsecretline1');
    expect(out).toContain('::add-mask::BBBBsecretline2');
    const shown = out.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(shown.join('\n')).toContain('loaded *** and ***');
  });
});

describe('CliReporter', () => {
  it('masks secrets in every stream and keeps warnings and errors on stderr', () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const r = new CliReporter({ out, err });
    r.secret('hunter22');
    r.info('password hunter22 used');
    r.warn('retrying with hunter22', { file: 'belay.yml', line: 3 });
    r.setOutput('value', 'x hunter22');
    expect(String(out.read())).toBe('password *** used\n');
    expect(String(err.read())).toBe('warning: belay.yml:3: retrying with ***\n');
    expect(r.outputs.value).toBe('x ***');
  });
});

describe('masking helpers', () => {
  it('masks a database URL whole and its password anywhere, plain or %-encoded', () => {
    const m = new Masker();
    for (const s of secretsOfUrl('postgres://app:p%40ss@db:5432/app')) m.add(s);
    expect(m.mask('url postgres://app:p%40ss@db:5432/app, pw p@ss, enc p%40ss')).toBe('url ***, pw ***, enc ***');
  });

  it('escapes table cells so a value cannot break the summary table', () => {
    expect(markdownTable(['a'], [['x | y\nz']])).toBe('| a |\n| --- |\n| x \\| y z |\n');
  });
});
