/** The source's import graph, read from the files: no cycles, and front ends use only the public API. */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

// Every relative `import ... from`, `export ... from` and `import('...')`, type-only ones included.
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g;

// Static imports and re-exports that load something at run time (type-only ones load nothing).
const RUNTIME = /^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gm;
// ... of packages and Node built-ins.
const PACKAGE = /^import\s+(?!type\b)[^;]*?\bfrom\s+'([^.'][^']*)'/gm;
const HEAVY = new Set(['undici', 'openid-client', 'jose', 'oauth4webapi', 'node:sqlite', 'openpgp']);

function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(SPECIFIER)].map((m) =>
      relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))),
    );
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
      for (const m of text.matchAll(RUNTIME))
        if (m[1]!.startsWith('.'))
          visit(relative(SRC, resolve(dirname(join(SRC, file)), m[1]!.replace(/\.js$/, '.ts'))));
    };
    visit('rules.ts');
    expect(reached.size).toBeGreaterThan(5);
    const heavy = [...reached].flatMap((file) => {
      const text = readFileSync(join(SRC, file), 'utf8');
      return [...text.matchAll(PACKAGE)]
        .map((m) => m[1]!)
        .filter((p) => HEAVY.has(p))
        .map((p) => `${file} -> ${p}`);
    });
    expect(heavy).toEqual([]);
    // The Action's entry reaches the registry only through import(), after its inputs are checked.
    expect(edges.get('action/main.ts')).not.toContain('index.ts');
  });

  it('loads openpgp only on first use: no module imports it statically, one module imports it at all', () => {
    const files = sources(SRC).map((f) => ({ file: relative(SRC, f), text: readFileSync(f, 'utf8') }));
    const staticUse = files.flatMap(({ file, text }) =>
      [...text.matchAll(PACKAGE)].filter((m) => m[1] === 'openpgp').map(() => file),
    );
    expect(staticUse).toEqual([]);
    const dynamicUse = files.filter(({ text }) => /import\(\s*'openpgp'\s*\)/.test(text)).map(({ file }) => file);
    expect(dynamicUse).toEqual(['core/signing/openpgp.ts']);
  });

  it('exports from src/index.ts and src/rules.ts only what a front end (CLI, Action, Node-RED nodes) uses', () => {
    const files = (dir: string, ext: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
      );
    // Comments left out: a name mentioned in one is not a use.
    const code = (file: string): string =>
      readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
    const frontEnds = [
      ...files(join(SRC, 'cli'), '.ts'),
      ...files(join(SRC, 'action'), '.ts'),
      ...files(resolve('nodes'), '.js'),
    ]
      .map(code)
      .join('\n');
    const exported = ['index.ts', 'rules.ts'].flatMap((file) =>
      [...readFileSync(join(SRC, file), 'utf8').matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)].flatMap((m) =>
        m[1]!
          .split(',')
          .map((part) =>
            part
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)
              .pop()!,
          )
          .filter(Boolean),
      ),
    );
    expect(exported.length).toBeGreaterThan(30);
    expect(exported.filter((name) => !new RegExp(`\\b${name}\\b`).test(frontEnds))).toEqual([]);
  });

  it('keeps the sandbox apart from the core', () => {
    const crossing = [...edges].flatMap(([file, targets]) =>
      file.startsWith('sandbox/') ? targets.filter((t) => t.startsWith('core/')).map((t) => `${file} -> ${t}`) : [],
    );
    expect(crossing).toEqual([]);
  });
});
