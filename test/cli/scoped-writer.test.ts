/**
 * A client granted read-write on one collection folder only (not the registry root) pushes,
 * searches and prunes there as a real process: the root is found through the folder it
 * was granted, the layout comes from what the folder holds (it may not read the marker),
 * and the marker is never written by it. On a layout-2 and a layout-1 registry.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildManifest, manifestText } from '../../src/core/manifest.js';
import { writeSif } from '../../src/core/sif.js';
import { fileSha256 as sha } from '../support/files.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { newClient } from '../support/worlds.js';
import { assertBuilt, Cli, json, sandboxEnv } from './support.js';

describe('a client with read-write on one collection folder (real process, sandbox)', () => {
  let sb: TestSandbox;
  const writer = newClient('lab-writer', 'lab-writer-secret-0123456789');
  let registry: string;
  let v1: string;
  let v1File: string;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox((world) => {
      world.clients.push(writer);
    });
    registry = `globus://${sb.collection.id}`;
    v1File = join(sb.tmp, 'v1.sif');
    await writeSif(v1File, { labels: { n: '1' }, payloadBytes: Buffer.alloc(24 * 1024, 1) });
    v1 = await sha(v1File);
    // A layout-1 registry at /old/ as an older version left it.
    const old = join(sb.collection.root!, 'old');
    await mkdir(join(old, 'lab', 'app'), { recursive: true });
    await writeFile(join(old, '.sregistry'), '{"layout":1,"created":"2023-05-01T00:00:00.000Z"}\n');
    await writeFile(join(old, 'lab', 'app', `v1@${v1}.sif`), await readFile(v1File));
    const manifest = buildManifest({
      endpoint: sb.collection.id,
      ref: { collection: 'lab', name: 'app', tag: 'v1', version: v1 },
      size: (await readFile(v1File)).length,
      pushedBy: 'someone',
    });
    await writeFile(join(old, 'lab', 'app', `v1@${v1}.sif.json`), manifestText(manifest));
    const then = new Date('2023-05-01T00:00:00Z');
    for (const f of [`v1@${v1}.sif`, `v1@${v1}.sif.json`]) await utimes(join(old, 'lab', 'app', f), then, then);
  });
  afterAll(() => sb.stop());

  const cases = [
    { layout: 2, root: '/shub/', folder: 'shub' },
    { layout: 1, root: '/old/', folder: 'old' },
  ] as const;

  for (const { layout, root, folder } of cases) {
    it(`pushes (new and existing versions), searches and prunes on a layout-${layout} registry`, async () => {
      const env = { ...(await sandboxEnv(sb)), SREGISTRY_GLOBUS_ROOT: root };
      const owner = new Cli(env);
      if (layout === 2)
        expect(
          (await owner.run(['push', v1File, `${registry}/lab/app:v1`, '--transport', 'https', '--quiet'])).code,
        ).toBe(0);
      const marker = await readFile(join(sb.collection.root!, folder, '.sregistry'), 'utf8');
      const grant = await owner.run(['access', 'grant', `${registry}/lab`, '--to', writer.id, '--write', '--json']);
      expect(grant.code).toBe(0);
      expect(json<{ path: string; permissions: string }>(grant)).toMatchObject({
        path: `${root}lab/`,
        permissions: 'rw',
      });

      // No root given: the writer finds it by sniffing, through the folder it was granted.
      const other = new Cli({
        ...(await sandboxEnv(sb, writer)),
        SREGISTRY_STORAGE: join(sb.tmp, `storage-w${layout}`),
      });
      const withRoot = (args: string[]) => (layout === 1 ? other.run([...args, '--root', root]) : other.run(args));
      const appDir = join(sb.collection.root!, folder, 'lab', 'app');
      const before = (await readdir(appDir)).sort();

      // An existing version: nothing uploaded again.
      const again = await withRoot(['push', v1File, `${registry}/lab/app:v1`, '--transport', 'https', '--json']);
      expect([again.code, again.stderr]).toEqual([0, '']);
      expect(json<{ images: Array<{ status: string }> }>(again).images.map((r) => r.status)).toEqual(['exists']);
      expect((await readdir(appDir)).sort()).toEqual(before);

      // A new version, in the registry's own layout.
      const v2File = join(sb.tmp, `v2-${layout}.sif`);
      await writeSif(v2File, { labels: { n: `2-${layout}` }, payloadBytes: Buffer.alloc(20 * 1024, 2 + layout) });
      const v2 = await sha(v2File);
      const push = await withRoot(['push', v2File, `${registry}/lab/app:v2`, '--transport', 'https', '--json']);
      expect([push.code, push.stderr]).toEqual([0, '']);
      const names = await readdir(appDir);
      if (layout === 2) {
        expect(names).toContain(`sha256.${v2}.sif`);
        expect(names.some((n) => n.startsWith(`v2@${v2}.`) && n.endsWith('.json'))).toBe(true);
      } else {
        expect(names).toEqual(expect.arrayContaining([`v2@${v2}.sif`, `v2@${v2}.sif.json`]));
        expect(names.some((n) => n.startsWith('sha256.'))).toBe(false);
      }
      // The marker is the owner's, untouched.
      expect(await readFile(join(sb.collection.root!, folder, '.sregistry'), 'utf8')).toBe(marker);

      // A new name in the collection takes the layout of its siblings.
      const fresh = await withRoot(['push', v2File, `${registry}/lab/fresh:v1`, '--transport', 'https', '--json']);
      expect([fresh.code, fresh.stderr]).toEqual([0, '']);
      const freshNames = await readdir(join(sb.collection.root!, folder, 'lab', 'fresh'));
      expect(freshNames.some((n) => n.startsWith('sha256.'))).toBe(layout === 2);

      const search = await withRoot(['search', 'lab/', '--endpoint', sb.collection.id, '--json']);
      expect([search.code, search.stderr]).toEqual([0, '']);
      expect(json<{ hits: Array<{ uri: string }> }>(search).hits.map((h) => h.uri)).toEqual(
        expect.arrayContaining([`${registry}/lab/app:v1`, `${registry}/lab/app:v2`, `${registry}/lab/fresh:v1`]),
      );

      // Outside the folder it was granted: refused before any upload, and no registry is created over the hidden one.
      const outside = await withRoot(['push', v2File, `${registry}/other/app:v1`, '--transport', 'https', '--json']);
      expect(outside.code).toBe(1);
      expect(json<{ error: { code: string; message: string } }>(outside).error).toMatchObject({
        code: 'PERMISSION_DENIED',
        message: expect.stringMatching(/may not read the registry marker/),
      });
      expect(await readdir(join(sb.collection.root!, folder))).not.toContain('other');
      expect(await readFile(join(sb.collection.root!, folder, '.sregistry'), 'utf8')).toBe(marker);

      const prune = await withRoot(['prune', `${registry}/lab`, '--keep', '1', '--dry-run', '--json']);
      expect([prune.code, prune.stderr]).toEqual([0, '']);
      expect(json<{ kept: Array<{ name: string; version: string }> }>(prune).kept).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'app', version: v2 }),
          expect.objectContaining({ name: 'app', version: v1 }),
        ]),
      );
    });
  }
});
