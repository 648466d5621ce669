/**
 * docs/architecture.md held against the tree: every source file it names exists (a path
 * from the repository root, or a module named by its folder and file, or its file alone,
 * found under src/), a module named with its folder is in that folder, no module heads two
 * paragraphs, and every folder of src/ is described.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOC = readFileSync(join(REPO, 'docs', 'architecture.md'), 'utf8');

function walk(dir: string): { files: string[]; folders: string[] } {
  const files: string[] = [];
  const folders: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      folders.push(relative(REPO, path));
      const below = walk(path);
      files.push(...below.files);
      folders.push(...below.folders);
    } else files.push(relative(REPO, path));
  }
  return { files, folders };
}

const SRC = walk(join(REPO, 'src'));

/** `src/core/{uri,layout}` → src/core/uri, src/core/layout. */
function expandBraces(text: string): string[] {
  const m = /^(.*)\{([^}]*)\}(.*)$/.exec(text);
  if (!m) return [text];
  return m[2]!.split(',').flatMap((part) => expandBraces(`${m[1]}${part}${m[3]}`));
}

/** Paths from the repository root the document names: src/…, nodes/…, scripts/…, test/…, bin/…. */
const rooted = [...DOC.matchAll(/(?<![\w/.-])((?:src|nodes|scripts|test|bin)\/[\w./{},-]*[\w}])/g)].flatMap((m) =>
  expandBraces(m[1]!),
);

/** Modules named relative to their folder or by file alone, in backticks: `registry/watch.ts`, `hash.ts`. */
const relativeModules = [...DOC.matchAll(/`([\w/-]+\.ts)`/g)]
  .map((m) => m[1]!)
  .filter((name) => !/^(src|nodes|scripts|test|bin)\//.test(name));

describe('docs/architecture.md', () => {
  it('names only paths that exist', () => {
    expect(rooted.length).toBeGreaterThan(30);
    const missing = rooted.filter((path) => {
      if (existsSync(join(REPO, path))) return false;
      // A module named without its extension, as in src/core/{uri,layout}.
      return !existsSync(join(REPO, `${path}.ts`));
    });
    expect(missing).toEqual([]);
  });

  it('names only modules that exist under src/, by folder and file or by file', () => {
    expect(relativeModules.length).toBeGreaterThan(30);
    const missing = relativeModules.filter(
      (name) => !SRC.files.some((file) => file === `src/${name}` || file.endsWith(`/${name}`)),
    );
    expect(missing).toEqual([]);
  });

  it('names a module with its folder only where it is: under src/, src/core/, src/core/registry/ or src/sandbox/', () => {
    const withFolder = relativeModules.filter((name) => name.includes('/'));
    expect(withFolder.length).toBeGreaterThan(5);
    const misplaced = withFolder.filter(
      (name) =>
        !['src', 'src/core', 'src/core/registry', 'src/sandbox'].some((base) => SRC.files.includes(`${base}/${name}`)),
    );
    expect(misplaced).toEqual([]);
  });

  it('describes each module in one paragraph: no two list items of a section start with the same module', () => {
    const sections = DOC.split(/^## /m);
    const twice = sections.flatMap((section) => {
      const heads = [...section.matchAll(/^- `([\w/.-]+)`/gm)].map((m) => m[1]!);
      return heads.filter((head, i) => heads.indexOf(head) !== i).map((head) => `${section.split('\n')[0]}: ${head}`);
    });
    expect(sections.length).toBeGreaterThan(3);
    expect(twice).toEqual([]);
  });

  it('describes every folder of src/', () => {
    const undescribed = SRC.folders.filter((folder) => {
      const below = folder.replace(/^src\//, '');
      const name = below.split('/').at(-1)!;
      return !DOC.includes(folder) && !DOC.includes(`\`${below}/`) && !DOC.includes(`\`${name}/\``);
    });
    expect(undescribed).toEqual([]);
  });
});
