/**
 * add and rm, as sregistry-cli has them: put a local image file into storage and record
 * it, or remove local records and the stored files no record names any more. No network.
 */
import { copyFile, rm } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { SregistryError } from '../../errors.js';
import type { Records } from '../../records.js';
import { readSif } from '../../sif.js';
import { createTempFile, discardTemp, publishTemp, storagePath } from '../../storage.js';
import { assertSharedName, formatReference } from '../../uri.js';
import { hashFile, localFileSize } from './file-facts.js';
import { localRef, toLocalImage } from './local-records.js';
import type { LocalImage, RemoveResult } from '../types.js';

const insideFolder = (folder: string, file: string): boolean => {
  const rel = relative(resolve(folder), resolve(file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/** Copies `file` to `<storage>/<collection>/<name>/<tag>@<sha256>.sif` and records it; the version is the file's SHA-256. */
export async function addLocal(records: Records, storage: string, file: string, refText: string): Promise<LocalImage> {
  const ref = localRef(refText);
  assertSharedName(ref);
  // A missing file or a folder is said plainly (NOT_FOUND / INVALID_INPUT), not as the read's errno.
  await localFileSize(file);
  const { sha256, size } = await hashFile(file);
  if (ref.version !== undefined && ref.version !== sha256) {
    throw new SregistryError(
      'CHECKSUM_MISMATCH',
      `${file} has the SHA-256 ${sha256}, not the version ${ref.version} given: leave out @<version> (add takes the file's own)`,
    );
  }
  const versioned = { ...ref, version: sha256 };
  const dest = storagePath(storage, versioned);
  if (resolve(file) !== dest) {
    const temp = await createTempFile(dirname(dest));
    try {
      await copyFile(file, temp);
      // The copy is what gets stored: a file that changed since it was hashed must not be stored under that hash.
      const copied = await hashFile(temp);
      if (copied.sha256 !== sha256)
        throw new SregistryError(
          'LOCAL_IO',
          `${file} changed while it was being added: add it again once it is complete`,
        );
      await publishTemp(temp, dest);
    } catch (err) {
      await discardTemp(temp).catch(() => undefined);
      if (err instanceof SregistryError) throw err;
      throw new SregistryError('LOCAL_IO', `Copying ${file} into storage failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const sif = await readSif(dest);
  const metrics = {
    sha256,
    size,
    ...(sif?.labels ? { labels: sif.labels } : {}),
    ...(sif?.created ? { created: sif.created } : {}),
  };
  const saved = records.upsert({ ...versioned, image: dest, uri: formatReference(versioned), metrics });
  return toLocalImage(saved);
}

/**
 * Removes every local record of `[collection/]name[:tag][@version]` (of any client) and
 * the stored files they named, when the file lies in the storage folder and no other
 * record names it. Files outside storage are left where they are and reported as kept.
 */
export async function removeLocal(records: Records, storage: string, refText: string): Promise<RemoveResult> {
  const ref = localRef(refText);
  const found = records.all(ref);
  if (found.length === 0) {
    throw new SregistryError(
      'NOT_FOUND',
      `No local record of ${formatReference(ref)}: list them with "sregistry-globus images"`,
    );
  }
  records.remove(ref);
  const stillNamed = new Set(
    records
      .list()
      .map((r) => r.image)
      .filter((i): i is string => !!i),
  );
  const files: string[] = [];
  const kept: string[] = [];
  for (const image of new Set(found.map((r) => r.image).filter((i): i is string => !!i))) {
    if (stillNamed.has(image)) continue;
    if (!insideFolder(storage, image)) {
      kept.push(image);
      continue;
    }
    try {
      await rm(image, { force: true });
      files.push(image);
    } catch (err) {
      throw new SregistryError(
        'LOCAL_IO',
        `The records of ${formatReference(ref)} are removed, but ${image} could not be: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return { removed: found.map(toLocalImage), files, kept };
}
