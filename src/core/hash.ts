/** SHA-256 and size of a local file in one pass. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Bytes read at a time by `hashFileOnce`, into its one buffer. */
const FILE_READ = 4 * 1024 * 1024;

/**
 * SHA-256 and size of a file read once with positioned reads into one reused buffer (no
 * stream, no buffer per chunk); `onBytes` sees the running count after every read. Read
 * errors and aborts are thrown as they come; callers word them.
 */
export async function hashFileOnce(
  file: string,
  onBytes?: (bytes: number) => void,
  signal?: AbortSignal,
  onChunk?: (chunk: Uint8Array, offset: number) => void,
): Promise<{ sha256: string; size: number }> {
  const handle = await open(file, 'r');
  try {
    const hash = createHash('sha256');
    // No larger than the file (plus one byte to see its end): a manifest needs no 4 MiB.
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(FILE_READ, (await handle.stat()).size + 1)));
    let size = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, size);
      if (bytesRead === 0) break;
      onChunk?.(buffer.subarray(0, bytesRead), size);
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
      onBytes?.(size);
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}
