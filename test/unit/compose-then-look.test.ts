/**
 * THEN_LOOK, the script that runs `up -d` and the first container look in one round trip, run by the local sh
 * (dash on the test host, as on Debian and Ubuntu servers): the command's arguments arrive exactly as given, are
 * never run as shell text, and its failure is the script's failure.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { THEN_LOOK } from '../../src/deploy/compose.js';

const run = (...args: string[]) => spawnSync('sh', ['-c', THEN_LOOK, 'belay', ...args], { encoding: 'utf8' });

describe('THEN_LOOK', () => {
  it('runs the first n arguments as the command, each one intact, then the marker and the look', () => {
    const dir = mkdtempSync(join(tmpdir(), 'belay-then-look-'));
    const hostile = ['a b', '"q"', "'s'", `$(touch ${dir}/ran)`, '`id`', '*', '', '-n', 'x;y', '${1}'];
    // printf, its format and ten arguments: ${10} and ${12} are reached. The look is `echo`: its empty line finds nothing.
    const r = run(String(hostile.length + 2), 'printf', '%s|', ...hostile, 'echo');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${hostile.map((h) => `${h}|`).join('')}belay-look\n`);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it("the command's failure is the script's, with no marker and no look", () => {
    const r = run('3', 'sh', '-c', 'exit 7', 'touch', '/nonexistent/look-ran');
    expect(r.status).toBe(7);
    expect(r.stdout).toBe('');
  });
});
