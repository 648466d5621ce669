// The bytes the benches move: made as they are needed, different from chunk to chunk.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const CHUNK = 1024 * 1024;

/** `size` bytes in fresh chunks of at most CHUNK bytes; chunk n carries n in its first four bytes. */
export function* patternChunks(size) {
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) block[i] = (i * 2654435761) >>> 24;
  for (let sent = 0, n = 0; sent < size; n++) {
    const chunk = Buffer.from(block.subarray(0, Math.min(CHUNK, size - sent)));
    chunk.writeUInt32BE(n, 0);
    sent += chunk.length;
    yield chunk;
  }
}

/**
 * Writes `size` random bytes to `file`, with the SIF magic where a SIF header has it (a
 * push takes SIF images only); answers their SHA-256 in hex.
 */
export async function writeRandomImage(file, size) {
  const handle = await open(file, 'w');
  const hash = createHash('sha256');
  try {
    const block = Buffer.alloc(4 * 1024 * 1024);
    for (let at = 0; at < size; at += block.length) {
      const n = Math.min(block.length, size - at);
      for (let j = 0; j < n; j += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, j);
      if (at === 0 && n >= 42) block.write('SIF_MAGIC\0', 32, 'latin1');
      hash.update(block.subarray(0, n));
      await handle.write(block, 0, n, at);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
