/** What dist/ ships besides the code: source maps that point at src/, and the licence notices of what it bundles. */
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { watchChild } from '../support/child.js';

const DIST = resolve('dist');

interface SourceMap {
  sources: string[];
  sourcesContent?: unknown;
}

async function maps(): Promise<[string, SourceMap][]> {
  const names = (await readdir(DIST)).filter((f) => f.endsWith('.js.map'));
  return Promise.all(
    names.map(async (f) => [f, JSON.parse(await readFile(join(DIST, f), 'utf8')) as SourceMap] as [string, SourceMap]),
  );
}

/** `node_modules/<name>` or `node_modules/@scope/<name>` at the end of a source path. */
function packageOf(source: string): string | undefined {
  const at = source.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const parts = source.slice(at + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

describe('dist/ source maps', () => {
  it('exist for every script and name their sources relative to dist/', async () => {
    const scripts = (await readdir(DIST)).filter((f) => f.endsWith('.js'));
    const all = await maps();
    expect(all.map(([f]) => f).sort()).toEqual(scripts.map((s) => `${s}.map`).sort());
    for (const [file, map] of all) {
      for (const source of map.sources)
        expect({ file, source, relative: source.startsWith('../') }).toEqual({ file, source, relative: true });
    }
    const sources = all.flatMap(([, m]) => m.sources);
    expect(sources).toContain('../src/action/main.ts');
    expect(sources).toContain('../src/core/records.ts');
  });

  it("make a failed run's stack trace name src/ lines", async () => {
    // A fault no real input produces: a preload makes reading the first input throw, so
    // the error escapes run() and Node prints its stack as the runner would show it.
    const dir = await mkdtemp(join(tmpdir(), 'sregistry-stack-'));
    try {
      const preload = join(dir, 'throw-on-input.mjs');
      await writeFile(
        preload,
        "process.env = new Proxy({ ...process.env }, { get(t, k) { if (k === 'INPUT_CLIENT-SECRET') throw new Error('injected failure'); return t[k]; } });\n",
      );
      const { code, stderr } = await watchChild(process.execPath, ['--import', preload, join(DIST, 'index.js')], {
        cwd: dir,
      }).exited;
      expect(code).toBe(1);
      expect(stderr).toContain('injected failure');
      expect(stderr).toMatch(/src\/action\/main\.ts:\d+:\d+/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('dist/licenses.txt', () => {
  it('holds a notice for every package whose code is in the bundle, with its licence text', async () => {
    const text = await readFile(join(DIST, 'licenses.txt'), 'utf8');
    const bundled = new Set(
      (await maps()).flatMap(([, m]) => m.sources.map(packageOf).filter((p): p is string => p !== undefined)),
    );
    expect(bundled.size).toBeGreaterThan(10);
    for (const name of bundled) {
      const meta = JSON.parse(await readFile(join('node_modules', name, 'package.json'), 'utf8')) as {
        license?: string;
      };
      // Each entry's heading: a line of = then `name@version (licence)`.
      expect({
        name,
        listed: new RegExp(`^={78}\\n${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}@\\S+ \\(`, 'm').test(text),
      }).toEqual({ name, listed: true });
      if (meta.license) expect(text).toContain(`(${meta.license})`);
    }
    expect(text).toContain('Permission is hereby granted, free of charge');
    expect(text).not.toContain(process.cwd());
  });
});
