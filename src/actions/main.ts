/** The root action (`uses: owner/belay@v1` with `command:`): the same commands as the sub-actions. */
import * as core from '@actions/core';
import { provideCacheService } from '../build/cache.js';
import { COMMAND_LIST, type CommandName } from '../config/commands.js';
import { runAction } from './run.js';

const wanted = core.getInput('command').trim();
const command = COMMAND_LIST.find((c) => c.cli === wanted || c.action === wanted);
if (!command) {
  core.setFailed(
    `Invalid input "command": "${wanted}" is not a belay command. Use one of: ${COMMAND_LIST.map((c) => c.cli).join(', ')}.`,
  );
} else {
  provideCacheService(async () => (await import('../github/cache.js')).githubCache);
  await runAction(command.cli as CommandName);
}
