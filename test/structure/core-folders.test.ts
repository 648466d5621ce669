/** No folder of src/core holds more than 15 files: past that, a folder wants sub-folders named for what they hold. */
import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const MAX_FILES = 15;

function folders(dir: string): string[] {
  return [dir, ...readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? folders(join(dir, e.name)) : []))];
}

describe('the folders of src/core', () => {
  it(`hold at most ${MAX_FILES} files each`, () => {
    const all = folders(resolve('src', 'core'));
    expect(all.length).toBeGreaterThan(10);
    const crowded = all
      .map((dir) => ({ dir: relative(process.cwd(), dir), files: readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).length }))
      .filter((f) => f.files > MAX_FILES)
      .map((f) => `${f.dir}: ${f.files} files`);
    expect(crowded).toEqual([]);
  });
});
