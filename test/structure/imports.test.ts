/** The source's import graph, read from the files: no cycles, and front ends use only the public API. */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

// Every relative `import ... from`, `export ... from` and `import('...')`, type-only ones included.
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g;

function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(SPECIFIER)].map((m) => relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))));
    edges.set(relative(SRC, file), targets);
  }
  return edges;
}

function cycles(edges: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('the import graph of src/', () => {
  const edges = graph();

  it('has no cycle, type-only imports included', () => {
    expect(edges.size).toBeGreaterThan(50);
    expect(cycles(edges).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('lets the CLI and the Action reach the core only through src/index.ts', () => {
    const internal = [...edges].flatMap(([file, targets]) =>
      /^(cli|action)\//.test(file) ? targets.filter((t) => t.startsWith('core/')).map((t) => `${file} -> ${t}`) : [],
    );
    expect(internal).toEqual([]);
  });

  it('keeps the sandbox apart from the core', () => {
    const crossing = [...edges].flatMap(([file, targets]) => (file.startsWith('sandbox/') ? targets.filter((t) => t.startsWith('core/')).map((t) => `${file} -> ${t}`) : []));
    expect(crossing).toEqual([]);
  });
});
