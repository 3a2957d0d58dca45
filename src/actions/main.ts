/**
 * Every action's code: the root action (`uses: owner/belay@v1` with `command:`) and the sub-actions, whose
 * dist/<action>/index.js only names the command in `globalThis.belayCommand` and imports this bundle.
 */
import * as core from '@actions/core';
import { provideCacheService } from '../build/cache.js';
import { COMMAND_LIST, type CommandName } from '../config/commands.js';
import { runAction } from './run.js';

const named = (globalThis as { belayCommand?: string }).belayCommand;
const wanted = named ?? core.getInput('command').trim();
const command = COMMAND_LIST.find((c) => c.cli === wanted || c.action === wanted);
if (!command) {
  core.setFailed(
    `Invalid input "command": "${wanted}" is not a belay command. Use one of: ${COMMAND_LIST.map((c) => c.cli).join(', ')}.`,
  );
} else {
  // The Actions cache is loaded only when a build plans a local layer cache.
  provideCacheService(async () => (await import('../github/cache.js')).githubCache);
  await runAction(command.cli as CommandName);
}
