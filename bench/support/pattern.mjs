// The bytes the benches move: made as they are needed, different from chunk to chunk.
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
