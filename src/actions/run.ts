/** What every action entry does: read INPUT_* as the runner passes them, run the command, set the exit code. */
import * as core from '@actions/core';
import { COMMANDS, type CommandName } from '../config/commands.js';
import { guardAgainstCrashes } from '../core/errors.js';
import { INPUTS, inputName } from '../config/inputs.js';
import { execute } from '../engine.js';
import { GitHubReporter, readActionInputs } from '../github/reporter.js';

/** `post`: this is the action's post step; the main step's saved state is read through it. */
export async function runAction(name: CommandName, post?: { state: (name: string) => string }): Promise<void> {
  guardAgainstCrashes((line) => core.setFailed(line));
  const reporter = new GitHubReporter();
  const names = COMMANDS[name].inputs.filter((k) => !('cliOnly' in INPUTS[k] && INPUTS[k].cliOnly)).map(inputName);
  const code = await execute(
    name,
    {
      face: 'action',
      given: readActionInputs(names),
      env: process.env,
      cwd: process.env.GITHUB_WORKSPACE ?? process.cwd(),
    },
    reporter,
    post,
  );
  await reporter.flush();
  process.exitCode = code;
}
