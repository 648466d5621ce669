#!/usr/bin/env node
/**
 * Bundles the GitHub Action (src/action/index.ts and everything it imports) into dist/
 * for the runner's Node 24: index.js (the Node version check) and the chunk it imports
 * after the check, each with a source map, plus licenses.txt, the licence notices of
 * every package whose code the bundle holds.
 *
 *   node scripts/bundle.mjs           write dist/
 *   node scripts/bundle.mjs --check   build into a temp folder; exit 1 naming every file
 *                                     of dist/ that differs (stale, missing or extra)
 *   --dist DIR                        another folder instead of dist/
 *
 * The output depends only on the sources and node_modules: no timestamps, no absolute
 * paths (source maps name sources relative to dist/), so the committed dist/ can be
 * compared byte for byte.
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
    // Laid out as dist/ always, so a --check build in a temp folder maps the same
    // relative source paths; the files are written below.
    outdir: join(repo, 'dist'),
    write: false,
    // The entry imports the rest with import(); splitting keeps that a separate file,
    // so nothing the rest links (node:sqlite) is loaded before the version check.
    splitting: true,
    chunkNames: '[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: { js: BANNER },
    legalComments: 'none',
    minify: true,
    // Mappings only: enough for a stack trace to name src/ lines, without shipping
    // the sources a second time.
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
    tsconfig: join(repo, 'tsconfig.json'),
  });
  if (result.errors.length > 0) throw new Error('esbuild failed');
  for (const file of result.outputFiles)
    await writeFile(join(outdir, relative(join(repo, 'dist'), file.path)), file.contents);
  await writeFile(join(outdir, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
  await writeFile(join(outdir, 'licenses.txt'), await licenseNotices(result.metafile));
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt|markdown))?$/i;

/** The package folder (relative to the repository) a bundled input file belongs to, or undefined for our own sources. */
function packageDir(input) {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const rest = input.slice(at + 'node_modules/'.length).split('/');
  const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  return `${input.slice(0, at)}node_modules/${name}`;
}

/**
 * dist/licenses.txt: for each package with bytes in the output (after tree shaking),
 * its name, version, declared licence and the text of its licence files (or, for a
 * package that ships none, what its package.json declares).
 */
async function licenseNotices(metafile) {
  const dirs = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const dir = packageDir(input);
      if (dir && bytesInOutput > 0) dirs.add(dir);
    }
  }
  const packages = [];
  for (const dir of dirs) {
    const meta = JSON.parse(await readFile(join(repo, dir, 'package.json'), 'utf8'));
    const names = (await readdir(join(repo, dir))).filter((f) => LICENSE_FILE.test(f)).sort();
    const license = typeof meta.license === 'string' ? meta.license : (meta.license?.type ?? 'UNKNOWN');
    const texts = [];
    for (const f of names) texts.push((await readFile(join(repo, dir, f), 'utf8')).replace(/\r\n/g, '\n').trimEnd());
    if (texts.length === 0) {
      // A few packages ship no licence file; say what their package.json declares instead.
      const author = typeof meta.author === 'string' ? meta.author : (meta.author?.name ?? 'its authors');
      const repository =
        typeof meta.repository === 'string' ? meta.repository : (meta.repository?.url ?? 'the npm registry');
      texts.push(
        `The package ships no licence file. Its package.json declares the licence ${license}, author ${author}; source: ${repository}.`,
      );
    }
    const id = `${meta.name}@${meta.version}`;
    // The same version installed at two paths is one entry.
    if (!packages.some((p) => p.id === id)) packages.push({ id, license, texts });
  }
  packages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const head = [
    'Third-party software bundled into dist/ (the GitHub Action).',
    'Each entry: package@version, its declared licence, then its licence files as shipped.',
    '',
    ...packages.map((p) => `  ${p.id} (${p.license})`),
    '',
  ];
  const body = packages.map((p) =>
    [
      `${'='.repeat(78)}`,
      `${p.id} (${p.license})`,
      `${'-'.repeat(78)}`,
      p.texts.join(`\n\n${'-'.repeat(78)}\n`),
      '',
    ].join('\n'),
  );
  return `${[...head, ...body].join('\n')}\n`;
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
      else if (!(await readFile(join(temp, f))).equals(await readFile(join(dist, f))))
        differing.push(`dist/${f} (differs)`);
    }
    if (differing.length > 0) {
      process.stderr.write(
        `dist/ does not match the sources; run npm run bundle and commit dist/:\n${differing.map((d) => `  ${d}\n`).join('')}`,
      );
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
