/**
 * The Actions cache for pulled images. Caching only saves time, so a cache service that is
 * missing or failing is a warning and the image is downloaded as usual.
 */
import { relative, isAbsolute } from 'node:path';
import * as cache from '@actions/cache';
import type { Log } from './report.js';

export interface ImageCache {
  /** True when the entry was found and extracted. */
  restore(file: string, key: string): Promise<boolean>;
  save(file: string, key: string): Promise<void>;
}

export const cacheKey = (collection: string, name: string, version: string): string =>
  `sregistry-globus-${collection}-${name}-${version}`;

/**
 * The cache identifies an entry by its key and by the paths it holds, so a path inside the
 * workspace is given relative to it: a later run in another workspace folder still hits.
 */
export function cachePath(file: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

const why = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The cache when enabled and the runner offers one; otherwise undefined (with a warning when it was wanted). */
export function actionsCache(enabled: boolean, log: Log): ImageCache | undefined {
  if (!enabled) return undefined;
  let available: boolean;
  try {
    available = cache.isFeatureAvailable();
  } catch (err) {
    // e.g. a GITHUB_SERVER_URL that is no URL: the toolkit throws while deciding which service to use.
    log.warning(
      `Could not tell whether the Actions cache service is available (${why(err)}), so images are downloaded without the cache`,
    );
    return undefined;
  }
  if (!available) {
    log.warning(
      'The Actions cache service is not available on this runner (no ACTIONS_RESULTS_URL or ACTIONS_CACHE_URL), so images are downloaded without the cache',
    );
    return undefined;
  }
  return {
    async restore(file, key) {
      try {
        const hit = await cache.restoreCache([cachePath(file)], key);
        return hit === key;
      } catch (err) {
        log.warning(`Could not restore ${key} from the Actions cache (${why(err)}); downloading instead`);
        return false;
      }
    },
    async save(file, key) {
      try {
        await cache.saveCache([cachePath(file)], key);
      } catch (err) {
        log.warning(`Could not save ${key} to the Actions cache (${why(err)}); the next run downloads it again`);
      }
    },
  };
}
