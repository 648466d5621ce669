import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/** The SHA-256 of a file on disk, hex, read as a stream. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * `size` random bytes that a push takes as an image: the SIF magic where a SIF header
 * carries it (offset 32), random everywhere else, so every file is a new version.
 */
export function imageBytes(size: number): Buffer {
  const bytes = randomBytes(size);
  if (size >= 42) bytes.write('SIF_MAGIC\0', 32, 'latin1');
  return bytes;
}
