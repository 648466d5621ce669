/** The Action's cache: the key of an image and the path it is saved under. */
import { describe, expect, it } from '@jest/globals';
import { cacheKey, cachePath } from '../../src/action/cache.js';

describe('cache keys and paths', () => {
  it('keys on collection, name and version; paths inside the workspace are relative', () => {
    expect(cacheKey('lab', 'app', 'ab'.repeat(32))).toBe(`sregistry-globus-lab-app-${'ab'.repeat(32)}`);
    expect(cachePath('/w/images/a.sif', '/w')).toBe('images/a.sif');
    expect(cachePath('/elsewhere/a.sif', '/w')).toBe('/elsewhere/a.sif');
  });
});
