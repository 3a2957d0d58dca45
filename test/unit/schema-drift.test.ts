/** The generated faces of the one input schema must match the files users see. Run `npm run generate` to fix. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { COMMAND_LIST } from '../../src/config/commands.js';
import { envName, INPUTS, inputName, KEY_BY_NAME } from '../../src/config/inputs.js';
import {
  actionInputs,
  fillReadme,
  renderActionYml,
  renderRootActionYml,
  renderScheduledBackupYml,
} from '../../src/config/render.js';
import { parseArgs } from '../../src/cli/main.js';
import { ROOT } from '../harness/runner.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('action.yml files follow the schema', () => {
  for (const command of COMMAND_LIST) {
    it(`actions/${command.action}/action.yml`, () => {
      const onDisk = read(`actions/${command.action}/action.yml`);
      expect(onDisk).toBe(renderActionYml(command, `../../dist/${command.action}/index.js`));
      // And, read as the runner reads it: every input is a schema input of this command, none declares a default.
      const yml = parse(onDisk) as { inputs: Record<string, { default?: string }>; runs: { using: string } };
      expect(Object.keys(yml.inputs).sort()).toEqual(actionInputs(command).map(inputName).sort());
      for (const spec of Object.values(yml.inputs)) expect(spec.default).toBeUndefined();
      expect(yml.runs.using).toBe('node24');
    });
  }

  it('action.yml (root) offers every command and every action input', () => {
    expect(read('action.yml')).toBe(renderRootActionYml());
    const yml = parse(read('action.yml')) as { inputs: Record<string, unknown> };
    for (const name of Object.keys(yml.inputs)) if (name !== 'command') expect(KEY_BY_NAME.has(name)).toBe(true);
  });

  it('actions/scheduled-backup/action.yml passes every backup input on as its BELAY_* variable', () => {
    expect(read('actions/scheduled-backup/action.yml')).toBe(renderScheduledBackupYml());
    const yml = parse(read('actions/scheduled-backup/action.yml')) as {
      inputs: Record<string, { default?: string }>;
      runs: { steps: { env?: Record<string, string> }[] };
    };
    const env = yml.runs.steps[0]!.env!;
    for (const name of Object.keys(yml.inputs)) {
      if (name === 'artifact-name' || name === 'retention-days') continue;
      const key = KEY_BY_NAME.get(name)!;
      expect(env[envName(key)]).toContain(`inputs.${name} || env.${envName(key)}`);
    }
    for (const spec of Object.values(yml.inputs)) expect(spec.default).toBeUndefined();
  });

  it('README input tables are the generated ones', () => {
    const readme = read('README.md');
    expect(readme).toBe(fillReadme(readme));
    for (const command of COMMAND_LIST) expect(readme).toContain(`<!-- inputs:${command.action} -->\n| Input`);
  });

  it('CLI flags are exactly the input names', () => {
    for (const command of COMMAND_LIST) {
      for (const key of command.inputs) {
        const value = INPUTS[key].kind === 'boolean' ? 'true' : 'x';
        const parsed = parseArgs([command.cli, `--${inputName(key)}`, value]);
        // (--env stays the short form of --environment where the command has no env input of its own.)
        expect(parsed).toMatchObject({ given: { [inputName(key)]: value } });
      }
    }
  });
});
