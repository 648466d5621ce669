import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { SregistryError } from '../../src/core/errors.js';
import {
  cleanupStaleTemps,
  createTempFile,
  discardTemp,
  isTempFileName,
  publishTemp,
  storageFolder,
  storagePath,
} from '../../src/core/storage.js';
import { trickyArb, versionedRefArb } from './uri-arbitraries.js';

const V1 = 'ab'.repeat(32);
const UUID = '6c54cade-bde5-45c1-bdea-f4bd71dba2cc';

describe('local storage', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storage-test-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('lays images out like the registry', () => {
    expect(storagePath('/data/shub', { collection: 'lab', name: 'ubuntu', tag: 'v1', version: V1 })).toBe(
      `/data/shub/lab/ubuntu/v1@${V1}.sif`,
    );
    expect(storageFolder('/data/shub/', { collection: 'lab', name: 'ubuntu' })).toBe('/data/shub/lab/ubuntu');
  });

  it('needs a version and a storage folder', () => {
    expect(() => storagePath('/s', { collection: 'lab', name: 'x', tag: 'latest' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => storagePath('', { collection: 'lab', name: 'x', tag: 'latest', version: V1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('refuses any name that would leave the storage folder (property)', () => {
    fc.assert(
      fc.property(trickyArb, fc.constantFrom('collection', 'name', 'tag'), (bad, field) => {
        const ref = { collection: 'lab', name: 'ubuntu', tag: 'v1', version: V1, [field]: bad };
        let err: unknown;
        try {
          storagePath('/data/shub', ref);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SregistryError);
        expect(['INVALID_REFERENCE', 'UNSAFE_PATH']).toContain((err as SregistryError).code);
      }),
    );
  });

  it('keeps every valid ref inside the storage folder (property)', () => {
    fc.assert(
      fc.property(versionedRefArb, (ref) => {
        const rel = relative('/data/shub', storagePath('/data/shub', ref));
        expect(rel.startsWith('..')).toBe(false);
        expect(rel.split(sep)).toEqual([ref.collection, ref.name, `${ref.tag}@${ref.version}.sif`]);
      }),
    );
  });

  it('creates a hidden temp file in the destination folder and publishes it by rename', async () => {
    const final = storagePath(dir, { collection: 'lab', name: 'ubuntu', tag: 'v1', version: V1 });
    const temp = await createTempFile(dirname(final));
    expect(dirname(temp)).toBe(dirname(final));
    expect(basename(temp)).toMatch(/^\.sregistry-[0-9a-f-]{36}\.partial$/);
    expect(isTempFileName(basename(temp))).toBe(true);
    expect((await stat(temp)).size).toBe(0);
    await writeFile(temp, 'image bytes');
    await publishTemp(temp, final);
    expect(await readFile(final, 'utf8')).toBe('image bytes');
    await expect(stat(temp)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dirname(final))).toEqual([basename(final)]);

    // Publishing again replaces the file.
    const temp2 = await createTempFile(dirname(final));
    await writeFile(temp2, 'newer');
    await publishTemp(temp2, final);
    expect(await readFile(final, 'utf8')).toBe('newer');
  });

  it('makes distinct temp files and discards them', async () => {
    const folder = join(dir, 'discard');
    const [a, b] = await Promise.all([createTempFile(folder), createTempFile(folder)]);
    expect(a).not.toBe(b);
    await discardTemp(a as string);
    await discardTemp(a as string); // already gone: fine
    expect(await readdir(folder)).toEqual([basename(b as string)]);
  });

  it('reports a failed publish as LOCAL_IO', async () => {
    await expect(publishTemp(join(dir, 'no-such-temp'), join(dir, 'x.sif'))).rejects.toMatchObject({
      code: 'LOCAL_IO',
    });
  });

  it('cleans up only stale temp files, below the folder, without following links', async () => {
    const root = join(dir, 'cleanup');
    const folder = join(root, 'lab', 'ubuntu');
    await mkdir(folder, { recursive: true });
    const old = await createTempFile(folder);
    const fresh = await createTempFile(folder);
    const oldUpload = join(folder, `.v1@upload-${UUID}.partial`);
    await writeFile(oldUpload, '');
    const image = join(folder, `v1@${V1}.sif`);
    await writeFile(image, 'keep');
    const outside = join(dir, 'outside');
    await mkdir(outside, { recursive: true });
    const outsideTemp = await createTempFile(outside);
    await symlink(outside, join(root, 'link'));

    const longAgo = new Date(Date.now() - 3_600_000);
    for (const p of [old, oldUpload, image, outsideTemp]) await utimes(p, longAgo, longAgo);

    const removed = await cleanupStaleTemps(root, 600_000);
    expect(removed.sort()).toEqual([old, oldUpload].sort());
    expect(await readdir(folder).then((n) => n.sort())).toEqual([basename(fresh), basename(image)].sort());
    expect((await stat(outsideTemp)).isFile()).toBe(true);
    expect(await cleanupStaleTemps(join(dir, 'missing'), 0)).toEqual([]);
  });
});
