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

// Static imports and re-exports that load something at run time (type-only ones load nothing).
const RUNTIME = /^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gm;
// ... of packages and Node built-ins.
const PACKAGE = /^import\s+(?!type\b)[^;]*?\bfrom\s+'([^.'][^']*)'/gm;
const HEAVY = new Set(['undici', 'openid-client', 'jose', 'oauth4webapi', 'node:sqlite']);

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

  it('lets the CLI and the Action reach the core only through src/index.ts or src/rules.ts', () => {
    const internal = [...edges].flatMap(([file, targets]) =>
      /^(cli|action)\//.test(file) ? targets.filter((t) => t.startsWith('core/')).map((t) => `${file} -> ${t}`) : [],
    );
    expect(internal).toEqual([]);
  });

  it('keeps src/rules.ts light: nothing it reaches loads the HTTP client, token libraries or SQLite', () => {
    const reached = new Set<string>();
    const visit = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      const text = readFileSync(join(SRC, file), 'utf8');
      for (const m of text.matchAll(RUNTIME)) if (m[1]!.startsWith('.')) visit(relative(SRC, resolve(dirname(join(SRC, file)), m[1]!.replace(/\.js$/, '.ts'))));
    };
    visit('rules.ts');
    expect(reached.size).toBeGreaterThan(5);
    const heavy = [...reached].flatMap((file) => {
      const text = readFileSync(join(SRC, file), 'utf8');
      return [...text.matchAll(PACKAGE)].map((m) => m[1]!).filter((p) => HEAVY.has(p) || HEAVY.has(p.split('/')[0]!)).map((p) => `${file} -> ${p}`);
    });
    expect(heavy).toEqual([]);
    // The Action's entry reaches the registry only through import(), after its inputs are checked.
    expect(edges.get('action/main.ts')).not.toContain('index.ts');
  });

  it('keeps the sandbox apart from the core', () => {
    const crossing = [...edges].flatMap(([file, targets]) => (file.startsWith('sandbox/') ? targets.filter((t) => t.startsWith('core/')).map((t) => `${file} -> ${t}`) : []));
    expect(crossing).toEqual([]);
  });
});
