/** Writes every face generated from the input schema: actions/<name>/action.yml, action.yml, README tables. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { COMMAND_LIST } from '../src/config/commands.js';
import { fillReadme, renderActionYml, renderRootActionYml, renderScheduledBackupYml } from '../src/config/render.js';

for (const command of COMMAND_LIST) {
  mkdirSync(`actions/${command.action}`, { recursive: true });
  writeFileSync(
    `actions/${command.action}/action.yml`,
    renderActionYml(command, `../../dist/${command.action}/index.js`),
  );
}
writeFileSync('action.yml', renderRootActionYml());
mkdirSync('actions/scheduled-backup', { recursive: true });
writeFileSync('actions/scheduled-backup/action.yml', renderScheduledBackupYml());
writeFileSync('README.md', fillReadme(readFileSync('README.md', 'utf8')));
console.log(`generated ${COMMAND_LIST.length} action.yml files, action.yml and the README tables`);
