#!/usr/bin/env node
/**
 * Bundles the GitHub Action (src/action/index.ts and everything it imports) into
 * dist/index.js, one ES module for the runner's Node 24.
 *
 *   node scripts/bundle.mjs           write dist/
 *   node scripts/bundle.mjs --check   build into a temp folder; exit 1 naming every file
 *                                     of dist/ that differs (stale, missing or extra)
 *   --dist DIR                        another folder instead of dist/
 *
 * The output depends only on the sources: no timestamps, no absolute paths, no legal
 * comment files, so the committed dist/ can be compared byte for byte.
 */
import { build } from 'esbuild';
import { mkdtemp, readdir, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
// --dist DIR compares against (or writes) another folder; tests use it on a copy.
const distAt = args.indexOf('--dist');
const dist = distAt >= 0 && args[distAt + 1] ? args[distAt + 1] : join(repo, 'dist');

// Bundled CommonJS dependencies call require() for Node built-ins; an ES module has no
// require, so the banner makes one under a name no bundled module can declare.
const BANNER = [
  "import { createRequire as __sregistryCreateRequire } from 'node:module';",
  'const require = __sregistryCreateRequire(import.meta.url);',
].join('\n');

async function bundle(outdir) {
  await mkdir(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: repo,
    entryPoints: ['src/action/index.ts'],
    outdir,
    entryNames: '[name]',
    // What the entry loads by import() goes to chunks of its own, read only when needed.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: BANNER },
    legalComments: 'none',
    minify: true,
    sourcemap: false,
    metafile: false,
    logLevel: 'warning',
    tsconfig: join(repo, 'tsconfig.json'),
  });
  if (result.errors.length > 0) throw new Error('esbuild failed');
  await writeFile(join(outdir, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
}

async function files(dir) {
  const out = [];
  const walk = async (d) => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if (err.code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

async function check() {
  const temp = await mkdtemp(join(tmpdir(), 'sregistry-bundle-'));
  try {
    await bundle(temp);
    const fresh = await files(temp);
    const committed = await files(dist);
    const differing = [];
    for (const f of new Set([...fresh, ...committed])) {
      if (!fresh.includes(f)) differing.push(`dist/${f} (not produced by the build)`);
      else if (!committed.includes(f)) differing.push(`dist/${f} (missing)`);
      else if (!(await readFile(join(temp, f))).equals(await readFile(join(dist, f)))) differing.push(`dist/${f} (differs)`);
    }
    if (differing.length > 0) {
      process.stderr.write(`dist/ does not match the sources; run npm run bundle and commit dist/:\n${differing.map((d) => `  ${d}\n`).join('')}`);
      return 1;
    }
    process.stdout.write(`dist/ matches the sources (${fresh.length} files)\n`);
    return 0;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

if (args.includes('--check')) {
  process.exitCode = await check();
} else {
  await rm(dist, { recursive: true, force: true });
  await bundle(dist);
  process.stdout.write('dist/ written\n');
}
