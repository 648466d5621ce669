/**
 * Local image storage, laid out like the registry: `<storage>/<collection>/<name>/<tag>@<version>.sif`.
 * Downloads go to a hidden temp file in the destination folder and become visible by one
 * rename, so a reader never sees half an image and the rename never crosses file systems.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SregistryError } from './errors.js';
import { checkSegment, imageFileName, parseUploadFileName } from './layout.js';
import { validateRef, type ImageRef } from './uri.js';

const TEMP_RE = /^\.sregistry-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.partial$/;
/** How deep cleanupStaleTemps looks below the folder it is given (storage → collection → name). */
const CLEANUP_DEPTH = 3;

function localIo(what: string, err: unknown): SregistryError {
  const msg = err instanceof Error ? err.message : String(err);
  return new SregistryError('LOCAL_IO', `${what} failed: ${msg}`, { cause: err });
}

function storageRoot(storageDir: string): string {
  if (typeof storageDir !== 'string' || storageDir.trim() === '' || storageDir.includes('\0')) {
    throw new SregistryError(
      'INVALID_INPUT',
      'The storage folder is empty or malformed: set SREGISTRY_STORAGE to a folder path',
    );
  }
  return resolve(storageDir);
}

function inside(root: string, parts: string[]): string {
  for (const p of parts) checkSegment(p);
  const full = join(root, ...parts);
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new SregistryError('UNSAFE_PATH', `Refusing ${parts.join('/')}: it would leave the storage folder ${root}`);
  }
  return full;
}

/** `<storage>/<collection>/<name>/` as an absolute local path (no trailing separator). */
export function storageFolder(storageDir: string, ref: Pick<ImageRef, 'collection' | 'name'>): string {
  const r = validateRef({ collection: ref.collection, name: ref.name, tag: 'latest' });
  return inside(storageRoot(storageDir), [r.collection, r.name]);
}

/** `<storage>/<collection>/<name>/<tag>@<version>.sif`; the ref needs a version. */
export function storagePath(storageDir: string, ref: ImageRef): string {
  const r = validateRef(ref);
  if (r.version === undefined) {
    throw new SregistryError(
      'INVALID_INPUT',
      `The image ${r.collection}/${r.name}:${r.tag} needs a version (its SHA-256) to name a stored file`,
    );
  }
  return inside(storageRoot(storageDir), [r.collection, r.name, imageFileName(r.tag, r.version)]);
}

/** Creates an empty hidden temp file (`.sregistry-<uuid>.partial`) in `dir`, creating `dir` as needed. */
export async function createTempFile(dir: string): Promise<string> {
  const folder = resolve(dir);
  try {
    await mkdir(folder, { recursive: true });
    const path = join(folder, `.sregistry-${randomUUID()}.partial`);
    const fh = await open(path, 'wx', 0o644);
    await fh.close();
    return path;
  } catch (err) {
    throw localIo(`Creating a temporary file in ${folder}`, err);
  }
}

async function syncPath(path: string, flags: string): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Moves a finished temp file to its final name: flushes it to disk, renames it (replacing
 * any file already there), then flushes the folder so the rename survives a crash.
 */
export async function publishTemp(temp: string, final: string): Promise<void> {
  try {
    await syncPath(temp, 'r+');
    await mkdir(dirname(final), { recursive: true });
    await rename(temp, final);
  } catch (err) {
    throw localIo(`Moving ${basename(temp)} to ${final}`, err);
  }
  // Folder fsync is cheap on Linux and not supported everywhere; it is a best effort.
  await syncPath(dirname(final), 'r').catch(() => undefined);
}

/** Removes a temp file; a file that is already gone is fine. */
export async function discardTemp(temp: string): Promise<void> {
  try {
    await rm(temp, { force: true });
  } catch (err) {
    throw localIo(`Removing ${temp}`, err);
  }
}

export const isTempFileName = (name: string): boolean => TEMP_RE.test(name) || parseUploadFileName(name) !== undefined;

/**
 * Removes temp files (ours and `.<tag>@upload-<uuid>.partial`) older than `olderThanMs`
 * from `dir` and the folders below it (to the depth of an image folder). Links are not
 * followed. Returns the removed paths.
 */
export async function cleanupStaleTemps(dir: string, olderThanMs: number, now: number = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw localIo(`Listing ${folder}`, err);
    }
    for (const e of entries) {
      const path = folder.endsWith(sep) ? folder + e.name : folder + sep + e.name;
      if (e.isDirectory()) {
        if (depth < CLEANUP_DEPTH) await walk(path, depth + 1);
      } else if (e.isFile() && isTempFileName(e.name)) {
        const info = await stat(path).catch(() => undefined);
        if (info && now - info.mtimeMs > olderThanMs) {
          await rm(path, { force: true });
          removed.push(path);
        }
      }
    }
  };
  await walk(resolve(dir), 0);
  return removed;
}
