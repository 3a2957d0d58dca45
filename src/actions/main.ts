/**
 * Every action's code: the root action (`uses: owner/belay@v1` with `command:`) and the sub-actions, whose
 * dist/<action>/index.js only names the command in `globalThis.belayCommand` and imports this bundle.
 */
import * as core from '@actions/core';
import { provideCacheService } from '../build/cache.js';
import { COMMAND_LIST, type CommandName } from '../config/commands.js';
import { provideDeploymentService } from '../deploy/deployments.js';
import { LEFT_LOCKS } from '../deploy/left-locks.js';
import { hasPostStep } from '../engine.js';
import { runAction } from './run.js';

/** Step state: set by the main step, so the same file run as the post step knows which it is. */
const MAIN_RAN = 'belay-main-ran';

const named = (globalThis as { belayCommand?: string }).belayCommand;
const wanted = named ?? core.getInput('command').trim();
const command = COMMAND_LIST.find((c) => c.cli === wanted || c.action === wanted);
if (!command) {
  core.setFailed(
    `Invalid input "command": "${wanted}" is not a belay command. Use one of: ${COMMAND_LIST.map((c) => c.cli).join(', ')}.`,
  );
} else if (core.getState(MAIN_RAN)) {
  // The post step (the action.yml's runs.post is this same file): only when the main step left work for it.
  if (hasPostStep(command.cli as CommandName) && core.getState(LEFT_LOCKS)) {
    await runAction(command.cli as CommandName, { state: (name) => core.getState(name) });
  }
} else {
  core.saveState(MAIN_RAN, 'true');
  // The Actions cache is loaded only when a build plans a local layer cache; GitHub's REST API only for a deploy
  // given a github-token.
  provideCacheService(async () => (await import('../github/cache.js')).githubCache);
  provideDeploymentService(async () => (await import('../github/deployments.js')).githubDeployments);
  await runAction(command.cli as CommandName);
}
