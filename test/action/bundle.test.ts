import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('dist/ bundle', () => {
  it('matches a fresh build of the sources (npm run bundle:check)', async () => {
    const { stdout } = await run(process.execPath, ['scripts/bundle.mjs', '--check'], { cwd: process.cwd() }).catch(
      (err: { stderr?: string }) => {
        throw new Error(`dist/ is stale: ${err.stderr ?? String(err)}`);
      },
    );
    expect(stdout).toMatch(/dist\/ matches the sources/);
  });

  it('is an ES module with a require() for bundled CommonJS and no absolute paths of this machine', async () => {
    const text = await readFile('dist/index.js', 'utf8');
    expect(
      text.startsWith(
        "import { createRequire as __sregistryCreateRequire } from 'node:module';\nconst require = __sregistryCreateRequire(import.meta.url);",
      ),
    ).toBe(true);
    expect(text).not.toContain(process.cwd());
    expect(JSON.parse(await readFile('dist/package.json', 'utf8'))).toEqual({ type: 'module' });
  });
});

describe('bundle:check on a stale copy', () => {
  it('exits 1 and names the file that differs', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'sregistry-dist-'));
    try {
      await cp('dist', copy, { recursive: true });
      await appendFile(join(copy, 'index.js'), '\n// edited by hand\n');
      await writeFile(join(copy, 'extra.js'), 'export {};\n');
      const err = (await run(process.execPath, ['scripts/bundle.mjs', '--check', '--dist', copy]).then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: number; stderr?: string } | undefined;
      expect(err?.code).toBe(1);
      expect(err?.stderr).toContain('dist/index.js (differs)');
      expect(err?.stderr).toContain('dist/extra.js (not produced by the build)');
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
