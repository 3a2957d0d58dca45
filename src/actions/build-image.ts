import { provideCacheService } from '../build/cache.js';
import { runAction } from './run.js';

// The Actions cache is loaded only when a build plans a local layer cache.
provideCacheService(async () => (await import('../github/cache.js')).githubCache);
await runAction('build');
