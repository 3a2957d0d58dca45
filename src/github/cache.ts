/** The Actions cache for build-image's local layer cache: @actions/cache behind belay's CacheService. */
import * as cache from '@actions/cache';
import type { CacheService } from '../build/cache.js';

export const githubCache: CacheService = {
  async restore(paths, key, restoreKeys) {
    if (!cache.isFeatureAvailable()) return undefined;
    return cache.restoreCache(paths, key, restoreKeys);
  },
  async save(paths, key) {
    if (!cache.isFeatureAvailable()) return;
    await cache.saveCache(paths, key);
  },
};
