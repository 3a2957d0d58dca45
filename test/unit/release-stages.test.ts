/** Which stages a release runs: `stages: auto` from the settings given, an explicit list, and a bad one. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { releaseStages } from '../../src/release/run.js';

const workspace = mkdtempSync(join(tmpdir(), 'belay-stages-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe('release stages', () => {
  it('auto: deploy always; build with an image; backup with a database; migrate when the folder exists too', () => {
    expect(releaseStages({}, workspace)).toEqual(['deploy']);
    expect(releaseStages({ image: ['ghcr.io/o/app'] } as never, workspace)).toEqual(['build', 'deploy']);
    expect(releaseStages({ database: 'shop' }, workspace)).toEqual(['backup', 'deploy']);
    mkdirSync(join(workspace, 'migrations'));
    expect(releaseStages({ database: 'shop' }, workspace)).toEqual(['backup', 'migrate', 'deploy']);
    expect(releaseStages({ database: 'shop', dir: 'elsewhere' }, workspace)).toEqual(['backup', 'deploy']);
    // SQLite: backed up, but belay's migrations are PostgreSQL's.
    expect(releaseStages({ engine: 'sqlite', sqlitePath: '/srv/app.db' }, workspace)).toEqual(['backup', 'deploy']);
  });

  it('a list runs those stages, always in the pipeline order', () => {
    expect(releaseStages({ stages: 'deploy, build' }, workspace)).toEqual(['build', 'deploy']);
    expect(releaseStages({ stages: 'migrate deploy' }, workspace)).toEqual(['migrate', 'deploy']);
  });

  it('an unknown stage is one line naming the input and the stages there are', () => {
    let err: unknown;
    try {
      releaseStages({ stages: 'build,ship' }, workspace);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'Invalid input "stages": "ship" is not a stage. Use auto, or a list of build, backup, migrate, deploy.',
    );
  });
});
