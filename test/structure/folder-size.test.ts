/** Folders small enough to read as one part each: none of those checked holds more than 15 files. */
import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAX_FILES = 15;
const CHECKED = ['src/core', 'src/sandbox'];

/** Every folder at and below `dir`, with the number of files directly in it. */
function folders(dir: string): { folder: string; files: number }[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const here = { folder: relative(REPO, dir), files: entries.filter((e) => e.isFile()).length };
  return [here, ...entries.filter((e) => e.isDirectory()).flatMap((e) => folders(join(dir, e.name)))];
}

describe('folder size', () => {
  it(`keeps every folder of ${CHECKED.join(', ')} at ${MAX_FILES} files or fewer`, () => {
    const all = CHECKED.flatMap((root) => folders(join(REPO, root)));
    expect(all.length).toBeGreaterThan(5);
    expect(all.filter((f) => f.files > MAX_FILES).map((f) => `${f.folder}: ${f.files} files`)).toEqual([]);
  });
});
