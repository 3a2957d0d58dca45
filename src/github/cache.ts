/** The Actions cache for build-image's local layer cache: @actions/cache behind belay's CacheService. */
import * as cache from '@actions/cache';
import type { CacheService } from '../build/cache.js';

export const githubCache: CacheService = {
  async restore(paths, key, restoreKeys) {
    if (!cache.isFeatureAvailable()) return undefined;
    return cache.restoreCache(paths, key, restoreKeys);
  },
  async save(paths, key) {
    if (!cache.isFeatureAvailable()) throw new Error('no Actions cache service in this job');
    // saveCache logs why it did not save (a key another job saved first, a refused upload) and answers -1.
    if ((await cache.saveCache(paths, key)) === -1) throw new Error('the cache service did not keep it, see above');
  },
};
