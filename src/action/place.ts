/** Putting a pulled image into the pull-to folder: whole or not at all. */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Hard-links `source` to `dest` (copies when they are on different file systems), through a
 * hidden temp name in the destination folder and a rename, so `dest` is never half written.
 */
export async function placeFile(source: string, dest: string): Promise<void> {
  const dir = dirname(dest);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(dest)}.${randomUUID()}.partial`);
  try {
    try {
      await link(source, temp);
    } catch {
      await copyFile(source, temp);
    }
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** SHA-256 of a file as 64 lowercase hex; undefined when it does not exist. */
export async function fileSha256(file: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return hash.digest('hex');
}
